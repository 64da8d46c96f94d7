# The Windows client build, included by the top-level CMakeLists.txt when cross-compiling with mingw-w64
# (cmake/toolchain-mingw64.cmake or toolchain-mingw32.cmake; scripts/build-windows.sh runs it). It builds the
# same sources as the Linux client, with the one-file-per-platform parts (sockets, page tracking, windows) taken
# for Windows: anarchy_vulkan.dll and its manifest, anarchy.exe, and the offscreen test programs.

# The pinned copy of a release in ANARCHY_THIRD_PARTY_DIR when present (what CI has), else the official release.
function(anarchy_pinned_url out file official what)
  if(EXISTS "${ANARCHY_THIRD_PARTY_DIR}/${file}")
    set(${out} "${ANARCHY_THIRD_PARTY_DIR}/${file}" PARENT_SCOPE)
  else()
    message(STATUS "${what}: no ${ANARCHY_THIRD_PARTY_DIR}/${file}; downloading the official release ${official}")
    set(${out} "${official}" PARENT_SCOPE)
  endif()
endfunction()

# LZ4 1.9.4 (what Debian 12's liblz4 is), compiled from the release's lib/: the pinned copy in
# ../shared/third_party when present, else the official release.
anarchy_pinned_url(_lz4_url lz4-1.9.4.tar.gz "https://github.com/lz4/lz4/archive/refs/tags/v1.9.4.tar.gz" LZ4)
FetchContent_Declare(lz4_source URL "${_lz4_url}" DOWNLOAD_EXTRACT_TIMESTAMP TRUE
  URL_HASH SHA256=e911b65bbfc9277015d0c1793bfbec3f38c31c5b1e53577bb921aa4f45861fc4)
FetchContent_GetProperties(lz4_source)
if(NOT lz4_source_POPULATED)
  FetchContent_Populate(lz4_source)
endif()
add_library(anarchy_lz4 STATIC ${lz4_source_SOURCE_DIR}/lib/lz4.c)
target_include_directories(anarchy_lz4 PUBLIC ${lz4_source_SOURCE_DIR}/lib)
set(ANARCHY_LZ4 anarchy_lz4)

# The headers only (from VulkanHeaders.cmake); the Windows driver never links a Vulkan library.
add_library(Vulkan::Headers INTERFACE IMPORTED)
target_include_directories(Vulkan::Headers INTERFACE ${ANARCHY_VULKAN_INCLUDE_DIR})

# Windows 10's APIs; no min/max macros; UTF-16 entry points named explicitly (...W).
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 NOMINMAX WIN32_LEAN_AND_MEAN __USE_MINGW_ANSI_STDIO=1)
# The same warnings as on Linux; -Wno-cast-function-type for GetProcAddress's FARPROC.
add_compile_options(-Wno-cast-function-type)

