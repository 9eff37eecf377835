# `proclife --version`: the version, the commit it was configured at, and the
# kernel features it needs (userspace/app/version.cpp).
find_package(Git QUIET)
set(PROCLIFE_COMMIT "unknown")
if(GIT_FOUND)
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short HEAD
    WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}" OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE failed ERROR_QUIET)
  if(NOT failed AND commit)
    set(PROCLIFE_COMMIT "${commit}")
    # Configure again when HEAD moves, so the commit is never stale.
    foreach(ref HEAD HEAD-branch)
      if(ref STREQUAL "HEAD-branch")
        execute_process(COMMAND "${GIT_EXECUTABLE}" symbolic-ref -q HEAD WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
          OUTPUT_VARIABLE ref OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      endif()
      if(ref)
        execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --path-format=absolute --git-path "${ref}"
          WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}" OUTPUT_VARIABLE path OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
        if(path AND EXISTS "${path}")
          set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${path}")
        endif()
      endif()
    endforeach()
  endif()
endif()
target_sources(proclife_cli PRIVATE userspace/app/version.cpp)
set_property(SOURCE userspace/app/version.cpp APPEND PROPERTY COMPILE_DEFINITIONS PROCLIFE_COMMIT="${PROCLIFE_COMMIT}")
