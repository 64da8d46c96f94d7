// present_wait: VK_KHR_present_id and VK_KHR_present_wait (DXVK and vkd3d-proton pace frames with them). A
// 320x240 window, a FIFO swapchain, N frames each presented with presentId = its number; after each present
// vkWaitForPresentKHR for that id must return VK_SUCCESS within 2 s (the frame reached the window), an id not yet
// presented must time out at once, and one already presented must succeed at once. Mesa 22.3's lavapipe (Debian
// 12) offers neither extension, so natively this scenario exits 77 there; the anarchy client driver offers both.
#include <chrono>

#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "wsi_device.h"
#include "test_window.h"

namespace anarchy::wsitest {

void run_present_wait(Progress& progress, const ScenarioOptions& options) {
    TestWindow window(320, 240, "anarchy_wsi_test present_wait");
    announce_window(window);
    WsiDevice device(progress, window, WsiDevice::Extras::PresentWait);
    progress.pass("VK_KHR_present_id and VK_KHR_present_wait enabled with their features");
    auto wait_for_present =
        reinterpret_cast<PFN_vkWaitForPresentKHR>(vkGetDeviceProcAddr(device.device(), "vkWaitForPresentKHR"));
    require(wait_for_present != nullptr, "vkGetDeviceProcAddr returned no vkWaitForPresentKHR");
    Presenter presenter(progress, device, SwapchainConfig{VK_PRESENT_MODE_FIFO_KHR, 3});
    constexpr uint64_t kTwoSeconds = 2'000'000'000ull;
    const auto start = std::chrono::steady_clock::now();
    uint64_t longest_us = 0;
    for (uint32_t frame = 1; frame <= options.frames; ++frame) {
        presenter.set_present_id(frame);
        const FrameResult r = presenter.draw_frame(clear_content(frame_colour(frame)));
        require(r.outcome == FrameOutcome::Presented, strprintf("frame %u was not presented", frame));
        const auto before = std::chrono::steady_clock::now();
        progress.step("vkWaitForPresentKHR");
        const VkResult waited = wait_for_present(device.device(), presenter.swapchain(), frame, kTwoSeconds);
        require(waited == VK_SUCCESS, strprintf("vkWaitForPresentKHR(%u) returned %s", frame, result_name(waited).c_str()));
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - before);
        longest_us = std::max<uint64_t>(longest_us, uint64_t(us.count()));
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    progress.pass(strprintf("%u frames, each waited for until presented (longest wait %llu us, %lld ms in all)",
                            options.frames, (unsigned long long)longest_us, (long long)ms.count()));
    VkResult r = wait_for_present(device.device(), presenter.swapchain(), options.frames + 1000, 0);
    require(r == VK_TIMEOUT, "waiting with timeout 0 for an id never presented returned " + result_name(r));
    r = wait_for_present(device.device(), presenter.swapchain(), options.frames, 0);
    require(r == VK_SUCCESS, "waiting with timeout 0 for the last id presented returned " + result_name(r));
    progress.pass("an id not presented yet times out at once; one presented succeeds at once");
    presenter.set_present_id(0);
    presenter.wait_frames();
    window.drain_events();
}

}  // namespace anarchy::wsitest
