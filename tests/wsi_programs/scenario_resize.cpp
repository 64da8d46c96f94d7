// resize: a 320x240 window with a FIFO swapchain; the window grows to 480x360, and later shrinks to 200x150. After
// each resize the program keeps presenting with the old swapchain and must see VK_ERROR_OUT_OF_DATE_KHR or
// VK_SUBOPTIMAL_KHR within a few frames; it then checks the currentExtent is the new window size, recreates the
// swapchain with oldSwapchain set, destroys the old one, and presents N frames at the new size, every result
// VK_SUCCESS. Lavapipe (Mesa's X11 WSI) answers the first acquire after a resize with VK_SUBOPTIMAL_KHR; the
// anarchy client driver with VK_ERROR_OUT_OF_DATE_KHR.
#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "wsi_device.h"
#include "test_window.h"

namespace anarchy::wsitest {

namespace {

// How many frames a driver may take to notice a resize: it may learn of it only when a present completes.
constexpr uint32_t kFramesToNotice = 5;

struct Resize {
    const char* name;
    VkExtent2D to;
};

}  // namespace

void run_resize(Progress& progress, const ScenarioOptions& options) {
    constexpr VkExtent2D kStart{320, 240};
    TestWindow window(kStart.width, kStart.height, "anarchy_wsi_test resize");
    announce_window(window);
    WsiDevice device(progress, window);
    check_current_extent(progress, device, kStart, "of the new window");
    Presenter presenter(progress, device, SwapchainConfig{VK_PRESENT_MODE_FIFO_KHR, 3});
    uint32_t frame = 0;
    frame += present_frames(progress, presenter, 10, frame, OnStale::Fail).presented;
    progress.pass(strprintf("10 frames at %s", extent_text(presenter.extent()).c_str()));

    for (const Resize& resize : {Resize{"grow", {480, 360}}, Resize{"shrink", {200, 150}}}) {
        const VkExtent2D from = presenter.extent();
        progress.step(strprintf("%s: resizing the window to %s", resize.name, extent_text(resize.to).c_str()));
        window.resize(resize.to.width, resize.to.height);
        progress.pass(
            strprintf("%s: the X server reports the window at %s", resize.name, extent_text(resize.to).c_str()));

        FrameResult stale;
        uint32_t tries = 0;
        while (tries < kFramesToNotice && stale.outcome == FrameOutcome::Presented) {
            progress.step(
                strprintf("%s: frame %u with the %s swapchain", resize.name, frame, extent_text(from).c_str()));
            stale = presenter.draw_frame(clear_content(frame_colour(frame)));
            ++tries;
            if (stale.outcome != FrameOutcome::OutOfDate) ++frame;
        }
        require(stale.outcome != FrameOutcome::Presented,
                strprintf("%s: no VK_ERROR_OUT_OF_DATE_KHR or VK_SUBOPTIMAL_KHR within %u frames after the window "
                          "went from %s to %s (every acquire and present returned VK_SUCCESS)",
                          resize.name, kFramesToNotice, extent_text(from).c_str(), extent_text(resize.to).c_str()));
        progress.pass(strprintf("%s: %s returned %s at frame %u after the resize", resize.name, stale.call,
                                result_name(stale.result).c_str(), tries));

        check_current_extent(progress, device, resize.to, "after the resize");
        const VkSwapchainKHR old = presenter.swapchain();
        require(presenter.recreate(), strprintf("%s: the currentExtent is 0x0", resize.name));
        require(presenter.swapchain() != old, "the recreated swapchain has the old one's handle");
        require(same_extent(presenter.extent(), resize.to),
                strprintf("%s: the new swapchain is %s", resize.name, extent_text(presenter.extent()).c_str()));
        progress.pass(
            strprintf("%s: swapchain recreated at %s with oldSwapchain set, old swapchain destroyed, %zu "
                      "images",
                      resize.name, extent_text(resize.to).c_str(), presenter.images().size()));

        frame += present_frames(progress, presenter, options.frames, frame, OnStale::Fail).presented;
        presenter.wait_frames();
        progress.pass(strprintf("%s: %u frames at %s, every result VK_SUCCESS", resize.name, options.frames,
                                extent_text(resize.to).c_str()));
        window.drain_events();
    }
}

}  // namespace anarchy::wsitest
