#include "vulkan_error.h"

#include <string_view>

namespace anarchy::demo {

VulkanError::VulkanError(const std::string& call, VkResult result)
    : std::runtime_error(call + " failed: " + vk_result_name(result) + " (" + std::to_string(result) + ")"),
      result_(result) {}

VulkanError::VulkanError(const std::string& message) : std::runtime_error(message) {}

const char* vk_result_name(VkResult result) {
    switch (result) {
#define DEMO_RESULT_CASE(name) \
    case name:                 \
        return #name;
        DEMO_RESULT_CASE(VK_SUCCESS)
        DEMO_RESULT_CASE(VK_NOT_READY)
        DEMO_RESULT_CASE(VK_TIMEOUT)
        DEMO_RESULT_CASE(VK_EVENT_SET)
        DEMO_RESULT_CASE(VK_EVENT_RESET)
        DEMO_RESULT_CASE(VK_INCOMPLETE)
        DEMO_RESULT_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
        DEMO_RESULT_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        DEMO_RESULT_CASE(VK_ERROR_INITIALIZATION_FAILED)
        DEMO_RESULT_CASE(VK_ERROR_DEVICE_LOST)
        DEMO_RESULT_CASE(VK_ERROR_MEMORY_MAP_FAILED)
        DEMO_RESULT_CASE(VK_ERROR_LAYER_NOT_PRESENT)
        DEMO_RESULT_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
        DEMO_RESULT_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
        DEMO_RESULT_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
        DEMO_RESULT_CASE(VK_ERROR_TOO_MANY_OBJECTS)
        DEMO_RESULT_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
        DEMO_RESULT_CASE(VK_ERROR_FRAGMENTED_POOL)
        DEMO_RESULT_CASE(VK_ERROR_UNKNOWN)
        DEMO_RESULT_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
        DEMO_RESULT_CASE(VK_ERROR_INVALID_EXTERNAL_HANDLE)
        DEMO_RESULT_CASE(VK_ERROR_FRAGMENTATION)
        DEMO_RESULT_CASE(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
        DEMO_RESULT_CASE(VK_PIPELINE_COMPILE_REQUIRED)
        DEMO_RESULT_CASE(VK_ERROR_SURFACE_LOST_KHR)
        DEMO_RESULT_CASE(VK_ERROR_NATIVE_WINDOW_IN_USE_KHR)
        DEMO_RESULT_CASE(VK_SUBOPTIMAL_KHR)
        DEMO_RESULT_CASE(VK_ERROR_OUT_OF_DATE_KHR)
        DEMO_RESULT_CASE(VK_ERROR_VALIDATION_FAILED_EXT)
#undef DEMO_RESULT_CASE
        default:
            return "unknown VkResult";
    }
}

void vk_check(VkResult result, const char* expression) {
    if (result == VK_SUCCESS) return;
    // Name the function, not its whole argument list.
    std::string_view call(expression);
    call = call.substr(0, call.find('('));
    throw VulkanError(std::string(call), result);
}

}  // namespace anarchy::demo
