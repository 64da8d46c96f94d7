# Shared by toolchain-mingw64.cmake and toolchain-mingw32.cmake (which set ANARCHY_MINGW_TRIPLE).
set(CMAKE_C_COMPILER ${ANARCHY_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${ANARCHY_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${ANARCHY_MINGW_TRIPLE}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${ANARCHY_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # python, glslangValidator: the build machine's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Binaries that import only system DLLs: nothing of GCC's runtime has to travel with them.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
# Release binaries without symbols: the driver and anarchy.exe travel in the installer.
set(CMAKE_SHARED_LINKER_FLAGS_RELEASE_INIT "-s")
set(CMAKE_EXE_LINKER_FLAGS_RELEASE_INIT "-s")
