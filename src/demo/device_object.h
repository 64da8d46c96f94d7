// RAII ownership of one Vulkan object created from a VkDevice, destroyed with its vkDestroy*/vkFree* call.
#pragma once

#include <vulkan/vulkan.h>

#include <utility>

namespace anarchy::demo {

/// Owns `Handle`; `Destroy` is e.g. vkDestroyFence. Move-only.
template <typename Handle, auto Destroy>
class DeviceObject {
public:
    DeviceObject() = default;
    DeviceObject(VkDevice device, Handle handle) : device_(device), handle_(handle) {}
    ~DeviceObject() { reset(); }

    DeviceObject(DeviceObject&& other) noexcept
        : device_(other.device_), handle_(std::exchange(other.handle_, VK_NULL_HANDLE)) {}
    DeviceObject& operator=(DeviceObject&& other) noexcept {
        if (this != &other) {
            reset();
            device_ = other.device_;
            handle_ = std::exchange(other.handle_, VK_NULL_HANDLE);
        }
        return *this;
    }
    DeviceObject(const DeviceObject&) = delete;
    DeviceObject& operator=(const DeviceObject&) = delete;

    Handle get() const { return handle_; }
    explicit operator bool() const { return handle_ != VK_NULL_HANDLE; }

    /// Destroys the current object and returns the slot a vkCreate* call writes the new one to.
    Handle* put(VkDevice device) {
        reset();
        device_ = device;
        return &handle_;
    }

    void reset() {
        if (handle_ != VK_NULL_HANDLE) Destroy(device_, handle_, nullptr);
        handle_ = VK_NULL_HANDLE;
    }

private:
    VkDevice device_ = VK_NULL_HANDLE;
    Handle handle_ = VK_NULL_HANDLE;
};

using UniqueBuffer = DeviceObject<VkBuffer, vkDestroyBuffer>;
using UniqueImage = DeviceObject<VkImage, vkDestroyImage>;
using UniqueImageView = DeviceObject<VkImageView, vkDestroyImageView>;
using UniqueMemory = DeviceObject<VkDeviceMemory, vkFreeMemory>;
using UniqueSampler = DeviceObject<VkSampler, vkDestroySampler>;
using UniqueFence = DeviceObject<VkFence, vkDestroyFence>;
using UniqueSemaphore = DeviceObject<VkSemaphore, vkDestroySemaphore>;
using UniqueSwapchain = DeviceObject<VkSwapchainKHR, vkDestroySwapchainKHR>;
using UniqueCommandPool = DeviceObject<VkCommandPool, vkDestroyCommandPool>;
using UniqueShaderModule = DeviceObject<VkShaderModule, vkDestroyShaderModule>;
using UniqueDescriptorSetLayout = DeviceObject<VkDescriptorSetLayout, vkDestroyDescriptorSetLayout>;
using UniqueDescriptorPool = DeviceObject<VkDescriptorPool, vkDestroyDescriptorPool>;
using UniquePipelineLayout = DeviceObject<VkPipelineLayout, vkDestroyPipelineLayout>;
using UniquePipeline = DeviceObject<VkPipeline, vkDestroyPipeline>;

}  // namespace anarchy::demo