# The Khronos loader (vulkan-1.dll and its import library) from the pinned Vulkan-Loader 1.3.239: what the test
# programs link and what runs them under Wine. It builds against Debian's 1.3.239 headers and registry (the
# version it was released with), copied into a private prefix so /usr/include never reaches the mingw compiler.
set(ANARCHY_WINDOWS_LOADER ON CACHE BOOL "Build the Khronos loader (vulkan-1.dll) for the test programs")
if(ANARCHY_WINDOWS_LOADER)
  include(ExternalProject)
  anarchy_pinned_url(_loader_url Vulkan-Loader-1.3.239.tar.gz
                     "https://github.com/KhronosGroup/Vulkan-Loader/archive/refs/tags/v1.3.239.tar.gz" Vulkan-Loader)
  set(_headers_prefix "${CMAKE_BINARY_DIR}/loader-headers")
  set(_headers_cmake "${_headers_prefix}/lib/x86_64-linux-gnu/cmake/VulkanHeaders")  # its relative paths expect this depth
  find_path(_debian_vulkan_headers vulkan/vulkan_core.h PATHS /usr/include NO_CMAKE_FIND_ROOT_PATH NO_DEFAULT_PATH)
  find_path(_debian_vulkan_cmake VulkanHeadersConfig.cmake PATHS /usr/lib/x86_64-linux-gnu/cmake/VulkanHeaders
            NO_CMAKE_FIND_ROOT_PATH NO_DEFAULT_PATH)
  if(NOT _debian_vulkan_headers OR NOT _debian_vulkan_cmake OR NOT EXISTS /usr/share/vulkan/registry/vk.xml)
    message(FATAL_ERROR "Building vulkan-1.dll needs Debian's libvulkan-dev (headers, CMake config, registry); "
                        "or pass -DANARCHY_WINDOWS_LOADER=OFF")
  endif()
  file(COPY /usr/include/vulkan /usr/include/vk_video DESTINATION "${_headers_prefix}/include")
  file(COPY /usr/share/vulkan/registry DESTINATION "${_headers_prefix}/share/vulkan")
  file(COPY "${_debian_vulkan_cmake}/" DESTINATION "${_headers_cmake}")
  set(_loader_dir "${CMAKE_BINARY_DIR}/vulkan-loader")
  ExternalProject_Add(vulkan_loader
    URL "${_loader_url}"
    URL_HASH SHA256=20c4465260b1b169283b0f35c0e76c8a93bd4c33d887a34668b2a20709e3e913
    DOWNLOAD_EXTRACT_TIMESTAMP TRUE
    PREFIX "${_loader_dir}"
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE} -DCMAKE_BUILD_TYPE=Release
               -DUSE_MASM=OFF -DENABLE_WERROR=OFF -DBUILD_TESTS=OFF
               -DVulkanHeaders_DIR=${_headers_cmake} -DCMAKE_FIND_ROOT_PATH=/usr/${ANARCHY_MINGW_TRIPLE}|${_headers_prefix}
    LIST_SEPARATOR |
    INSTALL_COMMAND ${CMAKE_COMMAND} -E copy <BINARY_DIR>/loader/vulkan-1.dll ${CMAKE_BINARY_DIR}/vulkan-1.dll
    BUILD_BYPRODUCTS <BINARY_DIR>/loader/libvulkan-1.dll.a ${CMAKE_BINARY_DIR}/vulkan-1.dll)
  ExternalProject_Get_Property(vulkan_loader BINARY_DIR)
  add_library(Vulkan::Vulkan SHARED IMPORTED)
  set_target_properties(Vulkan::Vulkan PROPERTIES
    IMPORTED_LOCATION "${CMAKE_BINARY_DIR}/vulkan-1.dll"
    IMPORTED_IMPLIB "${BINARY_DIR}/loader/libvulkan-1.dll.a")
  target_link_libraries(Vulkan::Vulkan INTERFACE Vulkan::Headers)
  add_dependencies(Vulkan::Vulkan vulkan_loader)

  # vkcube.exe from the pinned Vulkan-Tools 1.3.239 (the vkcube Debian 12 ships for Linux): a real Win32 Vulkan
  # program for the Wine tests, linked against the loader above. Its shaders are compiled with Debian's glslang.
  anarchy_pinned_url(_tools_url Vulkan-Tools-1.3.239.tar.gz
                     "https://github.com/KhronosGroup/Vulkan-Tools/archive/refs/tags/v1.3.239.tar.gz" Vulkan-Tools)
  ExternalProject_Add(vkcube
    URL "${_tools_url}"
    URL_HASH SHA256=aa4712c05b852d761c3c27e60097f3fa93f131130d4bf729724bccfbdb3f0550
    DOWNLOAD_EXTRACT_TIMESTAMP TRUE
    PREFIX "${CMAKE_BINARY_DIR}/vulkan-tools"
    DEPENDS vulkan_loader
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE} -DCMAKE_BUILD_TYPE=Release
               -DBUILD_CUBE=ON -DBUILD_VULKANINFO=OFF -DBUILD_ICD=OFF -DBUILD_WERROR=OFF -DGLSLANG_INSTALL_DIR=/usr
               -DVulkanHeaders_DIR=${_headers_cmake} -DCMAKE_FIND_ROOT_PATH=/usr/${ANARCHY_MINGW_TRIPLE}|${_headers_prefix}
               -DVulkan_INCLUDE_DIR=${_headers_prefix}/include
               -DVulkan_LIBRARY=${BINARY_DIR}/loader/libvulkan-1.dll.a -DVULKAN_LOADER_INSTALL_DIR=${BINARY_DIR}
    LIST_SEPARATOR |
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target vkcube
    INSTALL_COMMAND ${CMAKE_COMMAND} -E copy <BINARY_DIR>/cube/vkcube.exe ${CMAKE_BINARY_DIR}/vkcube.exe
    BUILD_BYPRODUCTS ${CMAKE_BINARY_DIR}/vkcube.exe)
