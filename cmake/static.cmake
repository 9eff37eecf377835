# Release build: one binary that needs only the kernel and glibc.
# libbpf, libelf and zlib are linked from Debian's static archives, fmt is used
# header-only (Debian ships no libfmt.a), libstdc++ and libgcc are linked in;
# glibc (libc, libm, the loader) stays dynamic. tests/static_check.sh checks it.
option(PROCLIFE_STATIC "Link everything but glibc statically (release binary)" OFF)
if(PROCLIFE_STATIC)
  foreach(lib bpf elf z)
    find_library(PROCLIFE_STATIC_${lib} NAMES lib${lib}.a REQUIRED)
  endforeach()
  # libbpf.a needs libelf.a, which needs libz.a (pkg-config --static --libs libbpf).
  set_property(TARGET PkgConfig::LIBBPF PROPERTY INTERFACE_LINK_LIBRARIES
    "${PROCLIFE_STATIC_bpf}" "${PROCLIFE_STATIC_elf}" "${PROCLIFE_STATIC_z}")
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
  target_link_options(proclife PRIVATE -static-libstdc++ -static-libgcc)
endif()
if(PROCLIFE_STATIC AND PROCLIFE_TESTS)
  # The kernel tests (tests/) run this very binary; this checks what it links.
  add_test(NAME "the release binary needs nothing but glibc, up to the version the README states"
    COMMAND "${CMAKE_SOURCE_DIR}/tests/static_check.sh" $<TARGET_FILE:proclife> "${CMAKE_SOURCE_DIR}/README.md")
  set_tests_properties("the release binary needs nothing but glibc, up to the version the README states"
    PROPERTIES LABELS static)
endif()
