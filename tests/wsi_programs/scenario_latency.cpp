// latency: VK_NV_low_latency2 (NVIDIA Reflex, as DXVK-NVAPI and vkd3d-proton use it). A 160x120 window, a FIFO
// swapchain of 3 images created with VkSwapchainLatencyCreateInfoNV, and each frame as Reflex runs one:
// vkLatencySleepNV, a host wait on its timeline semaphore (2 s at most), the input/simulation/render-submit markers,
// a submission carrying VkLatencySubmissionPresentIdNV, and a present with that presentID between the present
// markers. Checked:
// - VkLatencySurfaceCapabilitiesNV lists present modes (two-call) that the surface offers;
// - low latency mode: every sleep signals, and at a wake the frames presented before it have been shown
//   (vkWaitForPresentKHR with timeout 0 succeeds; a fifth may miss, as an implementation may stop holding a wake back);
// - with minimumIntervalUs = 20 ms too, wakes are 20 ms apart on average (the frame limiter; each is seen here a
//   varying round trip after its signal);
// - with the mode off (vkSetLatencySleepModeNV with NULL) sleeps still signal;
// - vkGetLatencyTimingsNV (two-call) reports the frames oldest first, the newest last, with the markers in the order
//   the program set them and the driver's submission times inside its render-submit span; asking for fewer gives
//   the newest ones;
// - a submission on a queue marked out of band (vkQueueNotifyOutOfBandNV) is not counted as the frame's.
// Mesa 22.3's lavapipe (Debian 12) lacks the extension, so natively this scenario exits 77 there.
#include <algorithm>
#include <chrono>
#include <vector>

#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "test_window.h"
#include "wsi_device.h"

