# Failure-handling integration tests: malformed input to the server, and the server dying under a client.
# Included from tests/integration/CMakeLists.txt. The server renders on lavapipe; `anarchy run` points the
# client program at the Anarchy ICD itself.
set(ANARCHY_FAILURE_TEST_ENV "VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json")

add_test(NAME integration_malformed_input
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/malformed_input.py --build ${CMAKE_BINARY_DIR})
add_test(NAME integration_server_killed
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/server_killed.py --build ${CMAKE_BINARY_DIR})

set_tests_properties(integration_malformed_input integration_server_killed PROPERTIES
  TIMEOUT 120
  ENVIRONMENT "${ANARCHY_FAILURE_TEST_ENV}")

# One error boundary (decisions 4 and 15), through the fault-injection hooks of client and server.
foreach(pair "client_entry_point_exception:client_throw" "server_session_exception_isolated:server_throw"
             "async_failure_reported_at_sync:async_failure")
  string(REPLACE ":" ";" parts ${pair})
  list(GET parts 0 test_name)
  list(GET parts 1 test_case)
  add_test(NAME ${test_name}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/error_boundary.py --build ${CMAKE_BINARY_DIR} ${test_case})
  set_tests_properties(${test_name} PROPERTIES TIMEOUT 300)
endforeach()

# One worker process per session (decision 14): a worker that crashes (SIGSEGV) or hangs (the watchdog) ends its
# own session only, a session running meanwhile completes, and SIGTERM stops the server whatever its workers do;
# frames before the handshake stay small and --worker-memory ends a session that grows past it.
foreach(test_case crash_and_hang limits stop_while_hung)
  add_test(NAME worker_isolation_${test_case}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/worker_isolation.py --build ${CMAKE_BINARY_DIR} ${test_case})
  set_tests_properties(worker_isolation_${test_case} PROPERTIES TIMEOUT 180)
endforeach()
