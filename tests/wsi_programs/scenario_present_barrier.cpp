// present_barrier: VK_NV_present_barrier. Three 160x120 windows on one device, a FIFO swapchain of 3 images on each;
// A and B are created with VkSwapchainPresentBarrierCreateInfoNV::presentBarrierEnable, C without it. Each frame is
// acquired with a fence, cleared, submitted with a fence (both waited for) and presented with a present id.
// - the presentBarrier feature and VkSurfaceCapabilitiesPresentBarrierNV::presentBarrierSupported;
// - A's present alone is held back: vkWaitForPresentKHR times out after 300 ms, while C (outside the barrier) shows
//   its frame meanwhile; once B presents, both A's and B's frames are shown;
// - N more frames presented to A and B in turn are all shown;
// - B recreated without the structure leaves the barrier: A's presents alone are shown again.
// Mesa 22.3's lavapipe (Debian 12) lacks the extension, so natively this scenario exits 77 there.
#include <algorithm>
#include <vector>

#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "test_window.h"
#include "wsi_device.h"

namespace anarchy::wsitest {

namespace {

constexpr uint64_t kTwoSeconds = 2'000'000'000ull;
constexpr uint64_t kHeldNs = 300'000'000ull;

/// A swapchain on one of the test's surfaces, presenting one frame at a time with present ids.
class BarrierSwapchain {
public:
    BarrierSwapchain(Progress& progress, WsiDevice& device, VkSurfaceKHR surface, bool use_barrier, const char* name)
        : progress_(progress), device_(device), dev_(device.device()), surface_(surface), name_(name) {
        VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
        pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
        pool_info.queueFamilyIndex = device.queue_family();
        VK_CHECK(vkCreateCommandPool(dev_, &pool_info, nullptr, &pool_));
        VkCommandBufferAllocateInfo allocate{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, nullptr, pool_,
                                             VK_COMMAND_BUFFER_LEVEL_PRIMARY, 1};
        VK_CHECK(vkAllocateCommandBuffers(dev_, &allocate, &cmd_));
        VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        VK_CHECK(vkCreateFence(dev_, &fence_info, nullptr, &fence_));
        create(use_barrier);
    }
    ~BarrierSwapchain() {
        vkDeviceWaitIdle(dev_);
        vkDestroySwapchainKHR(dev_, swapchain_, nullptr);
        vkDestroyFence(dev_, fence_, nullptr);
        vkDestroyCommandPool(dev_, pool_, nullptr);
    }
    BarrierSwapchain(const BarrierSwapchain&) = delete;
    BarrierSwapchain& operator=(const BarrierSwapchain&) = delete;

    VkSwapchainKHR swapchain() const { return swapchain_; }

    /// A new swapchain in place of this one (oldSwapchain), with or without the present barrier.
    void create(bool use_barrier) {
        VkSurfaceCapabilitiesKHR caps{};
        VK_CHECK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(device_.physical_device(), surface_, &caps));
        VkSwapchainPresentBarrierCreateInfoNV barrier_info{VK_STRUCTURE_TYPE_SWAPCHAIN_PRESENT_BARRIER_CREATE_INFO_NV};
        barrier_info.presentBarrierEnable = VK_TRUE;
        VkSwapchainCreateInfoKHR ci = fifo_transfer_swapchain_info(surface_, caps, device_.choose_surface_format(),
                                                                   use_barrier ? &barrier_info : nullptr);
        ci.oldSwapchain = swapchain_;
        progress_.step(strprintf("vkCreateSwapchainKHR for %s (%s the present barrier)", name_,
                                 use_barrier ? "using" : "without"));
        VkSwapchainKHR made = VK_NULL_HANDLE;
        VK_CHECK(vkCreateSwapchainKHR(dev_, &ci, nullptr, &made));
        if (swapchain_) {
            vkDeviceWaitIdle(dev_);
            vkDestroySwapchainKHR(dev_, swapchain_, nullptr);
        }
        swapchain_ = made;
        images_ = swapchain_images(dev_, swapchain_);
    }