namespace anarchy::wsitest {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kMinimumIntervalUs = 20000;
constexpr uint64_t kTwoSeconds = 2'000'000'000ull;

/// Clears a swapchain image to `colour` and leaves it ready to present.
void record_clear(VkCommandBuffer cmd, VkImage image, VkClearColorValue colour) {
    transfer_barrier(cmd, image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
    const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdClearColorImage(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colour, 1, &range);
    transfer_barrier(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR);
}

struct LatencyProcs {
    PFN_vkSetLatencySleepModeNV set_sleep_mode;
    PFN_vkLatencySleepNV sleep;
    PFN_vkSetLatencyMarkerNV marker;
    PFN_vkGetLatencyTimingsNV timings;
    PFN_vkQueueNotifyOutOfBandNV out_of_band;
    PFN_vkWaitForPresentKHR wait_for_present;
};

/// The frame loop's objects: one command buffer and fence per frame (waited for before reuse), semaphores per image.
class LatencyLoop {
public:
    LatencyLoop(Progress& progress, WsiDevice& device, const LatencyProcs& vk)
        : progress_(progress), device_(device), dev_(device.device()), vk_(vk) {
        const VkSurfaceCapabilitiesKHR caps = device.surface_capabilities();
        const VkSurfaceFormatKHR format = device.choose_surface_format();
        VkSwapchainLatencyCreateInfoNV latency{VK_STRUCTURE_TYPE_SWAPCHAIN_LATENCY_CREATE_INFO_NV};
        latency.latencyModeEnable = VK_TRUE;
        const VkSwapchainCreateInfoKHR ci = fifo_transfer_swapchain_info(device.surface(), caps, format, &latency);
        progress_.step("vkCreateSwapchainKHR with VkSwapchainLatencyCreateInfoNV");
        VK_CHECK(vkCreateSwapchainKHR(dev_, &ci, nullptr, &swapchain_));
        images_ = swapchain_images(dev_, swapchain_);

        VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
        pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
        pool_info.queueFamilyIndex = device.queue_family();
        VK_CHECK(vkCreateCommandPool(dev_, &pool_info, nullptr, &pool_));
        VkCommandBufferAllocateInfo allocate{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, nullptr, pool_,
                                             VK_COMMAND_BUFFER_LEVEL_PRIMARY, 1};
        VK_CHECK(vkAllocateCommandBuffers(dev_, &allocate, &cmd_));
        VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, nullptr, VK_FENCE_CREATE_SIGNALED_BIT};
        VK_CHECK(vkCreateFence(dev_, &fence_info, nullptr, &fence_));
        VkSemaphoreCreateInfo binary{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
        VK_CHECK(vkCreateSemaphore(dev_, &binary, nullptr, &acquired_));
        rendered_.resize(images_.size());
        for (VkSemaphore& s : rendered_) VK_CHECK(vkCreateSemaphore(dev_, &binary, nullptr, &s));
        VkSemaphoreTypeCreateInfo timeline_type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO, nullptr,
                                                VK_SEMAPHORE_TYPE_TIMELINE, 0};
        VkSemaphoreCreateInfo timeline{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, &timeline_type};
        VK_CHECK(vkCreateSemaphore(dev_, &timeline, nullptr, &sleep_semaphore_));
    }

    ~LatencyLoop() {
        progress_.cleanup_step("vkDeviceWaitIdle, destroying the latency loop");
        vkDeviceWaitIdle(dev_);
        vkDestroySwapchainKHR(dev_, swapchain_, nullptr);
        vkDestroySemaphore(dev_, sleep_semaphore_, nullptr);
        for (VkSemaphore s : rendered_) vkDestroySemaphore(dev_, s, nullptr);
        vkDestroySemaphore(dev_, acquired_, nullptr);
        vkDestroyFence(dev_, fence_, nullptr);
        vkDestroyCommandPool(dev_, pool_, nullptr);
    }
    LatencyLoop(const LatencyLoop&) = delete;
    LatencyLoop& operator=(const LatencyLoop&) = delete;

    VkSwapchainKHR swapchain() const { return swapchain_; }

    /// vkLatencySleepNV and the host wait for its signal (2 s at most); returns when the wait ended.
    Clock::time_point sleep() {
        ++sleep_value_;
        VkLatencySleepInfoNV info{VK_STRUCTURE_TYPE_LATENCY_SLEEP_INFO_NV, nullptr, sleep_semaphore_, sleep_value_};
        progress_.step("vkLatencySleepNV");
        VK_CHECK(vk_.sleep(dev_, swapchain_, &info));
        VkSemaphoreWaitInfo wait{VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO};
        wait.semaphoreCount = 1;
        wait.pSemaphores = &sleep_semaphore_;
        wait.pValues = &sleep_value_;
        progress_.step("vkWaitSemaphores on the latency sleep's semaphore");
        const VkResult r = vkWaitSemaphores(dev_, &wait, kTwoSeconds);
        require(r == VK_SUCCESS, strprintf("the latency sleep for value %llu was not signalled within 2 s (%s)",
                                           (unsigned long long)sleep_value_, result_name(r).c_str()));
        return Clock::now();
    }

    void mark(uint64_t present_id, VkLatencyMarkerNV marker) {
        VkSetLatencyMarkerInfoNV info{VK_STRUCTURE_TYPE_SET_LATENCY_MARKER_INFO_NV, nullptr, present_id, marker};
        vk_.marker(dev_, swapchain_, &info);
    }

    /// One Reflex frame after its sleep: markers, a tagged submission, a present with `present_id`.
    void frame(uint64_t present_id) {
        mark(present_id, VK_LATENCY_MARKER_INPUT_SAMPLE_NV);
        mark(present_id, VK_LATENCY_MARKER_SIMULATION_START_NV);
        mark(present_id, VK_LATENCY_MARKER_SIMULATION_END_NV);
        mark(present_id, VK_LATENCY_MARKER_RENDERSUBMIT_START_NV);
        progress_.step("waiting for the previous frame's fence");
        const VkResult waited = vkWaitForFences(dev_, 1, &fence_, VK_TRUE, kWaitTimeoutNs);
        require(waited == VK_SUCCESS, "the previous frame's fence did not signal: " + result_name(waited));
        VK_CHECK(vkResetFences(dev_, 1, &fence_));
        uint32_t index = 0;
        progress_.step("vkAcquireNextImageKHR");
        VK_CHECK(vkAcquireNextImageKHR(dev_, swapchain_, kWaitTimeoutNs, acquired_, VK_NULL_HANDLE, &index));
        VK_CHECK(vkResetCommandBuffer(cmd_, 0));
        VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        VK_CHECK(vkBeginCommandBuffer(cmd_, &begin));
        record_clear(cmd_, images_[index], frame_colour(uint32_t(present_id)));
        VK_CHECK(vkEndCommandBuffer(cmd_));
        VkLatencySubmissionPresentIdNV tag{VK_STRUCTURE_TYPE_LATENCY_SUBMISSION_PRESENT_ID_NV, nullptr, present_id};
        VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO, &tag};
        submit.waitSemaphoreCount = 1;
        submit.pWaitSemaphores = &acquired_;
        submit.pWaitDstStageMask = &stage;
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd_;
        submit.signalSemaphoreCount = 1;
        submit.pSignalSemaphores = &rendered_[index];
        progress_.step("vkQueueSubmit with VkLatencySubmissionPresentIdNV");
        VK_CHECK(vkQueueSubmit(device_.queue(), 1, &submit, fence_));
        mark(present_id, VK_LATENCY_MARKER_RENDERSUBMIT_END_NV);
        mark(present_id, VK_LATENCY_MARKER_PRESENT_START_NV);
        VkPresentIdKHR id{VK_STRUCTURE_TYPE_PRESENT_ID_KHR, nullptr, 1, &present_id};
        VkPresentInfoKHR present{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR, &id};
        present.waitSemaphoreCount = 1;
        present.pWaitSemaphores = &rendered_[index];
        present.swapchainCount = 1;
        present.pSwapchains = &swapchain_;
        present.pImageIndices = &index;
        progress_.step("vkQueuePresentKHR with a present id");
        VK_CHECK(vkQueuePresentKHR(device_.queue(), &present));
        mark(present_id, VK_LATENCY_MARKER_PRESENT_END_NV);
    }

private:
    Progress& progress_;
    WsiDevice& device_;
    VkDevice dev_;
    const LatencyProcs& vk_;
    VkSwapchainKHR swapchain_ = VK_NULL_HANDLE;
    std::vector<VkImage> images_;
    VkCommandPool pool_ = VK_NULL_HANDLE;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
    VkSemaphore acquired_ = VK_NULL_HANDLE;
    std::vector<VkSemaphore> rendered_;
    VkSemaphore sleep_semaphore_ = VK_NULL_HANDLE;
    uint64_t sleep_value_ = 0;
};

