# The data files (catalogs, calibrations) are found at run time, never through a path compiled
# in (sim/data_dir.hpp): the CLI's --data-dir, FIRSTWALL_DATA_DIR, else ../share/firstwall
# beside the executable. This gives the build tree and the installation that same layout:
#   build/tools/firstwall, build/tests/<test>  ->  build/share/firstwall/
#   P/bin/firstwall                            ->  P/share/firstwall/
# Under share/firstwall the data keeps its repository paths: scenarios/ (with catalog/),
# kernels/calibration/ and every models/<domain>/calibration/ (the glob finds a new one).
file(GLOB firstwall_model_calibrations LIST_DIRECTORIES true CONFIGURE_DEPENDS
     RELATIVE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/models/*/calibration)
# tools/analysis/firstwall is the Python package behind `firstwall report` (run with
# PYTHONPATH=<data directory>/tools/analysis).
set(FIRSTWALL_DATA_FOLDERS scenarios kernels/calibration tools/analysis/firstwall)
foreach(folder IN LISTS firstwall_model_calibrations)
  if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/${folder})
    list(APPEND FIRSTWALL_DATA_FOLDERS ${folder})
  endif()
endforeach()
set(FIRSTWALL_BUILD_DATA_DIR ${CMAKE_BINARY_DIR}/share/firstwall)

# Target firstwall_data copies each folder whole into the build tree. The globs (with
# CONFIGURE_DEPENDS) notice added and removed files; each folder's file list is kept in a
# file rewritten only when the list changes, so that adding or removing a file re-copies
# the folder like editing one does. The copy replaces the folder, so removed files go too.
set(firstwall_data_stamps)
foreach(folder IN LISTS FIRSTWALL_DATA_FOLDERS)
  file(GLOB_RECURSE files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${folder}/*)
  string(MAKE_C_IDENTIFIER ${folder} id)
  set(list_file ${CMAKE_BINARY_DIR}/firstwall_data/${id}.files)
  set(stamp ${CMAKE_BINARY_DIR}/firstwall_data/${id}.stamp)
  string(REPLACE ";" "\n" file_lines "${files}")
  file(CONFIGURE OUTPUT ${list_file} CONTENT "${file_lines}\n" @ONLY)
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${FIRSTWALL_BUILD_DATA_DIR}/${folder}
    COMMAND ${CMAKE_COMMAND} -E copy_directory ${PROJECT_SOURCE_DIR}/${folder}
            ${FIRSTWALL_BUILD_DATA_DIR}/${folder}
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    DEPENDS ${files} ${list_file}
    COMMENT "Copying ${folder}/ to share/firstwall/${folder}/"
    VERBATIM)
  list(APPEND firstwall_data_stamps ${stamp})
endforeach()
add_custom_target(firstwall_data ALL DEPENDS ${firstwall_data_stamps})

# `cmake --install build --prefix P`: P/bin/firstwall and P/share/firstwall/<folder>, from the
# source tree (installing does not build, so the build tree's copy could be stale). The
# literal bin/ and share/firstwall/ match the resolver's ../share/firstwall.
install(TARGETS firstwall RUNTIME DESTINATION bin)
foreach(folder IN LISTS FIRSTWALL_DATA_FOLDERS)
  get_filename_component(parent ${folder} DIRECTORY)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder} DESTINATION share/firstwall/${parent}
          PATTERN __pycache__ EXCLUDE)
endforeach()
