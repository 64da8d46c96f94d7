# Runs the demo scene twice for a few frames and fails unless both PNGs are byte-identical.
# Usage: cmake -DDEMO=path/to/anarchy_demo_scene -DWORK_DIR=dir -P check_deterministic.cmake
file(MAKE_DIRECTORY "${WORK_DIR}")
foreach(run a b)
  execute_process(
    COMMAND "${DEMO}" --frames 7 --width 160 --height 120 --quiet --png "${WORK_DIR}/run_${run}.png"
    RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "run ${run} exited ${status}:\n${out}${err}")
  endif()
  if(NOT out MATCHES "^RESULT frames=7 seconds=[0-9.]+ fps=[0-9.]+ device=\".*\"\n$")
    message(FATAL_ERROR "run ${run}: unexpected stdout:\n${out}")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${WORK_DIR}/run_a.png" "${WORK_DIR}/run_b.png"
  RESULT_VARIABLE differ)
if(NOT differ EQUAL 0)
  message(FATAL_ERROR "the two runs wrote different PNGs")
endif()
