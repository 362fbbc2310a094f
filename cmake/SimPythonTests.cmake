# sim_python_tests(LABEL FILE...): registers Python (stdlib unittest) files that drive the real
# `cardsim` binary over loopback. Each FILE (relative to the calling directory) becomes the ctest
# test `<LABEL>.<stem>`, labelled LABEL, run as `python -m unittest -v FILE` from that directory
# with CARDSIM_BIN pointing at the built binary. List files explicitly (no globbing); a listed file
# that does not exist yet is skipped with a message.

# The python3 on PATH is the one that has boto3 and the aws CLI next to it (scripts/setup.sh makes
# sure of that), so prefer it over whatever FindPython3 would find first; resolve a pyenv shim to the
# real interpreter so ctest does not depend on the shim. -DPython3_EXECUTABLE=... overrides.
function(sim_find_test_python)
  if(NOT Python3_EXECUTABLE)
    find_program(SIM_PATH_PYTHON3 NAMES python3 NO_CACHE NO_CMAKE_PATH NO_CMAKE_ENVIRONMENT_PATH
                 NO_CMAKE_SYSTEM_PATH)
    if(SIM_PATH_PYTHON3)
      execute_process(COMMAND ${SIM_PATH_PYTHON3} -c "import sys; print(sys.executable)"
                      OUTPUT_VARIABLE _sim_python OUTPUT_STRIP_TRAILING_WHITESPACE
                      RESULT_VARIABLE _sim_python_rc ERROR_QUIET)
      if(_sim_python_rc EQUAL 0 AND EXISTS "${_sim_python}")
        set(Python3_EXECUTABLE "${_sim_python}" CACHE FILEPATH "Python interpreter for integration and protocol tests")
      endif()
    endif()
  endif()
endfunction()

function(sim_python_tests label)
  if(NOT TARGET cardsim)
    message(STATUS "${label} tests: no 'cardsim' target yet, none registered")
    return()
  endif()
  sim_find_test_python()
  set(Python3_FIND_STRATEGY LOCATION)
  find_package(Python3 COMPONENTS Interpreter)
  if(NOT Python3_Interpreter_FOUND)
    message(WARNING "${label} tests: no python3 found, none registered (run scripts/setup.sh)")
    return()
  endif()
  message(STATUS "${label} tests: ${Python3_EXECUTABLE}")

  # Re-run CMake when a file is added, so a listed file that appears later gets registered.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR})

  foreach(file IN LISTS ARGN)
    if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${file})
      message(STATUS "${label} tests: ${file} is listed but does not exist yet, skipped")
      continue()
    endif()
    get_filename_component(stem ${file} NAME_WE)
    # `python -m unittest FILE` imports FILE as a module relative to the working directory.
    add_test(NAME ${label}.${stem}
             COMMAND ${Python3_EXECUTABLE} -m unittest -v ${file}
             WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
    set_tests_properties(${label}.${stem} PROPERTIES
      ENVIRONMENT "CARDSIM_BIN=$<TARGET_FILE:cardsim>;PYTHONDONTWRITEBYTECODE=1;PYTHONUNBUFFERED=1"
      LABELS ${label}
      TIMEOUT 300)
  endforeach()
endfunction()
