# The man page and the bash and zsh completions, generated at build time by
# proclife_docgen from the CLI::App that parses proclife's command line.
add_executable(proclife_docgen userspace/docgen/docgen.cpp)
target_link_libraries(proclife_docgen PRIVATE proclife_cli)
target_compile_options(proclife_docgen PRIVATE ${PROCLIFE_WARNINGS})

set(PROCLIFE_DOC_DIR "${CMAKE_BINARY_DIR}/doc")
file(MAKE_DIRECTORY "${PROCLIFE_DOC_DIR}")
add_custom_command(
  OUTPUT "${PROCLIFE_DOC_DIR}/proclife.1" "${PROCLIFE_DOC_DIR}/proclife.1.gz"
         "${PROCLIFE_DOC_DIR}/proclife.bash" "${PROCLIFE_DOC_DIR}/_proclife"
  COMMAND sh -c "\"$0\" man > proclife.1 && gzip -9nf -c proclife.1 > proclife.1.gz && \"$0\" bash > proclife.bash && \"$0\" zsh > _proclife"
          $<TARGET_FILE:proclife_docgen>
  WORKING_DIRECTORY "${PROCLIFE_DOC_DIR}"
  DEPENDS proclife_docgen
  COMMENT "Man page and shell completions from proclife's command line"
  VERBATIM)
add_custom_target(proclife_docs ALL DEPENDS "${PROCLIFE_DOC_DIR}/proclife.1" "${PROCLIFE_DOC_DIR}/proclife.1.gz"
  "${PROCLIFE_DOC_DIR}/proclife.bash" "${PROCLIFE_DOC_DIR}/_proclife")

if(PROCLIFE_TESTS)
  add_test(NAME "man page and completions list exactly the options --help lists"
    COMMAND "${CMAKE_SOURCE_DIR}/tests/docs_check.sh" $<TARGET_FILE:proclife> "${PROCLIFE_DOC_DIR}")
  set_tests_properties("man page and completions list exactly the options --help lists" PROPERTIES LABELS "unit;docs")
endif()
