// The instance, the first physical device, a logical device with one graphics queue (that can also present
// to the surface, where there is one), and helpers the rest of the demo shares (memory type choice, one-shot
// submissions).
#pragma once

#include "device_object.h"

#include <vulkan/vulkan.h>

#include <functional>
#include <string>
#include <vector>

namespace anarchy::demo {

/// What a context needs beyond rendering offscreen: the defaults give exactly that.
struct ContextOptions {
    std::vector<const char*> instance_extensions;
    std::vector<const char*> device_extensions;
    /// What needs the extensions, e.g. "--present window", named in the error when one is missing.
    std::string needed_by;
    /// Creates the surface frames are presented to once the instance exists; empty: no surface. The context
    /// destroys the surface before the instance.
    std::function<VkSurfaceKHR(VkInstance)> create_surface;
};

class VulkanContext {
public:
    /// Creates everything on the first physical device; throws VulkanError when a call fails, an extension
    /// is missing, the device lacks Vulkan 1.3 dynamic rendering or no graphics queue can present to the
    /// surface.
    explicit VulkanContext(const char* application_name, const ContextOptions& options = {});
    ~VulkanContext();
    VulkanContext(const VulkanContext&) = delete;
    VulkanContext& operator=(const VulkanContext&) = delete;

    VkInstance instance() const { return instance_; }
    VkPhysicalDevice physical_device() const { return physical_device_; }
    /// VK_NULL_HANDLE unless ContextOptions::create_surface made one.
    VkSurfaceKHR surface() const { return surface_; }
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
    void create_instance(const char* application_name, const ContextOptions& options);
    void pick_physical_device(const ContextOptions& options);
    void create_device(const ContextOptions& options);
    void destroy();

    VkInstance instance_ = VK_NULL_HANDLE;
    VkSurfaceKHR surface_ = VK_NULL_HANDLE;
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
