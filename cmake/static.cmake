# Release build: one binary that needs only the kernel and glibc.
# libbpf, libdw, libelf and their compressors (zlib, bzip2, xz) are linked from Debian's static archives, fmt is used
# header-only (Debian ships no libfmt.a), libstdc++ and libgcc are linked in;
# glibc (libc, libm, libpthread, libdl, the loader) stays dynamic, from glibc 2.31 on.
# tests/static_check.sh and tests/bullseye_test.sh check it.
option(PROCLIFE_STATIC "Link everything but glibc statically (release binary)" OFF)
if(PROCLIFE_STATIC)
  foreach(lib bpf dw elf z bz2 lzma)
    find_library(PROCLIFE_STATIC_${lib} NAMES lib${lib}.a REQUIRED)
  endforeach()
  # libbpf.a needs libelf.a, which needs libz.a (pkg-config --static --libs libbpf).
  set_property(TARGET PkgConfig::LIBBPF PROPERTY INTERFACE_LINK_LIBRARIES
    "${PROCLIFE_STATIC_bpf}" "${PROCLIFE_STATIC_elf}" "${PROCLIFE_STATIC_z}")
  # libdw.a: libelf.a, and the compressors of the debug sections it reads
  # (pkg-config --static --libs libdw).
  set_property(TARGET PkgConfig::LIBDW PROPERTY INTERFACE_LINK_LIBRARIES
    "${PROCLIFE_STATIC_dw}" "${PROCLIFE_STATIC_bz2}" "${PROCLIFE_STATIC_elf}" "${PROCLIFE_STATIC_z}"
    "${PROCLIFE_STATIC_lzma}")
  # Every target of the project that links fmt::fmt links fmt::fmt-header-only
  # instead, whichever directory and library it is in.
  function(proclife_header_only_fmt dir)
    get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target IN LISTS targets)
      foreach(property LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
        get_target_property(libs ${target} ${property})
        if(libs)
          list(TRANSFORM libs REPLACE "^fmt::fmt$" "fmt::fmt-header-only")
          set_property(TARGET ${target} PROPERTY ${property} "${libs}")
        endif()
      endforeach()
    endforeach()
    get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
    foreach(subdir IN LISTS subdirs)
      proclife_header_only_fmt("${subdir}")
    endforeach()
  endfunction()
  proclife_header_only_fmt("${CMAKE_SOURCE_DIR}")
  # glibc >= 2.31 (Debian 11, Ubuntu 20.04), though linked on a newer one: the
  # symbols newer than 2.31 that libstdc++, libgcc and crt1.o reference are
  # defined or redirected to their older versions (userspace/compat/glibc_compat.c
  # explains each). Before glibc 2.34, pthread_once and __pthread_key_create are in
  # libpthread.so.0, so the binary needs it (an empty stub on newer glibc).
  function(proclife_glibc_compat target)
    target_sources(${target} PRIVATE "${CMAKE_SOURCE_DIR}/userspace/compat/glibc_compat.c")
    set(wrapped __libc_start_main pthread_once __pthread_key_create
                pthread_create pthread_join pthread_detach pthread_condattr_setclock pthread_sigmask
                dlopen dlsym dlclose pthread_rwlock_init pthread_rwlock_destroy pthread_rwlock_rdlock
                pthread_rwlock_tryrdlock pthread_rwlock_wrlock pthread_rwlock_unlock
                stat stat64 lstat lstat64 fstat fstat64 fstatat fstatat64)
    list(TRANSFORM wrapped PREPEND "LINKER:--wrap=")
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc ${wrapped}
      "LINKER:--push-state,--no-as-needed,-l:libpthread.so.0,-l:libdl.so.2,--pop-state")
  endfunction()
  proclife_glibc_compat(proclife)
endif()
if(PROCLIFE_STATIC AND PROCLIFE_TESTS)
  # The kernel tests (tests/) run this very binary; this checks what it links.
  add_test(NAME "the release binary needs nothing but glibc, up to the version the README states"
    COMMAND "${CMAKE_SOURCE_DIR}/tests/static_check.sh" $<TARGET_FILE:proclife> "${CMAKE_SOURCE_DIR}/README.md")
  set_tests_properties("the release binary needs nothing but glibc, up to the version the README states"
    PROPERTIES LABELS static)
  # Each replacement of the compatibility layer, on this machine's glibc...
  add_executable(proclife_glibc_compat_test tests/compat/glibc_compat_test.cpp)
  proclife_glibc_compat(proclife_glibc_compat_test)
  add_test(NAME "the glibc compatibility layer works on this glibc" COMMAND proclife_glibc_compat_test)
  set_tests_properties("the glibc compatibility layer works on this glibc" PROPERTIES LABELS static)
  # ...and the release binary and that test on Debian 11's glibc 2.31 (root: chroot).
  add_test(NAME "the release binary runs on Debian 11 (glibc 2.31) in a debootstrap root"
    COMMAND "${CMAKE_SOURCE_DIR}/tests/bullseye_test.sh"
            $<TARGET_FILE:proclife> $<TARGET_FILE:proclife_glibc_compat_test>)
  set_tests_properties("the release binary runs on Debian 11 (glibc 2.31) in a debootstrap root"
    PROPERTIES LABELS static TIMEOUT 1200)
endif()
