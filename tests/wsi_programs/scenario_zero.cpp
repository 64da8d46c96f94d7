// zero: a window that may become zero-sized. X11 has no 0x0 window (a configure to width 0 is a BadValue), and
// without a window manager nothing minimizes, so the program tries the two nearest things: it unmaps the window,
// and it configures it to 1x1. The spec gives a zero-sized window a currentExtent of 0x0 and forbids creating a
// swapchain for it; whenever the surface reports 0x0 the program creates nothing and polls the capabilities a
// few times with short sleeps. What implementations report:
//   - Mesa's X11 WSI (lavapipe under Xvfb) reports the window's geometry whether or not it is mapped, so the
//     unmapped window keeps its size (320x240), and presenting into it goes on returning VK_SUCCESS;
//   - the anarchy client driver reports xcb_get_geometry as well, mapped or not;
//   - a 1x1 window is 1x1 for both (lavapipe then answers the next acquire with VK_SUBOPTIMAL_KHR, the anarchy
//     driver with VK_ERROR_OUT_OF_DATE_KHR), and a swapchain of 1x1 is created and presented to.
// The checks that matter: no crash, no hang, every result one the spec allows, and presentation resumes with
// VK_SUCCESS once the window is mapped again at 320x240.
#include <chrono>
#include <thread>

#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "wsi_device.h"
#include "test_window.h"

namespace anarchy::wsitest {

namespace {

constexpr VkExtent2D kNormal{320, 240};
constexpr VkExtent2D kTiny{1, 1};
constexpr uint32_t kZeroPolls = 5;
constexpr auto kZeroPollInterval = std::chrono::milliseconds(20);

bool is_zero(VkExtent2D extent) { return extent.width == 0 || extent.height == 0; }

/// The 0x0 path: no swapchain; polls the capabilities a few times, reporting each answer.
void wait_while_zero(Progress& progress, const WsiDevice& device, const char* when) {
    for (uint32_t poll = 1; poll <= kZeroPolls; ++poll) {
        std::this_thread::sleep_for(kZeroPollInterval);
        progress.step(strprintf("%s: polling the capabilities of a 0x0 surface", when));
        progress.info(strprintf("%s: poll %u: currentExtent %s", when, poll,
                                extent_text(device.surface_capabilities().currentExtent).c_str()));
    }
    progress.pass(strprintf("%s: currentExtent 0x0 handled: no swapchain created, capabilities polled %u times", when,
                            kZeroPolls));
}

/// Presents up to `count` frames into a window whose size may have changed: a stale swapchain is recreated if the
/// surface is not 0x0, and the 0x0 path is taken (ending the run) if it is. Returns the frames presented.
uint32_t present_tolerating(Progress& progress, const WsiDevice& device, Presenter& presenter, uint32_t count,
                            uint32_t& frame, const char* when) {
    uint32_t presented = 0;
    for (uint32_t attempt = 0; attempt < count; ++attempt) {
        progress.step(strprintf("%s: frame %u", when, frame));
        const FrameResult result = presenter.draw_frame(clear_content(frame_colour(frame)));
        if (result.outcome != FrameOutcome::OutOfDate) {
            ++presented;
            ++frame;
        }
        if (result.outcome == FrameOutcome::Presented) continue;
        progress.info(strprintf("%s: %s returned %s", when, result.call, result_name(result.result).c_str()));
        if (is_zero(device.surface_capabilities().currentExtent)) {
            wait_while_zero(progress, device, when);
            break;
        }
        presenter.recreate();
    }
    return presented;
}

}  // namespace

void run_zero(Progress& progress, const ScenarioOptions& options) {
    TestWindow window(kNormal.width, kNormal.height, "anarchy_wsi_test zero");
    announce_window(window);
    WsiDevice device(progress, window);
    check_current_extent(progress, device, kNormal, "of the new window");
    Presenter presenter(progress, device, SwapchainConfig{VK_PRESENT_MODE_FIFO_KHR, 3});
    uint32_t frame = 0;
    frame += present_frames(progress, presenter, 10, frame, OnStale::Fail).presented;
    progress.pass("10 frames at 320x240");

    // Unmapped.
    progress.step("hiding the window (X11: unmapped; Windows: minimized)");
    window.unmap();
    const VkExtent2D unmapped = device.surface_capabilities().currentExtent;
    progress.info("unmapped window: currentExtent " + extent_text(unmapped));
    if (is_zero(unmapped)) {
        wait_while_zero(progress, device, "unmapped");
    } else {
        // The implementation reports the geometry, which for an unmapped window is still its size.
        require(same_extent(unmapped, kNormal), "the unmapped window's currentExtent is " + extent_text(unmapped) +
                                                    ", neither 0x0 nor the window's size 320x240");
        const uint32_t presented = present_tolerating(progress, device, presenter, 5, frame, "unmapped");
        progress.pass(
            strprintf("unmapped: currentExtent is the window's geometry; %u frames presented into the "
                      "unmapped window without an error",
                      presented));
    }
    progress.step("showing the window again");
    window.map();
    check_current_extent(progress, device, kNormal, "after mapping the window again");
    if (!same_extent(presenter.extent(), kNormal)) require(presenter.recreate(), "the mapped window reports 0x0");
    frame += present_frames(progress, presenter, 5, frame, OnStale::Recreate).presented;
    progress.pass("5 frames after mapping the window again");

    // 1x1.
    progress.step("resizing the window to 1x1");
    window.resize(kTiny.width, kTiny.height);
    const VkExtent2D tiny = device.surface_capabilities().currentExtent;
    progress.info("1x1 window: currentExtent " + extent_text(tiny));
    require(same_extent(tiny, kTiny) || is_zero(tiny),
            "the 1x1 window's currentExtent is " + extent_text(tiny) + ", expected 1x1 or 0x0");
    if (is_zero(tiny)) {
        wait_while_zero(progress, device, "1x1");
    } else {
        const uint32_t before = present_tolerating(progress, device, presenter, 3, frame, "1x1");
        progress.info(strprintf("1x1: %u frames presented with the swapchain of %s", before,
                                extent_text(presenter.extent()).c_str()));
        if (!same_extent(presenter.extent(), kTiny)) require(presenter.recreate(), "the 1x1 window reports 0x0");
        require(same_extent(presenter.extent(), kTiny),
                "the swapchain for the 1x1 window is " + extent_text(presenter.extent()));
        frame += present_frames(progress, presenter, 5, frame, OnStale::Recreate).presented;
        progress.pass("1x1: swapchain of 1x1 created, 5 frames presented");
    }

    // Restored: presentation must resume, cleanly.
    progress.step("resizing the window back to 320x240");
    window.resize(kNormal.width, kNormal.height);
    check_current_extent(progress, device, kNormal, "after restoring the window");
    if (!same_extent(presenter.extent(), kNormal)) {
        const VkSwapchainKHR old = presenter.swapchain();
        require(presenter.recreate(), "the restored window reports 0x0");
        require(presenter.swapchain() != old, "the recreated swapchain has the old one's handle");
    }
    require(same_extent(presenter.extent(), kNormal),
            "the swapchain after the restore is " + extent_text(presenter.extent()));
    present_frames(progress, presenter, options.frames, frame, OnStale::Fail);
    presenter.wait_frames();
    progress.pass(strprintf("presentation resumed at 320x240: %u frames, every result VK_SUCCESS", options.frames));
    window.drain_events();
}

}  // namespace anarchy::wsitest
