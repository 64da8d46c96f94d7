// fifo: a 320x240 window, a FIFO swapchain of (at least) 3 images, N frames of changing colours.
// mailbox: the same with MAILBOX, then the swapchain recreated (oldSwapchain) with IMMEDIATE and N more frames.
// fifo_latest_ready: VK_KHR_present_mode_fifo_latest_ready enabled with its feature, a FIFO_LATEST_READY swapchain,
// N frames (the server once refused such a swapchain, which ended the session; lavapipe 22.3 lacks the extension).
// A SUBOPTIMAL or OUT_OF_DATE result is handled by recreating the swapchain (the window does not change, so
// neither is expected); any other result than VK_SUCCESS fails the run.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "wsi_device.h"
#include "test_window.h"

namespace anarchy::wsitest {

namespace {

constexpr VkExtent2D kWindowSize{320, 240};

const char* mode_name(VkPresentModeKHR mode) {
    switch (mode) {
        case VK_PRESENT_MODE_IMMEDIATE_KHR: return "IMMEDIATE";
        case VK_PRESENT_MODE_MAILBOX_KHR: return "MAILBOX";
        case VK_PRESENT_MODE_FIFO_KHR: return "FIFO";
        case VK_PRESENT_MODE_FIFO_RELAXED_KHR: return "FIFO_RELAXED";
        case VK_PRESENT_MODE_FIFO_LATEST_READY_KHR: return "FIFO_LATEST_READY";
        default: return "other";
    }
}

std::string mode_list(const std::vector<VkPresentModeKHR>& modes) {
    std::string text;
    for (VkPresentModeKHR mode : modes) text += std::string(text.empty() ? "" : " ") + mode_name(mode);
    return text;
}

bool offers(const std::vector<VkPresentModeKHR>& modes, VkPresentModeKHR mode) {
    return std::find(modes.begin(), modes.end(), mode) != modes.end();
}

/// Presents `frames` frames in the presenter's present mode and prints what happened.
void run_mode(Progress& progress, Presenter& presenter, uint32_t frames, uint32_t first_frame) {
    const char* mode = mode_name(presenter.present_mode());
    progress.pass(strprintf("%s swapchain %s, %zu images (minImageCount %u), format %s", mode,
                            extent_text(presenter.extent()).c_str(), presenter.images().size(),
                            presenter.min_image_count(), format_name(presenter.format()).c_str()));
    const auto start = std::chrono::steady_clock::now();
    const FrameRun run = present_frames(progress, presenter, frames, first_frame, OnStale::Recreate);
    presenter.wait_frames();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    progress.pass(strprintf("%u frames presented with %s in %lld ms (%u recreations)", run.presented, mode,
                            (long long)ms.count(), run.recreations));
}

}  // namespace

void run_fifo(Progress& progress, const ScenarioOptions& options) {
    TestWindow window(kWindowSize.width, kWindowSize.height, "anarchy_wsi_test fifo");
    announce_window(window);
    WsiDevice device(progress, window);
    check_current_extent(progress, device, kWindowSize, "of the new window");
    const std::vector<VkPresentModeKHR> modes = device.present_modes();
    progress.info("present modes: " + mode_list(modes));
    require(offers(modes, VK_PRESENT_MODE_FIFO_KHR), "the surface does not offer FIFO, which every surface must");
    Presenter presenter(progress, device, SwapchainConfig{VK_PRESENT_MODE_FIFO_KHR, 3});
    run_mode(progress, presenter, options.frames, 0);
    window.drain_events();
}

void run_mailbox(Progress& progress, const ScenarioOptions& options) {
    TestWindow window(kWindowSize.width, kWindowSize.height, "anarchy_wsi_test mailbox");
    announce_window(window);
    WsiDevice device(progress, window);
    check_current_extent(progress, device, kWindowSize, "of the new window");
    const std::vector<VkPresentModeKHR> modes = device.present_modes();
    progress.info("present modes: " + mode_list(modes));
    for (VkPresentModeKHR needed : {VK_PRESENT_MODE_MAILBOX_KHR, VK_PRESENT_MODE_IMMEDIATE_KHR})
        if (!offers(modes, needed))
            throw Unsupported(
                strprintf("the surface does not offer %s (it offers %s)", mode_name(needed), mode_list(modes).c_str()));
    progress.pass("the surface offers MAILBOX and IMMEDIATE");

    Presenter presenter(progress, device, SwapchainConfig{VK_PRESENT_MODE_MAILBOX_KHR, 3});
    run_mode(progress, presenter, options.frames, 0);

    presenter.set_present_mode(VK_PRESENT_MODE_IMMEDIATE_KHR);
    const VkSwapchainKHR old = presenter.swapchain();
    require(presenter.recreate(), "the surface's currentExtent is 0x0 when switching to IMMEDIATE");
    require(presenter.swapchain() != old, "recreating for IMMEDIATE returned the old swapchain's handle");
    run_mode(progress, presenter, options.frames, options.frames);
    window.drain_events();
}

void run_fifo_latest_ready(Progress& progress, const ScenarioOptions& options) {
    TestWindow window(kWindowSize.width, kWindowSize.height, "anarchy_wsi_test fifo_latest_ready");
    announce_window(window);
    WsiDevice device(progress, window, WsiDevice::Extras::FifoLatestReady);
    const std::vector<VkPresentModeKHR> modes = device.present_modes();
    progress.info("present modes: " + mode_list(modes));
    if (!offers(modes, VK_PRESENT_MODE_FIFO_LATEST_READY_KHR))
        throw Unsupported("the surface does not offer FIFO_LATEST_READY (it offers " + mode_list(modes) + ")");
    Presenter presenter(progress, device, SwapchainConfig{VK_PRESENT_MODE_FIFO_LATEST_READY_KHR, 3});
    run_mode(progress, presenter, options.frames, 0);
    window.drain_events();
}

}  // namespace anarchy::wsitest