endif()

# Without futexes, GCC 12's libstdc++ waits on std::latch, std::barrier and std::counting_semaphore through a pool
# whose waiter can miss the last notify and sleep forever (tests/programs/start_latch.h: a one-in-ten hang under
# Wine). Code built for Windows uses a mutex and a condition variable instead; this keeps the headers out.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  file(GLOB_RECURSE _windows_sources
    ${PROJECT_SOURCE_DIR}/src/common/* ${PROJECT_SOURCE_DIR}/src/protocol/* ${PROJECT_SOURCE_DIR}/src/transport/*
    ${PROJECT_SOURCE_DIR}/src/video/* ${PROJECT_SOURCE_DIR}/src/client/* ${PROJECT_SOURCE_DIR}/src/cli/*
    ${PROJECT_SOURCE_DIR}/tests/programs/*.cpp ${PROJECT_SOURCE_DIR}/tests/programs/*.h)
  list(FILTER _windows_sources INCLUDE REGEX "\\.(cpp|h)$")
  foreach(_source ${_windows_sources})
    file(STRINGS "${_source}" _waits REGEX "^#include <(latch|barrier|semaphore)>")
    if(_waits)
      message(FATAL_ERROR "${_source}: ${_waits} hangs at times with GCC ${CMAKE_CXX_COMPILER_VERSION}'s mingw "
                          "libstdc++; use a mutex and a condition variable (tests/programs/start_latch.h)")
    endif()
  endforeach()
endif()

enable_testing()
add_subdirectory(codegen)
add_subdirectory(src/common)
add_subdirectory(src/protocol)
add_subdirectory(src/transport)
add_subdirectory(src/video)
add_subdirectory(src/client/wsi)
add_subdirectory(src/client)
add_subdirectory(src/cli)
# The Media Foundation decoder against a stream the Linux build encoded (tests/integration/mf_decoder_wine.py).
add_executable(anarchy_video_check ${PROJECT_SOURCE_DIR}/tests/tools/video_check.cpp)
target_link_libraries(anarchy_video_check PRIVATE anarchy_video)
if(ANARCHY_WINDOWS_LOADER)
  find_program(GLSLANG_VALIDATOR glslangValidator REQUIRED)
  add_subdirectory(tests/programs)
  add_subdirectory(tests/wsi_programs)
endif()

# The installer (packaging/windows/anarchy.nsi): anarchy-setup.exe, built by Debian's makensis when present.
# ANARCHY_WINDOWS_32BIT_BUILD names a build folder of the 32-bit driver (cmake/toolchain-mingw32.cmake) to include.
find_program(ANARCHY_MAKENSIS makensis)
set(ANARCHY_WINDOWS_32BIT_BUILD "" CACHE PATH "Build folder of the 32-bit driver to put in the installer")
if(ANARCHY_MAKENSIS)
  set(_nsis_args -V2 -DVERSION=${PROJECT_VERSION} -DBUILD_DIR=${CMAKE_BINARY_DIR}
                 -DOUT_FILE=${CMAKE_BINARY_DIR}/anarchy-setup.exe)
  set(_nsis_deps anarchy_vulkan anarchy)
  if(ANARCHY_WINDOWS_32BIT_BUILD)
    list(APPEND _nsis_args -DBUILD32_DIR=${ANARCHY_WINDOWS_32BIT_BUILD})
  endif()
  add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/anarchy-setup.exe
    COMMAND ${ANARCHY_MAKENSIS} ${_nsis_args} ${PROJECT_SOURCE_DIR}/packaging/windows/anarchy.nsi
    DEPENDS ${_nsis_deps} ${PROJECT_SOURCE_DIR}/packaging/windows/anarchy.nsi
    COMMENT "Building the Windows installer anarchy-setup.exe"
    VERBATIM)
  add_custom_target(anarchy_installer ALL DEPENDS ${CMAKE_BINARY_DIR}/anarchy-setup.exe)
else()
  message(STATUS "no makensis (Debian: nsis): the installer anarchy-setup.exe is not built")
endif()
