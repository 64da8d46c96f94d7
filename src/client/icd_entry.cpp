// The loader-driver interface: the only symbols the driver library exports.
#include <vulkan/vulkan_core.h>

#include "client/entry_point_guard.h"

#ifdef _WIN32
#define ANARCHY_EXPORT extern "C"  // exported by anarchy_vulkan.def, under these plain names
#else
#define ANARCHY_EXPORT extern "C" __attribute__((visibility("default")))
#endif

namespace anarchy::client {

// Every name resolves through the generated table (client_entry_points_autogen.cpp), whose entry points all
// catch exceptions; the same table answers for instances, devices and physical devices.
VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetInstanceProcAddr(VkInstance, const char* pName) {
    return pName ? entry_point(pName) : nullptr;
}
VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetDeviceProcAddr(VkDevice, const char* pName) {
    return pName ? entry_point(pName) : nullptr;
}

}  // namespace anarchy::client

ANARCHY_EXPORT VKAPI_ATTR VkResult VKAPI_CALL vk_icdNegotiateLoaderICDInterfaceVersion(uint32_t* pSupportedVersion) noexcept {
    // Version 5: the loader may call vk_icdGetPhysicalDeviceProcAddr and handles 1.1+ apiVersion checks.
    if (*pSupportedVersion > 5) *pSupportedVersion = 5;
    return VK_SUCCESS;
}

ANARCHY_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vk_icdGetInstanceProcAddr(VkInstance, const char* pName) noexcept {
    return pName ? anarchy::client::entry_point(pName) : nullptr;
}

ANARCHY_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vk_icdGetPhysicalDeviceProcAddr(VkInstance, const char* pName) noexcept {
    return pName ? anarchy::client::entry_point(pName) : nullptr;
}