std::vector<VkLatencyTimingsFrameReportNV> get_timings(const LatencyProcs& vk, VkDevice dev, VkSwapchainKHR swapchain,
                                                       uint32_t wanted) {
    VkGetLatencyMarkerInfoNV info{VK_STRUCTURE_TYPE_GET_LATENCY_MARKER_INFO_NV};
    std::vector<VkLatencyTimingsFrameReportNV> reports(wanted, {VK_STRUCTURE_TYPE_LATENCY_TIMINGS_FRAME_REPORT_NV});
    info.timingCount = wanted;
    info.pTimings = reports.data();
    vk.timings(dev, swapchain, &info);
    require(info.timingCount <= wanted, strprintf("vkGetLatencyTimingsNV wrote %u reports into %u", info.timingCount,
                                                  wanted));
    reports.resize(info.timingCount);
    return reports;
}

}  // namespace

void run_latency(Progress& progress, const ScenarioOptions& options) {
    TestWindow window(160, 120, "anarchy_wsi_test latency");
    announce_window(window);
    WsiDevice device(progress, window, WsiDevice::Extras::LowLatency2);
    const VkDevice dev = device.device();
    LatencyProcs vk{device_proc<PFN_vkSetLatencySleepModeNV>(dev, "vkSetLatencySleepModeNV"),
                    device_proc<PFN_vkLatencySleepNV>(dev, "vkLatencySleepNV"),
                    device_proc<PFN_vkSetLatencyMarkerNV>(dev, "vkSetLatencyMarkerNV"),
                    device_proc<PFN_vkGetLatencyTimingsNV>(dev, "vkGetLatencyTimingsNV"),
                    device_proc<PFN_vkQueueNotifyOutOfBandNV>(dev, "vkQueueNotifyOutOfBandNV"),
                    device_proc<PFN_vkWaitForPresentKHR>(dev, "vkWaitForPresentKHR")};

    // The present modes the surface says suit low latency mode.
    auto caps2 = reinterpret_cast<PFN_vkGetPhysicalDeviceSurfaceCapabilities2KHR>(
        vkGetInstanceProcAddr(device.instance(), "vkGetPhysicalDeviceSurfaceCapabilities2KHR"));
    require(caps2 != nullptr, "no vkGetPhysicalDeviceSurfaceCapabilities2KHR");
    VkLatencySurfaceCapabilitiesNV latency_caps{VK_STRUCTURE_TYPE_LATENCY_SURFACE_CAPABILITIES_NV};
    VkSurfaceCapabilities2KHR caps{VK_STRUCTURE_TYPE_SURFACE_CAPABILITIES_2_KHR, &latency_caps};
    VkPhysicalDeviceSurfaceInfo2KHR surface_info{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SURFACE_INFO_2_KHR, nullptr,
                                                 device.surface()};
    VK_CHECK(caps2(device.physical_device(), &surface_info, &caps));
    std::vector<VkPresentModeKHR> latency_modes(latency_caps.presentModeCount);
    latency_caps.pPresentModes = latency_modes.data();
    VK_CHECK(caps2(device.physical_device(), &surface_info, &caps));
    latency_modes.resize(latency_caps.presentModeCount);
    require(!latency_modes.empty(), "VkLatencySurfaceCapabilitiesNV lists no present mode");
    const std::vector<VkPresentModeKHR> modes = device.present_modes();
    for (VkPresentModeKHR m : latency_modes)
        require(std::find(modes.begin(), modes.end(), m) != modes.end(),
                strprintf("VkLatencySurfaceCapabilitiesNV lists mode %d, which the surface does not offer", int(m)));
    progress.pass(strprintf("VkLatencySurfaceCapabilitiesNV: %zu present modes, all offered by the surface",
                            latency_modes.size()));

    LatencyLoop loop(progress, device, vk);
    uint64_t present_id = 0;

    // Low latency mode alone: a wake waits until the frames before it are shown.
    VkLatencySleepModeInfoNV mode{VK_STRUCTURE_TYPE_LATENCY_SLEEP_MODE_INFO_NV, nullptr, VK_TRUE, VK_FALSE, 0};
    progress.step("vkSetLatencySleepModeNV: low latency");
    VK_CHECK(vk.set_sleep_mode(dev, loop.swapchain(), &mode));
    uint32_t not_shown = 0;
    for (uint32_t i = 0; i < options.frames; ++i) {
        loop.sleep();
        if (present_id && vk.wait_for_present(dev, loop.swapchain(), present_id, 0) != VK_SUCCESS) ++not_shown;
        loop.frame(++present_id);
    }
    require(not_shown <= options.frames / 5,
            strprintf("at %u of %u wakes the previous frame had not been shown yet", not_shown, options.frames));
    progress.pass(strprintf("low latency mode: %u sleeps signalled, the previous frame shown at %u of them",
                            options.frames, options.frames - not_shown));

    // With a minimum interval: the frame limiter.
    mode.minimumIntervalUs = kMinimumIntervalUs;
    progress.step("vkSetLatencySleepModeNV: low latency, 20 ms minimum interval");
    VK_CHECK(vk.set_sleep_mode(dev, loop.swapchain(), &mode));
    // Each wake is seen here a round trip after its signal, which varies: the interval holds on average.
    Clock::time_point first_wake{}, last_wake{};
    for (uint32_t i = 0; i < options.frames; ++i) {
        last_wake = loop.sleep();
        if (i == 0) first_wake = last_wake;
        loop.frame(++present_id);
    }
    const double average_ms =
        std::chrono::duration<double, std::milli>(last_wake - first_wake).count() / std::max(1u, options.frames - 1);
    require(average_ms >= kMinimumIntervalUs / 1000.0 - 1.0,
            strprintf("latency sleeps woke %.1f ms apart on average with a minimum interval of 20 ms", average_ms));
    progress.pass(strprintf("minimum interval 20 ms: %u sleeps woke %.1f ms apart on average", options.frames,
                            average_ms));

    progress.step("vkSetLatencySleepModeNV(NULL)");
    VK_CHECK(vk.set_sleep_mode(dev, loop.swapchain(), nullptr));
    for (uint32_t i = 0; i < 5; ++i) {
        loop.sleep();
        loop.frame(++present_id);
    }
    progress.pass("with the mode off, 5 more sleeps signalled");

    progress.step("vkWaitForPresentKHR of the last frame");
    VK_CHECK(vk.wait_for_present(dev, loop.swapchain(), present_id, kTwoSeconds));
    VkGetLatencyMarkerInfoNV count_info{VK_STRUCTURE_TYPE_GET_LATENCY_MARKER_INFO_NV};
    vk.timings(dev, loop.swapchain(), &count_info);
    require(count_info.timingCount >= std::min<uint64_t>(present_id, 2),
            strprintf("vkGetLatencyTimingsNV counts %u frames after %llu", count_info.timingCount,
                      (unsigned long long)present_id));
    const std::vector<VkLatencyTimingsFrameReportNV> reports =
        get_timings(vk, dev, loop.swapchain(), count_info.timingCount);
    require(!reports.empty() && reports.back().presentID == present_id,
            strprintf("the newest frame report is of presentID %llu, not %llu",
                      reports.empty() ? 0ull : (unsigned long long)reports.back().presentID,
                      (unsigned long long)present_id));
    for (size_t i = 0; i < reports.size(); ++i) {
        const VkLatencyTimingsFrameReportNV& r = reports[i];
        require(i == 0 || r.presentID > reports[i - 1].presentID, "frame reports are not oldest first");
        const uint64_t order[] = {r.inputSampleTimeUs, r.simStartTimeUs,   r.simEndTimeUs,        r.renderSubmitStartTimeUs,
                                  r.driverStartTimeUs, r.driverEndTimeUs,  r.renderSubmitEndTimeUs, r.presentStartTimeUs,
                                  r.presentEndTimeUs};
        for (size_t k = 0; k < std::size(order); ++k)
            require(order[k] != 0 && (k == 0 || order[k] >= order[k - 1]),
                    strprintf("frame report of presentID %llu: timestamps out of order or missing at field %zu",
                              (unsigned long long)r.presentID, k));
        require(r.gpuRenderEndTimeUs == 0 || r.gpuRenderEndTimeUs >= r.gpuRenderStartTimeUs,
                strprintf("frame report of presentID %llu: the GPU ended before it started",
                          (unsigned long long)r.presentID));
    }
    const std::vector<VkLatencyTimingsFrameReportNV> newest = get_timings(vk, dev, loop.swapchain(), 2);
    require(newest.size() == 2 && newest[0].presentID == present_id - 1 && newest[1].presentID == present_id,
            "asking for 2 frame reports did not give the newest two, oldest first");
    progress.pass(strprintf("vkGetLatencyTimingsNV: %zu frame reports, oldest first, markers in order, submissions "
                            "inside the render-submit span; 2 asked for give the newest two",
                            reports.size()));

    progress.step("vkQueueNotifyOutOfBandNV");
    VkOutOfBandQueueTypeInfoNV out_of_band{VK_STRUCTURE_TYPE_OUT_OF_BAND_QUEUE_TYPE_INFO_NV, nullptr,
                                           VK_OUT_OF_BAND_QUEUE_TYPE_RENDER_NV};
    vk.out_of_band(device.queue(), &out_of_band);
    loop.sleep();
    loop.frame(++present_id);
    VK_CHECK(vk.wait_for_present(dev, loop.swapchain(), present_id, kTwoSeconds));
    const std::vector<VkLatencyTimingsFrameReportNV> last = get_timings(vk, dev, loop.swapchain(), 1);
    require(last.size() == 1 && last[0].presentID == present_id, "no frame report for the out-of-band frame");
    require(last[0].driverStartTimeUs == 0 && last[0].driverEndTimeUs == 0,
            "a submission on a queue marked out of band was counted as the frame's");
    progress.pass("a submission on an out-of-band queue is not the frame's work");
    window.drain_events();
}

}  // namespace anarchy::wsitest