    /// Acquires, clears and presents one frame with `present_id`; the GPU has finished it when this returns.
    void present(uint64_t present_id) {
        uint32_t index = 0;
        progress_.step(strprintf("vkAcquireNextImageKHR on %s", name_));
        VK_CHECK(vkAcquireNextImageKHR(dev_, swapchain_, kWaitTimeoutNs, VK_NULL_HANDLE, fence_, &index));
        wait_fence();
        VK_CHECK(vkResetCommandBuffer(cmd_, 0));
        VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        VK_CHECK(vkBeginCommandBuffer(cmd_, &begin));
        transfer_barrier(cmd_, images_[index], VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
        const VkClearColorValue colour = frame_colour(uint32_t(present_id));
        const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        vkCmdClearColorImage(cmd_, images_[index], VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colour, 1, &range);
        transfer_barrier(cmd_, images_[index], VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR);
        VK_CHECK(vkEndCommandBuffer(cmd_));
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd_;
        VK_CHECK(vkQueueSubmit(device_.queue(), 1, &submit, fence_));
        wait_fence();
        VkPresentIdKHR id{VK_STRUCTURE_TYPE_PRESENT_ID_KHR, nullptr, 1, &present_id};
        VkPresentInfoKHR info{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR, &id};
        info.swapchainCount = 1;
        info.pSwapchains = &swapchain_;
        info.pImageIndices = &index;
        progress_.step(strprintf("vkQueuePresentKHR on %s, present id %llu", name_, (unsigned long long)present_id));
        VK_CHECK(vkQueuePresentKHR(device_.queue(), &info));
    }

private:
    void wait_fence() {
        const VkResult r = vkWaitForFences(dev_, 1, &fence_, VK_TRUE, kWaitTimeoutNs);
        require(r == VK_SUCCESS, strprintf("%s: a fence did not signal (%s)", name_, result_name(r).c_str()));
        VK_CHECK(vkResetFences(dev_, 1, &fence_));
    }

    Progress& progress_;
    WsiDevice& device_;
    VkDevice dev_;
    VkSurfaceKHR surface_;
    const char* name_;
    VkSwapchainKHR swapchain_ = VK_NULL_HANDLE;
    std::vector<VkImage> images_;
    VkCommandPool pool_ = VK_NULL_HANDLE;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
};

/// A surface for another window of the test, destroyed before the WsiDevice's instance.
class ExtraSurface {
public:
    ExtraSurface(WsiDevice& device, TestWindow& window) : instance_(device.instance()) {
        surface_ = window.create_surface(instance_);
        VkBool32 supported = VK_FALSE;
        VK_CHECK(vkGetPhysicalDeviceSurfaceSupportKHR(device.physical_device(), device.queue_family(), surface_,
                                                      &supported));
        require(supported, "the queue family cannot present to the second window's surface");
    }
    ~ExtraSurface() { vkDestroySurfaceKHR(instance_, surface_, nullptr); }
    ExtraSurface(const ExtraSurface&) = delete;
    ExtraSurface& operator=(const ExtraSurface&) = delete;
    VkSurfaceKHR get() const { return surface_; }

private:
    VkInstance instance_;
    VkSurfaceKHR surface_ = VK_NULL_HANDLE;
};

}  // namespace

void run_present_barrier(Progress& progress, const ScenarioOptions& options) {
    TestWindow window_a(160, 120, "anarchy_wsi_test present_barrier A");
    TestWindow window_b(160, 120, "anarchy_wsi_test present_barrier B");
    TestWindow window_c(160, 120, "anarchy_wsi_test present_barrier C");
    announce_window(window_a);
    WsiDevice device(progress, window_a, WsiDevice::Extras::PresentBarrier);
    const VkDevice dev = device.device();
    auto wait_for_present = device_proc<PFN_vkWaitForPresentKHR>(dev, "vkWaitForPresentKHR");
    ExtraSurface surface_b(device, window_b);
    ExtraSurface surface_c(device, window_c);

    auto caps2 = reinterpret_cast<PFN_vkGetPhysicalDeviceSurfaceCapabilities2KHR>(
        vkGetInstanceProcAddr(device.instance(), "vkGetPhysicalDeviceSurfaceCapabilities2KHR"));
    require(caps2 != nullptr, "no vkGetPhysicalDeviceSurfaceCapabilities2KHR");
    for (VkSurfaceKHR surface : {device.surface(), surface_b.get()}) {
        VkSurfaceCapabilitiesPresentBarrierNV barrier_caps{VK_STRUCTURE_TYPE_SURFACE_CAPABILITIES_PRESENT_BARRIER_NV};
        VkSurfaceCapabilities2KHR caps{VK_STRUCTURE_TYPE_SURFACE_CAPABILITIES_2_KHR, &barrier_caps};
        VkPhysicalDeviceSurfaceInfo2KHR info{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SURFACE_INFO_2_KHR, nullptr, surface};
        VK_CHECK(caps2(device.physical_device(), &info, &caps));
        if (!barrier_caps.presentBarrierSupported) throw Unsupported("the surfaces cannot use the present barrier");
    }
    progress.pass("presentBarrier enabled; both windows' surfaces support the present barrier");

    BarrierSwapchain a(progress, device, device.surface(), true, "A");
    BarrierSwapchain b(progress, device, surface_b.get(), true, "B");
    BarrierSwapchain c(progress, device, surface_c.get(), false, "C");
    uint64_t id = 1;
    a.present(id);
    c.present(id);
    progress.step("vkWaitForPresentKHR on C, outside the barrier");
    VkResult r = wait_for_present(dev, c.swapchain(), id, kTwoSeconds);
    require(r == VK_SUCCESS, "C's present (outside the barrier) was not shown while A's waited: " + result_name(r));
    progress.step("vkWaitForPresentKHR on A, alone in its set");
    r = wait_for_present(dev, a.swapchain(), id, kHeldNs);
    require(r == VK_TIMEOUT, "A's present was not held back while B had not presented: " + result_name(r));
    b.present(id);
    progress.step("vkWaitForPresentKHR on A and B, their set complete");
    r = wait_for_present(dev, a.swapchain(), id, kTwoSeconds);
    require(r == VK_SUCCESS, "A's present was not shown once B presented: " + result_name(r));
    r = wait_for_present(dev, b.swapchain(), id, kTwoSeconds);
    require(r == VK_SUCCESS, "B's present was not shown: " + result_name(r));
    progress.pass("A's present was held back 300 ms (C's shown meanwhile) until B presented; then both were shown");

    for (uint32_t frame = 0; frame < options.frames; ++frame) {
        ++id;
        a.present(id);
        b.present(id);
        progress.step("vkWaitForPresentKHR on A and B");
        r = wait_for_present(dev, a.swapchain(), id, kTwoSeconds);
        require(r == VK_SUCCESS, strprintf("A's present %llu was not shown: %s", (unsigned long long)id,
                                           result_name(r).c_str()));
        r = wait_for_present(dev, b.swapchain(), id, kTwoSeconds);
        require(r == VK_SUCCESS, strprintf("B's present %llu was not shown: %s", (unsigned long long)id,
                                           result_name(r).c_str()));
    }
    progress.pass(strprintf("%u presents to A and B in turn, each shown", options.frames));

    b.create(false);
    ++id;
    a.present(id);
    progress.step("vkWaitForPresentKHR on A after B left the barrier");
    r = wait_for_present(dev, a.swapchain(), id, kTwoSeconds);
    require(r == VK_SUCCESS, "A's present alone was not shown after B left the barrier: " + result_name(r));
    progress.pass("B recreated without the barrier: A's presents alone are shown again");
    window_a.drain_events();
    window_b.drain_events();
    window_c.drain_events();
}

}  // namespace anarchy::wsitest
