// close: a 320x240 window with a FIFO swapchain presents 10 frames, then the window is destroyed (as a user closing
// it would) while the swapchain is alive. Every later frame may be presented, stale or refused with an error a
// program can handle (VK_ERROR_OUT_OF_DATE_KHR, VK_ERROR_SURFACE_LOST_KHR); it must never hang or crash. The
// scenario stops at the first frame that is not presented, then tears everything down: swapchain, surface,
// device, instance, each call returning.
#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "test_window.h"
#include "wsi_device.h"

namespace anarchy::wsitest {

void run_close(Progress& progress, const ScenarioOptions& options) {
    TestWindow window(320, 240, "anarchy_wsi_test close");
    announce_window(window);
    WsiDevice device(progress, window);
    Presenter presenter(progress, device, SwapchainConfig{VK_PRESENT_MODE_FIFO_KHR, 3});
    uint32_t frame = present_frames(progress, presenter, 10, 0, OnStale::Fail).presented;
    progress.pass("10 frames at 320x240");

    progress.step("destroying the window while its swapchain is alive");
    window.destroy();
    progress.pass("the window is destroyed");

    uint32_t presented = 0;
    std::string ended = "nothing: every frame was presented";
    for (uint32_t i = 0; i < options.frames; ++i, ++frame) {
        try {
            const FrameResult r = presenter.draw_frame(clear_content(frame_colour(frame)));
            if (r.outcome == FrameOutcome::Presented) {
                ++presented;
                continue;
            }
            ended = std::string(r.call) + " returned " + result_name(r.result);
        } catch (const TestFailure& refused) {
            // draw_frame throws for an error that is not stale (the surface lost, say): the program has its answer.
            ended = refused.what();
        }
        break;
    }
    progress.pass(strprintf("after the window was destroyed: %u frames presented, then %s", presented, ended.c_str()));
    progress.step("vkDeviceWaitIdle after the window was destroyed");
    VK_CHECK(vkDeviceWaitIdle(device.device()));
    progress.pass("the device is idle; swapchain, surface, device and instance are destroyed next");
}

}  // namespace anarchy::wsitest
