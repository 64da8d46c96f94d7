# The Windows client, built from the Linux build as a second CMake project (this same source tree, configured with
# cmake/toolchain-mingw64.cmake into build/windows-x64), so the README's test command builds it and the Wine tests
# use it (tests/integration/windows_client.py). Off, or without mingw-w64, nothing of it is built or tested.
# scripts/build-windows.sh builds it on its own.
find_program(ANARCHY_MINGW64_CXX x86_64-w64-mingw32-g++-posix)
set(ANARCHY_BUILD_WINDOWS_CLIENT ON CACHE BOOL "Also build the Windows client with mingw-w64 (for the Wine tests)")
set(ANARCHY_WINDOWS_BUILD_DIR "")
if(ANARCHY_BUILD_WINDOWS_CLIENT AND NOT ANARCHY_MINGW64_CXX)
  message(STATUS "no x86_64-w64-mingw32-g++-posix (Debian: g++-mingw-w64-x86-64-posix): the Windows client is not built")
elseif(ANARCHY_BUILD_WINDOWS_CLIENT)
  include(ExternalProject)
  set(ANARCHY_WINDOWS_BUILD_DIR ${CMAKE_BINARY_DIR}/windows-x64)
  ExternalProject_Add(anarchy_windows_client
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    BINARY_DIR ${ANARCHY_WINDOWS_BUILD_DIR}
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/toolchain-mingw64.cmake -DCMAKE_BUILD_TYPE=Release
               -DANARCHY_THIRD_PARTY_DIR=${ANARCHY_THIRD_PARTY_DIR}
    BUILD_ALWAYS ON          # its own build decides what is out of date
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)  # its progress shows, and it does not compete for the parent's job slots
endif()
