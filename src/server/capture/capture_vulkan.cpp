#include "server/capture/capture_vulkan.h"

#include <cstdio>

namespace anarchy::server::capture {

bool load_instance_functions(PFN_vkGetInstanceProcAddr get_instance_proc_addr, VkInstance instance,
                             InstanceFunctions& out, std::string& missing) {
    if (!get_instance_proc_addr) {
        missing = "vkGetInstanceProcAddr";
        return false;
    }
#define ANARCHY_CAPTURE_LOAD(name)                                                              \
    out.name = reinterpret_cast<PFN_##name>(get_instance_proc_addr(instance, #name));           \
    if (!out.name) {                                                                            \
        missing = #name;                                                                        \
        return false;                                                                           \
    }
    ANARCHY_CAPTURE_INSTANCE_FUNCTIONS(ANARCHY_CAPTURE_LOAD)
#undef ANARCHY_CAPTURE_LOAD
    return true;
}

bool load_device_functions(const InstanceFunctions& instance_functions, VkDevice device, DeviceFunctions& out,
                           std::string& missing) {
#define ANARCHY_CAPTURE_LOAD(name)                                                                          \
    out.name = reinterpret_cast<PFN_##name>(instance_functions.vkGetDeviceProcAddr(device, #name));        \
    if (!out.name) {                                                                                        \
        missing = #name;                                                                                    \
        return false;                                                                                       \
    }
    ANARCHY_CAPTURE_DEVICE_FUNCTIONS(ANARCHY_CAPTURE_LOAD)
#undef ANARCHY_CAPTURE_LOAD
    return true;
}

VulkanCallError::VulkanCallError(const char* call, VkResult result)
    : std::runtime_error(std::string(call) + " failed: " + vk_result_name(result)), result_(result) {}

const char* vk_result_name(VkResult result) {
    switch (result) {
#define ANARCHY_CAPTURE_RESULT(name) \
    case name: return #name;
        ANARCHY_CAPTURE_RESULT(VK_SUCCESS)
        ANARCHY_CAPTURE_RESULT(VK_NOT_READY)
        ANARCHY_CAPTURE_RESULT(VK_TIMEOUT)
        ANARCHY_CAPTURE_RESULT(VK_INCOMPLETE)
        ANARCHY_CAPTURE_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
        ANARCHY_CAPTURE_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        ANARCHY_CAPTURE_RESULT(VK_ERROR_INITIALIZATION_FAILED)
        ANARCHY_CAPTURE_RESULT(VK_ERROR_DEVICE_LOST)
        ANARCHY_CAPTURE_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
        ANARCHY_CAPTURE_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
        ANARCHY_CAPTURE_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
        ANARCHY_CAPTURE_RESULT(VK_ERROR_FRAGMENTED_POOL)
        ANARCHY_CAPTURE_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
        ANARCHY_CAPTURE_RESULT(VK_ERROR_UNKNOWN)
#undef ANARCHY_CAPTURE_RESULT
        default: {
            thread_local char buffer[32];
            std::snprintf(buffer, sizeof buffer, "VkResult %d", static_cast<int>(result));
            return buffer;
        }
    }
}

}  // namespace anarchy::server::capture
