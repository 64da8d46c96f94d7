// The Vulkan side every scenario shares: an instance with VK_KHR_surface and one platform surface extension, the
// surface, the first physical device with a queue family that has graphics and can present to the surface, and a
// device with VK_KHR_swapchain and that one queue. Public API only, so the program runs unchanged on any driver.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

namespace anarchy::wsitest {

class Progress;
class TestWindow;

/// A host-visible, host-coherent buffer, mapped for its lifetime.
struct HostBuffer {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    void* mapped = nullptr;
};

class WsiDevice {
public:
    /// Extensions beyond VK_KHR_surface and VK_KHR_swapchain (Unsupported when they are not offered).
    enum class Extras {
        None,
        PresentWait,           ///< VK_KHR_present_id and VK_KHR_present_wait with their features
        SwapchainMaintenance1,  ///< VK_EXT_surface_maintenance1 (and get_surface_capabilities2), swapchain_maintenance1
        SharedPresentableImage,  ///< VK_KHR_get_surface_capabilities2, VK_KHR_shared_presentable_image
        LowLatency2,  ///< Vulkan 1.2 with timeline semaphores, VK_KHR_get_surface_capabilities2, present id and wait,
                      ///< VK_NV_low_latency2
        PresentBarrier,  ///< VK_KHR_get_surface_capabilities2, present id and wait, VK_NV_present_barrier and its feature
        PresentMetering,  ///< present id and wait, VK_NV_present_metering and its feature
        FifoLatestReady,  ///< VK_KHR_present_mode_fifo_latest_ready and its feature
        PresentWait2  ///< VK_KHR_get_surface_capabilities2, VK_EXT_swapchain_colorspace,
                      ///< VK_KHR_surface_protected_capabilities; VK_KHR_present_id2 and VK_KHR_present_wait2
    };
    /// Presents to `window` through VK_KHR_xcb_surface.
    WsiDevice(Progress& progress, TestWindow& window, Extras extras = Extras::None);
    /// Presents to a VK_EXT_headless_surface; throws Unsupported when the instance lacks the extension.
    explicit WsiDevice(Progress& progress);
    ~WsiDevice();
    WsiDevice(const WsiDevice&) = delete;
    WsiDevice& operator=(const WsiDevice&) = delete;

    VkInstance instance() const { return instance_; }
    VkPhysicalDevice physical_device() const { return physical_device_; }
    VkDevice device() const { return device_; }
    VkQueue queue() const { return queue_; }
    uint32_t queue_family() const { return queue_family_; }
    VkSurfaceKHR surface() const { return surface_; }

    VkSurfaceCapabilitiesKHR surface_capabilities() const;
    std::vector<VkPresentModeKHR> present_modes() const;
    /// B8G8R8A8_UNORM if the surface offers it, else B8G8R8A8_SRGB (either with SRGB_NONLINEAR); throws otherwise.
    VkSurfaceFormatKHR choose_surface_format(VkColorSpaceKHR colour_space = VK_COLOR_SPACE_SRGB_NONLINEAR_KHR) const;

    /// A buffer of `size` bytes usable as a transfer source; destroy it with destroy_buffer().
    HostBuffer create_host_buffer(VkDeviceSize size, VkBufferUsageFlags usage);
    void destroy_buffer(HostBuffer& buffer);

private:
    void create_instance(const char* surface_extension, Extras extras);
    void pick_device(TestWindow* window);
    void create_device(Extras extras);
    void destroy();

    Progress& progress_;
    VkInstance instance_ = VK_NULL_HANDLE;
    VkSurfaceKHR surface_ = VK_NULL_HANDLE;
    VkPhysicalDevice physical_device_ = VK_NULL_HANDLE;
    uint32_t queue_family_ = 0;
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
};

}  // namespace anarchy::wsitest
