# Vulkan-Headers 1.4.357 (C headers and the registry the generator reads). Debian 12 ships 1.3.239, which knows
# nothing newer (maintenance5+, mesh shaders, ray tracing ...), so the build takes the pinned release: the copy in
# ../shared/third_party when present (what CI has), else the official release from GitHub.
#
# Sets ANARCHY_VULKAN_INCLUDE_DIR and VK_REGISTRY_DIR; every target compiles against these headers.
include(FetchContent)

set(ANARCHY_VULKAN_HEADERS_VERSION 1.4.357)
set(ANARCHY_THIRD_PARTY_DIR "${PROJECT_SOURCE_DIR}/../shared/third_party" CACHE PATH
    "Folder with pinned copies of third-party releases (../shared/third_party)")
set(_local "${ANARCHY_THIRD_PARTY_DIR}/Vulkan-Headers-${ANARCHY_VULKAN_HEADERS_VERSION}.tar.gz")
if(EXISTS "${_local}")
  # The local copy is the release's include/ and registry/ only, so its hash is its own.
  FetchContent_Declare(vulkan_headers
    URL "${_local}"
    URL_HASH SHA256=64aa0a4cd62dfa2f88648b42aaa2428ce5c6f1f623746a2c341c94e0361fb6f2
    DOWNLOAD_EXTRACT_TIMESTAMP TRUE)
else()
  message(STATUS "Vulkan-Headers: no ${_local}; downloading the official release vulkan-sdk-${ANARCHY_VULKAN_HEADERS_VERSION}.0")
  FetchContent_Declare(vulkan_headers
    URL "https://github.com/KhronosGroup/Vulkan-Headers/archive/refs/tags/vulkan-sdk-${ANARCHY_VULKAN_HEADERS_VERSION}.0.tar.gz"
    DOWNLOAD_EXTRACT_TIMESTAMP TRUE)
endif()
# Only the files are wanted (its own CMake project would define Vulkan::Headers, which FindVulkan also defines).
FetchContent_GetProperties(vulkan_headers)
if(NOT vulkan_headers_POPULATED)
  FetchContent_Populate(vulkan_headers)
endif()
if(NOT EXISTS "${vulkan_headers_SOURCE_DIR}/registry/vk.xml")
  message(FATAL_ERROR "Vulkan-Headers ${ANARCHY_VULKAN_HEADERS_VERSION} has no registry/vk.xml in ${vulkan_headers_SOURCE_DIR}")
endif()
set(ANARCHY_VULKAN_INCLUDE_DIR "${vulkan_headers_SOURCE_DIR}/include")
set(VK_REGISTRY_DIR "${vulkan_headers_SOURCE_DIR}/registry" CACHE PATH "Khronos registry (vk.xml, reg.py)" FORCE)
# Before the system's /usr/include/vulkan (1.3.239): -I directories are searched first.
include_directories(BEFORE "${ANARCHY_VULKAN_INCLUDE_DIR}")
message(STATUS "Vulkan-Headers ${ANARCHY_VULKAN_HEADERS_VERSION}: ${vulkan_headers_SOURCE_DIR}")
