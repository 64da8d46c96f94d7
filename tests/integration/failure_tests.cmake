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
