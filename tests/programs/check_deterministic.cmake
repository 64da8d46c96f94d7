# Runs one test program twice and fails unless both runs succeed and write byte-identical output, so that a
# native/remote mismatch can never be the program's own nondeterminism.
# Usage: cmake -DPROGRAM=anarchy_testprog -DNAME=graphics -DOUT_DIR=... -P check_deterministic.cmake
foreach(var PROGRAM NAME OUT_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_deterministic.cmake: ${var} is not set")
  endif()
endforeach()

foreach(run 1 2)
  set(out "${OUT_DIR}/deterministic_${NAME}_${run}.bin")
  execute_process(COMMAND "${PROGRAM}" "${NAME}" --out "${out}" RESULT_VARIABLE status
                  OUTPUT_QUIET ERROR_VARIABLE errors)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "run ${run} of ${NAME} failed (${status}):\n${errors}")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files
                "${OUT_DIR}/deterministic_${NAME}_1.bin" "${OUT_DIR}/deterministic_${NAME}_2.bin"
                RESULT_VARIABLE differ)
if(NOT differ EQUAL 0)
  message(FATAL_ERROR "${NAME}: two native runs wrote different output")
endif()
