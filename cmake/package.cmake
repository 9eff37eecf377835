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
# dpkg-shlibdeps reads the binary: for the static build that is libc6 (>= the
# newest glibc symbol version it uses) and nothing else.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
include(CPack)
