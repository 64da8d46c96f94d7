# Cross-compiles the Windows client (driver DLL, anarchy.exe, test programs) with Debian's mingw-w64.
# The posix-thread compilers: the win32 ones lack std::thread and std::mutex in C++20.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(ANARCHY_MINGW_TRIPLE x86_64-w64-mingw32)
include(${CMAKE_CURRENT_LIST_DIR}/mingw-common.cmake)
