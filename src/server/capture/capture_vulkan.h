// How the capture module calls Vulkan: function tables filled from the caller's vkGetInstanceProcAddr (the
// module never links the loader), owned handles destroyed through those tables, and the exception that
// carries a failed call out to FrameCapturer's entry points.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include <vulkan/vulkan_core.h>

namespace anarchy::server::capture {

// Each list names a function once; the tables and loaders are expanded from it.
#define ANARCHY_CAPTURE_INSTANCE_FUNCTIONS(X) \
    X(vkGetDeviceProcAddr)                    \
    X(vkGetPhysicalDeviceProperties)          \
    X(vkGetPhysicalDeviceMemoryProperties)    \
    X(vkGetPhysicalDeviceQueueFamilyProperties)

#define ANARCHY_CAPTURE_DEVICE_FUNCTIONS(X) \
    X(vkAllocateCommandBuffers)             \
    X(vkAllocateDescriptorSets)             \
    X(vkAllocateMemory)                     \
    X(vkBeginCommandBuffer)                 \
    X(vkBindBufferMemory)                   \
    X(vkCmdBindDescriptorSets)              \
    X(vkCmdBindPipeline)                    \
    X(vkCmdCopyImageToBuffer)               \
    X(vkCmdCopyBuffer)                      \
    X(vkCmdDispatch)                        \
    X(vkCmdPipelineBarrier)                 \
    X(vkCmdPushConstants)                   \
    X(vkCmdResetQueryPool)                  \
    X(vkCmdWriteTimestamp)                  \
    X(vkCreateBuffer)                       \
    X(vkCreateCommandPool)                  \
    X(vkCreateComputePipelines)             \
    X(vkCreateDescriptorPool)               \
    X(vkCreateDescriptorSetLayout)          \
    X(vkCreateFence)                        \
    X(vkCreatePipelineLayout)               \
    X(vkCreateQueryPool)                    \
    X(vkCreateShaderModule)                 \
    X(vkDestroyBuffer)                      \
    X(vkDestroyCommandPool)                 \
    X(vkDestroyDescriptorPool)              \
    X(vkDestroyDescriptorSetLayout)         \
    X(vkDestroyFence)                       \
    X(vkDestroyPipeline)                    \
    X(vkDestroyPipelineLayout)              \
    X(vkDestroyQueryPool)                   \
    X(vkDestroyShaderModule)                \
    X(vkEndCommandBuffer)                   \
    X(vkFreeMemory)                         \
    X(vkGetBufferMemoryRequirements)        \
    X(vkGetFenceStatus)                     \
    X(vkGetQueryPoolResults)                \
    X(vkInvalidateMappedMemoryRanges)       \
    X(vkMapMemory)                          \
    X(vkQueueSubmit)                        \
    X(vkResetFences)                        \
    X(vkUpdateDescriptorSets)               \
    X(vkWaitForFences)

#define ANARCHY_CAPTURE_DECLARE_POINTER(name) PFN_##name name = nullptr;

/// Instance-level functions capture uses, resolved for one VkInstance.
struct InstanceFunctions {
    ANARCHY_CAPTURE_INSTANCE_FUNCTIONS(ANARCHY_CAPTURE_DECLARE_POINTER)
};

/// Device-level functions capture uses, resolved for one VkDevice.
struct DeviceFunctions {
    ANARCHY_CAPTURE_DEVICE_FUNCTIONS(ANARCHY_CAPTURE_DECLARE_POINTER)
};

#undef ANARCHY_CAPTURE_DECLARE_POINTER

/// Resolves every instance function; on failure returns false and names the first missing one in `missing`.
bool load_instance_functions(PFN_vkGetInstanceProcAddr get_instance_proc_addr, VkInstance instance,
                             InstanceFunctions& out, std::string& missing);
/// Resolves every device function through vkGetDeviceProcAddr; false and the missing name on failure.
bool load_device_functions(const InstanceFunctions& instance_functions, VkDevice device, DeviceFunctions& out,
                           std::string& missing);

/// A failed Vulkan call (result is its VkResult) or a capability the device lacks (result VK_SUCCESS).
class VulkanCallError : public std::runtime_error {
public:
    VulkanCallError(const char* call, VkResult result);
    explicit VulkanCallError(const std::string& message) : std::runtime_error(message) {}
    VkResult result() const { return result_; }

private:
    VkResult result_ = VK_SUCCESS;
};

/// Throws VulkanCallError unless result is VK_SUCCESS.
inline void vk_check(VkResult result, const char* call) {
    if (result != VK_SUCCESS) throw VulkanCallError(call, result);
}

/// "VK_ERROR_DEVICE_LOST" and the like; "VkResult <n>" for codes it does not know.
const char* vk_result_name(VkResult result);

/// Owns one object created from a VkDevice and destroys it through the loaded table's vkDestroy*/vkFree*.
/// Move-only. release() gives the handle up without destroying it (used to leak what the GPU may still use).
template <typename Handle, auto DeviceFunctions::*Destroy>
class Owned {
public:
    Owned() = default;
    Owned(const DeviceFunctions* vk, VkDevice device, Handle handle) : vk_(vk), device_(device), handle_(handle) {}
    ~Owned() { reset(); }
    Owned(Owned&& other) noexcept
        : vk_(other.vk_), device_(other.device_), handle_(std::exchange(other.handle_, VK_NULL_HANDLE)) {}
    Owned& operator=(Owned&& other) noexcept {
        if (this != &other) {
            reset();
            vk_ = other.vk_;
            device_ = other.device_;
            handle_ = std::exchange(other.handle_, VK_NULL_HANDLE);
        }
        return *this;
    }
    Owned(const Owned&) = delete;
    Owned& operator=(const Owned&) = delete;

    Handle get() const { return handle_; }
    explicit operator bool() const { return handle_ != VK_NULL_HANDLE; }
    void reset() {
        if (handle_ != VK_NULL_HANDLE) (vk_->*Destroy)(device_, handle_, nullptr);
        handle_ = VK_NULL_HANDLE;
    }
    Handle release() { return std::exchange(handle_, VK_NULL_HANDLE); }

private:
    const DeviceFunctions* vk_ = nullptr;
    VkDevice device_ = VK_NULL_HANDLE;
    Handle handle_ = VK_NULL_HANDLE;
};

using OwnedBuffer = Owned<VkBuffer, &DeviceFunctions::vkDestroyBuffer>;
using OwnedMemory = Owned<VkDeviceMemory, &DeviceFunctions::vkFreeMemory>;
using OwnedFence = Owned<VkFence, &DeviceFunctions::vkDestroyFence>;
using OwnedCommandPool = Owned<VkCommandPool, &DeviceFunctions::vkDestroyCommandPool>;
using OwnedQueryPool = Owned<VkQueryPool, &DeviceFunctions::vkDestroyQueryPool>;
using OwnedShaderModule = Owned<VkShaderModule, &DeviceFunctions::vkDestroyShaderModule>;
using OwnedDescriptorSetLayout = Owned<VkDescriptorSetLayout, &DeviceFunctions::vkDestroyDescriptorSetLayout>;
using OwnedDescriptorPool = Owned<VkDescriptorPool, &DeviceFunctions::vkDestroyDescriptorPool>;
using OwnedPipelineLayout = Owned<VkPipelineLayout, &DeviceFunctions::vkDestroyPipelineLayout>;
using OwnedPipeline = Owned<VkPipeline, &DeviceFunctions::vkDestroyPipeline>;

}  // namespace anarchy::server::capture
