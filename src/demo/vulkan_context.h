// The instance, the first physical device, a logical device with one graphics queue, and helpers the rest
// of the demo shares (memory type choice, one-shot submissions).
#pragma once

#include "device_object.h"

#include <vulkan/vulkan.h>

#include <functional>
#include <string>

namespace anarchy::demo {

class VulkanContext {
public:
    /// Creates everything on the first physical device; throws VulkanError when a call fails or the device
    /// lacks Vulkan 1.3 dynamic rendering.
    explicit VulkanContext(const char* application_name);
    ~VulkanContext();
    VulkanContext(const VulkanContext&) = delete;
    VulkanContext& operator=(const VulkanContext&) = delete;

    VkInstance instance() const { return instance_; }
    VkPhysicalDevice physical_device() const { return physical_device_; }
    VkDevice device() const { return device_; }
    VkQueue queue() const { return queue_; }
    uint32_t queue_family() const { return queue_family_; }
    const VkPhysicalDeviceProperties& properties() const { return properties_; }
    std::string device_name() const { return properties_.deviceName; }

    /// Index of a memory type allowed by `type_bits` that has all of `required`; throws if none.
    uint32_t find_memory_type(uint32_t type_bits, VkMemoryPropertyFlags required) const;

    /// Records commands with `record` into a fresh command buffer, submits it and waits for completion.
    void submit_and_wait(const std::function<void(VkCommandBuffer)>& record) const;

private:
    void create_instance(const char* application_name);
    void pick_physical_device();
    void create_device();
    void destroy();

    VkInstance instance_ = VK_NULL_HANDLE;
    VkPhysicalDevice physical_device_ = VK_NULL_HANDLE;
    VkPhysicalDeviceProperties properties_{};
    VkPhysicalDeviceMemoryProperties memory_properties_{};
    uint32_t queue_family_ = 0;
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    UniqueCommandPool one_shot_pool_;  // transient command buffers for uploads and readbacks
};

/// Waits until the device is idle when it goes out of scope, so that objects destroyed after it (declared
/// before it) are no longer in use, also when an exception unwinds the frame loop.
class DeviceIdleGuard {
public:
    explicit DeviceIdleGuard(VkDevice device) : device_(device) {}
    ~DeviceIdleGuard() { vkDeviceWaitIdle(device_); }
    DeviceIdleGuard(const DeviceIdleGuard&) = delete;
    DeviceIdleGuard& operator=(const DeviceIdleGuard&) = delete;

private:
    VkDevice device_;
};

}  // namespace anarchy::demo
