// The swapchain frames are presented through: its surface format and present mode, its images as render
// targets, a render-finished semaphore per image, and its re-creation when the surface changes size.
#pragma once

#include "device_object.h"
#include "render_target.h"

#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

namespace anarchy::demo {

class VulkanContext;

class SwapchainTarget {
public:
    struct Settings {
        VkPresentModeKHR present_mode = VK_PRESENT_MODE_FIFO_KHR;  // FIFO, with a note, where unsupported
        bool readable = false;  // images can be copied from (TRANSFER_SRC), for --png
    };

    /// What acquire() and present() report. Suboptimal: it worked, but the swapchain should be re-created;
    /// OutOfDate: nothing was acquired or presented, re-create before the next frame.
    enum class Status { Ok, Suboptimal, OutOfDate };

    /// How long acquire() waits for an image before it gives up.
    static constexpr uint64_t kAcquireTimeoutNs = 5'000'000'000;

    /// Chooses the surface format (8-bit sRGB preferred) and present mode for the context's surface and
    /// creates the first swapchain, sized like the surface or, where the surface leaves that to the
    /// swapchain, `preferred_extent`. Throws VulkanError when the surface cannot be rendered to as asked.
    SwapchainTarget(const VulkanContext& context, const Settings& settings, VkExtent2D preferred_extent);

    /// The images' format: the scene's pipeline must be built for it.
    VkFormat format() const { return surface_format_.format; }
    VkExtent2D extent() const { return extent_; }
    /// False while the surface is 0x0 (e.g. a minimised window): then there is nothing to render into.
    bool ready() const { return ready_; }

    /// Waits for the device to go idle (nothing may use the old images any more), then replaces the
    /// swapchain by one of the surface's current size, handing the old one over as oldSwapchain. Returns
    /// ready(): false, with no images, while that size is 0x0.
    bool recreate(VkExtent2D preferred_extent);

    /// Acquires the next image into `image_index`; `image_available` is signalled once it may be written.
    /// Needs ready(). Throws VulkanError when no image comes within kAcquireTimeoutNs, and on errors.
    Status acquire(VkSemaphore image_available, uint32_t& image_index);

    /// Image `image_index` as a render target whose frames end in PRESENT_SRC_KHR.
    RenderTarget target(uint32_t image_index) const;

    /// Signalled by the submission that renders into image `image_index`, waited on by its presentation.
    /// One per image, not per frame slot: it is free again only when the image is acquired again.
    VkSemaphore render_finished(uint32_t image_index) const { return render_finished_.at(image_index).get(); }

    /// Queues the presentation of image `image_index` once its render_finished semaphore is signalled.
    Status present(VkQueue queue, uint32_t image_index);

private:
    VkSurfaceCapabilitiesKHR capabilities() const;
    void create(VkExtent2D preferred_extent);

    const VulkanContext& context_;
    VkSurfaceFormatKHR surface_format_{};
    VkPresentModeKHR present_mode_ = VK_PRESENT_MODE_FIFO_KHR;
    VkImageUsageFlags usage_ = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;

    // The current swapchain and what hangs off its images; replaced together by create().
    UniqueSwapchain swapchain_;  // kept while not ready(), to be handed over as oldSwapchain
    VkExtent2D extent_{};
    std::vector<VkImage> images_;  // owned by the swapchain
    std::vector<UniqueImageView> views_;
    std::vector<UniqueSemaphore> render_finished_;
    bool ready_ = false;
};

}  // namespace anarchy::demo
