# Install rules and the Debian package (cpack -G DEB, scripts/package.sh).
include(GNUInstallDirs)
install(TARGETS proclife RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES "${PROCLIFE_DOC_DIR}/proclife.1.gz" DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES "${PROCLIFE_DOC_DIR}/proclife.bash" DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME proclife)
install(FILES "${PROCLIFE_DOC_DIR}/_proclife" DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)

# Files installed once they exist in the tree: "source|destination", a
# directory source ending in /. Add a line here for each new shipped file.
set(PROCLIFE_OPTIONAL_INSTALLS
  "scripts/proclife.service|lib/systemd/system"
  "scripts/prometheus/|${CMAKE_INSTALL_DATADIR}/proclife/prometheus"
)
foreach(entry IN LISTS PROCLIFE_OPTIONAL_INSTALLS)
  string(REPLACE "|" ";" entry "${entry}")
  list(GET entry 0 source)
  list(GET entry 1 destination)
  if(source MATCHES "/$" AND IS_DIRECTORY "${CMAKE_SOURCE_DIR}/${source}")
    install(DIRECTORY "${CMAKE_SOURCE_DIR}/${source}" DESTINATION "${destination}")
  elseif(EXISTS "${CMAKE_SOURCE_DIR}/${source}" AND NOT IS_DIRECTORY "${CMAKE_SOURCE_DIR}/${source}")
    install(FILES "${CMAKE_SOURCE_DIR}/${source}" DESTINATION "${destination}")
  endif()
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME proclife)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "proclife")
set(CPACK_PACKAGE_CONTACT "proclife maintainers <proclife@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "process lifetimes from the kernel: fork, exec, exit, SIGCHLD, wait and reap")
set(CPACK_PACKAGE_DESCRIPTION "proclife records every step of a process's life with CO-RE eBPF programs
on the kernel's tracepoints and reports who forked, exec'd, exited, reaped, leaked or
orphaned what. One binary that carries its BPF object; it needs a kernel with BTF.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # proclife_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps reads the binary, except for the static (release) build: it
# needs only glibc 2.31 (tests/static_check.sh: no symbol version newer than the
# README's; tests/bullseye_test.sh: it runs on Debian 11), but Debian 12's libc6
# symbols file makes any sysconf call need libc6 >= 2.34 (for _SC_MINSIGSTKSZ,
# new in 2.34; proclife only asks _SC_PAGESIZE), which would keep the package off
# Debian 11 and Ubuntu 20.04.
if(PROCLIFE_STATIC)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.31)")
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
include(CPack)
