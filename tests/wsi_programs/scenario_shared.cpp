// shared: VK_KHR_shared_presentable_image. A 160x120 window:
// - the surface offers both shared present modes, and VkSharedPresentSurfaceCapabilitiesKHR (through
//   vkGetPhysicalDeviceSurfaceCapabilities2KHR) lets the shared image be a transfer destination;
// - a SHARED_DEMAND_REFRESH swapchain has exactly one image; it is acquired once, moved to SHARED_PRESENT_KHR and
//   then cleared N times in that layout without another acquire or transition, each clear presented (no
//   semaphores: its fence was waited for); after each present vkGetSwapchainStatusKHR is VK_SUCCESS and the window
//   shows that clear's colour within 3 s;
// - a SHARED_CONTINUOUS_REFRESH swapchain (the first one as oldSwapchain) presented once, then cleared again with no
//   present: the window shows the new colour anyway (the presentation engine refreshes from the image);
// - the window resized: vkGetSwapchainStatusKHR no longer says VK_SUCCESS (out of date, or suboptimal).
// Mesa 22.3's lavapipe (Debian 12) lacks the extension, so natively this scenario exits 77 there.
#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "test_window.h"
#include "wsi_device.h"

namespace anarchy::wsitest {

namespace {

constexpr uint32_t kWidth = 160;
constexpr uint32_t kHeight = 120;

/// Pure colours: every component 0 or 1, so UNORM and SRGB formats store them alike, and a lossy codec keeps them
/// close. Consecutive entries differ.
constexpr uint32_t kColours[] = {0xFF0000, 0x00FF00, 0x0000FF, 0xFFFF00, 0x00FFFF, 0xFF00FF, 0xFFFFFF};

VkClearColorValue clear_value(uint32_t rgb) {
    VkClearColorValue v{};
    v.float32[0] = float((rgb >> 16) & 0xFF) / 255.0f;
    v.float32[1] = float((rgb >> 8) & 0xFF) / 255.0f;
    v.float32[2] = float(rgb & 0xFF) / 255.0f;
    v.float32[3] = 1.0f;
    return v;
}

bool close_to(uint32_t a, uint32_t b) {
    for (int shift = 0; shift < 24; shift += 8) {
        const int d = int((a >> shift) & 0xFF) - int((b >> shift) & 0xFF);
        if (d > 40 || d < -40) return false;
    }
    return true;
}

/// Polls the window's centre until it shows `rgb` (3 s at most); throws naming `what` otherwise.
void expect_window_shows(Progress& progress, TestWindow& window, uint32_t rgb, const std::string& what) {
    progress.step("reading the window back (" + what + ")");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    uint32_t seen = 0;
    for (;;) {
        seen = window.pixel_rgb(kWidth / 2, kHeight / 2);
        if (close_to(seen, rgb)) return;
        if (std::chrono::steady_clock::now() > deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    throw TestFailure(strprintf("%s: the window shows #%06x after 3 s, not #%06x", what.c_str(), seen, rgb));
}

/// One command buffer and its fence, for clears of the shared image.
class Recorder {
public:
    explicit Recorder(WsiDevice& device) : device_(device) {
        const VkDevice dev = device.device();
        VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
        pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
        pool_info.queueFamilyIndex = device.queue_family();
        VK_CHECK(vkCreateCommandPool(dev, &pool_info, nullptr, &pool_));
        VkCommandBufferAllocateInfo allocate{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, nullptr, pool_,
                                             VK_COMMAND_BUFFER_LEVEL_PRIMARY, 1};
        VK_CHECK(vkAllocateCommandBuffers(dev, &allocate, &cmd_));
        VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        VK_CHECK(vkCreateFence(dev, &fence_info, nullptr, &fence_));
        VkSemaphoreCreateInfo semaphore_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
        VK_CHECK(vkCreateSemaphore(dev, &semaphore_info, nullptr, &acquired_));
    }
    ~Recorder() {
        const VkDevice dev = device_.device();
        vkDeviceWaitIdle(dev);
        vkDestroySemaphore(dev, acquired_, nullptr);
        vkDestroyFence(dev, fence_, nullptr);
        vkDestroyCommandPool(dev, pool_, nullptr);
    }
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    /// The semaphore an acquire signals; the next clear waits on it.
    VkSemaphore acquire_semaphore() {
        waits_acquire_ = true;
        return acquired_;
    }

    /// Clears `image` to `rgb` in SHARED_PRESENT_KHR (moving it there from UNDEFINED first when `first`), submits and
    /// waits for the fence: the image holds the colour when this returns.
    void clear(VkImage image, uint32_t rgb, bool first) {
        const VkDevice dev = device_.device();
        VK_CHECK(vkResetCommandBuffer(cmd_, 0));
        VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        VK_CHECK(vkBeginCommandBuffer(cmd_, &begin));
        // The first time a layout transition; later ones only order this clear after the previous one (and after
        // whatever the presentation engine read), in the one layout the shared image keeps.
        VkImageMemoryBarrier b{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
        b.srcAccessMask = first ? 0 : VK_ACCESS_TRANSFER_WRITE_BIT;
        b.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
        b.oldLayout = first ? VK_IMAGE_LAYOUT_UNDEFINED : VK_IMAGE_LAYOUT_SHARED_PRESENT_KHR;
        b.newLayout = VK_IMAGE_LAYOUT_SHARED_PRESENT_KHR;
        b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        b.image = image;
        b.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0,
                             nullptr, 1, &b);
        const VkClearColorValue colour = clear_value(rgb);
        const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        vkCmdClearColorImage(cmd_, image, VK_IMAGE_LAYOUT_SHARED_PRESENT_KHR, &colour, 1, &range);
        VK_CHECK(vkEndCommandBuffer(cmd_));
        VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        if (waits_acquire_) {
            submit.waitSemaphoreCount = 1;
            submit.pWaitSemaphores = &acquired_;
            submit.pWaitDstStageMask = &stage;
            waits_acquire_ = false;
        }
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd_;
        VK_CHECK(vkQueueSubmit(device_.queue(), 1, &submit, fence_));
        const VkResult r = vkWaitForFences(dev, 1, &fence_, VK_TRUE, kWaitTimeoutNs);
        require(r == VK_SUCCESS, "the clear's fence did not signal: " + result_name(r));
        VK_CHECK(vkResetFences(dev, 1, &fence_));
    }

private:
    WsiDevice& device_;
    VkCommandPool pool_ = VK_NULL_HANDLE;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
    VkSemaphore acquired_ = VK_NULL_HANDLE;
    bool waits_acquire_ = false;
};

VkSwapchainKHR create_shared_swapchain(WsiDevice& device, VkPresentModeKHR mode, VkSwapchainKHR old) {
    const VkSurfaceCapabilitiesKHR caps = device.surface_capabilities();
    const VkSurfaceFormatKHR format = device.choose_surface_format();
    VkSwapchainCreateInfoKHR ci{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
    ci.surface = device.surface();
    ci.minImageCount = 1;  // what a shared present mode requires
    ci.imageFormat = format.format;
    ci.imageColorSpace = format.colorSpace;
    ci.imageExtent = caps.currentExtent;
    ci.imageArrayLayers = 1;
    ci.imageUsage = VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
    ci.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
    ci.preTransform = VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR;
    ci.compositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
    ci.presentMode = mode;
    ci.clipped = VK_TRUE;
    ci.oldSwapchain = old;
    VkSwapchainKHR swapchain = VK_NULL_HANDLE;
    VK_CHECK(vkCreateSwapchainKHR(device.device(), &ci, nullptr, &swapchain));
    return swapchain;
}

/// The swapchain's one image, acquired (its semaphore is the recorder's; the next clear waits on it).
VkImage acquire_shared_image(Progress& progress, WsiDevice& device, VkSwapchainKHR swapchain, Recorder& recorder) {
    uint32_t count = 0;
    VK_CHECK(vkGetSwapchainImagesKHR(device.device(), swapchain, &count, nullptr));
    require(count == 1, strprintf("a shared presentable swapchain has %u images, not 1", count));
    VkImage image = VK_NULL_HANDLE;
    VK_CHECK(vkGetSwapchainImagesKHR(device.device(), swapchain, &count, &image));
    progress.step("vkAcquireNextImageKHR of the shared image");
    uint32_t index = UINT32_MAX;
    VK_CHECK(vkAcquireNextImageKHR(device.device(), swapchain, kWaitTimeoutNs, recorder.acquire_semaphore(),
                                   VK_NULL_HANDLE, &index));
    require(index == 0, strprintf("the shared image was acquired as index %u", index));
    return image;
}

VkResult present(WsiDevice& device, VkSwapchainKHR swapchain) {
    const uint32_t index = 0;
    VkPresentInfoKHR info{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
    info.swapchainCount = 1;
    info.pSwapchains = &swapchain;
    info.pImageIndices = &index;
    return vkQueuePresentKHR(device.queue(), &info);
}

}  // namespace

void run_shared(Progress& progress, const ScenarioOptions& options) {
    TestWindow window(kWidth, kHeight, "anarchy_wsi_test shared");
    announce_window(window);
    WsiDevice device(progress, window, WsiDevice::Extras::SharedPresentableImage);
    const VkDevice dev = device.device();
    auto status = device_proc<PFN_vkGetSwapchainStatusKHR>(dev, "vkGetSwapchainStatusKHR");

    const std::vector<VkPresentModeKHR> modes = device.present_modes();
    for (VkPresentModeKHR wanted : {VK_PRESENT_MODE_SHARED_DEMAND_REFRESH_KHR, VK_PRESENT_MODE_SHARED_CONTINUOUS_REFRESH_KHR})
        if (std::find(modes.begin(), modes.end(), wanted) == modes.end())
            throw Unsupported(strprintf("the surface does not offer shared present mode %d", int(wanted)));
    auto caps2 = reinterpret_cast<PFN_vkGetPhysicalDeviceSurfaceCapabilities2KHR>(
        vkGetInstanceProcAddr(device.instance(), "vkGetPhysicalDeviceSurfaceCapabilities2KHR"));
    require(caps2 != nullptr, "no vkGetPhysicalDeviceSurfaceCapabilities2KHR");
    VkSharedPresentSurfaceCapabilitiesKHR shared_caps{VK_STRUCTURE_TYPE_SHARED_PRESENT_SURFACE_CAPABILITIES_KHR};
    VkSurfaceCapabilities2KHR caps{VK_STRUCTURE_TYPE_SURFACE_CAPABILITIES_2_KHR, &shared_caps};
    VkPhysicalDeviceSurfaceInfo2KHR surface_info{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SURFACE_INFO_2_KHR, nullptr,
                                                 device.surface()};
    VK_CHECK(caps2(device.physical_device(), &surface_info, &caps));
    const VkImageUsageFlags needed = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    require((shared_caps.sharedPresentSupportedUsageFlags & needed) == needed,
            strprintf("sharedPresentSupportedUsageFlags 0x%x lack COLOR_ATTACHMENT or TRANSFER_DST",
                      shared_caps.sharedPresentSupportedUsageFlags));
    progress.pass(strprintf("both shared present modes offered; shared image usages 0x%x",
                            shared_caps.sharedPresentSupportedUsageFlags));

    Recorder recorder(device);
    progress.step("vkCreateSwapchainKHR, SHARED_DEMAND_REFRESH");
    VkSwapchainKHR demand = create_shared_swapchain(device, VK_PRESENT_MODE_SHARED_DEMAND_REFRESH_KHR, VK_NULL_HANDLE);
    VkImage image = acquire_shared_image(progress, device, demand, recorder);
    progress.pass("demand refresh: one image, acquired as index 0");
    for (uint32_t frame = 0; frame < options.frames; ++frame) {
        const uint32_t rgb = kColours[frame % std::size(kColours)];
        progress.step(strprintf("clearing the shared image for present %u", frame + 1));
        recorder.clear(image, rgb, frame == 0);
        progress.step("vkQueuePresentKHR of the shared image");
        VkResult r = present(device, demand);
        require(r == VK_SUCCESS, strprintf("present %u returned %s", frame + 1, result_name(r).c_str()));
        r = status(dev, demand);
        require(r == VK_SUCCESS, strprintf("vkGetSwapchainStatusKHR after present %u returned %s", frame + 1,
                                           result_name(r).c_str()));
        expect_window_shows(progress, window, rgb, strprintf("demand refresh, present %u", frame + 1));
    }
    progress.pass(strprintf("%u presents of the one image in SHARED_PRESENT_KHR, no acquire or transition between "
                            "them; each shown in the window, swapchain status VK_SUCCESS",
                            options.frames));

    progress.step("vkCreateSwapchainKHR, SHARED_CONTINUOUS_REFRESH, the demand one as oldSwapchain");
    VkSwapchainKHR continuous = create_shared_swapchain(device, VK_PRESENT_MODE_SHARED_CONTINUOUS_REFRESH_KHR, demand);
    vkDestroySwapchainKHR(dev, demand, nullptr);
    image = acquire_shared_image(progress, device, continuous, recorder);
    recorder.clear(image, 0x00FFFF, true);
    progress.step("the one present of the continuous refresh swapchain");
    VkResult r = present(device, continuous);
    require(r == VK_SUCCESS, "the continuous refresh present returned " + result_name(r));
    expect_window_shows(progress, window, 0x00FFFF, "continuous refresh, after its present");
    recorder.clear(image, 0xFF00FF, false);
    expect_window_shows(progress, window, 0xFF00FF, "continuous refresh, a later clear never presented");
    r = status(dev, continuous);
    require(r == VK_SUCCESS, "vkGetSwapchainStatusKHR of the continuous swapchain returned " + result_name(r));
    progress.pass("continuous refresh: a clear made after the one present reached the window without a present");

    progress.step("resizing the window under the shared swapchain");
    window.resize(kWidth + 40, kHeight + 20);
    r = status(dev, continuous);
    require(r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_SUBOPTIMAL_KHR,
            "vkGetSwapchainStatusKHR after the window was resized returned " + result_name(r));
    progress.pass("after a resize vkGetSwapchainStatusKHR returns " + result_name(r));
    progress.cleanup_step("vkDeviceWaitIdle, vkDestroySwapchainKHR");
    vkDeviceWaitIdle(dev);
    vkDestroySwapchainKHR(dev, continuous, nullptr);
    window.drain_events();
}

}  // namespace anarchy::wsitest
