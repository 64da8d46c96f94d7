// Vulkan failures inside the demo are exceptions that name the call and its VkResult; main() turns them
// into a message and exit code 2.
#pragma once

#include <vulkan/vulkan.h>

#include <stdexcept>
#include <string>

namespace anarchy::demo {

/// A Vulkan call that returned an error, or a capability the demo needs that the device lacks.
class VulkanError : public std::runtime_error {
public:
    VulkanError(const std::string& call, VkResult result);
    explicit VulkanError(const std::string& message);

    /// VK_SUCCESS when the error is a missing capability rather than a failed call.
    VkResult result() const { return result_; }

private:
    VkResult result_ = VK_SUCCESS;
};

/// The enumerant's name, e.g. "VK_ERROR_DEVICE_LOST".
const char* vk_result_name(VkResult result);

/// Throws VulkanError unless result is VK_SUCCESS; `expression` is the call as written.
void vk_check(VkResult result, const char* expression);

}  // namespace anarchy::demo

/// Checks a Vulkan call that must return VK_SUCCESS; the message names the function.
#define VK_CHECK(call) ::anarchy::demo::vk_check((call), #call)
