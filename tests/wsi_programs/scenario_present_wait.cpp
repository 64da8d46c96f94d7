// present_wait: VK_KHR_present_id and VK_KHR_present_wait (DXVK and vkd3d-proton pace frames with them). A
// 320x240 window, a FIFO swapchain, N frames each presented with presentId = its number; after each present
// vkWaitForPresentKHR for that id must return VK_SUCCESS within 2 s (the frame reached the window), an id not yet
// presented must time out at once, and one already presented must succeed at once. Mesa 22.3's lavapipe (Debian
// 12) offers neither extension, so natively this scenario exits 77 there; the anarchy client driver offers both.
// present_wait2: the same with VK_KHR_present_id2 and VK_KHR_present_wait2 (vkWaitForPresent2KHR, the surface's
// VkSurfaceCapabilitiesPresentId2KHR / PresentWait2KHR, a swapchain created with PRESENT_ID_2 | PRESENT_WAIT_2), in
// the PASS_THROUGH colour space where VK_EXT_swapchain_colorspace offers it, and VkSurfaceProtectedCapabilitiesKHR
// answered (remote only here, like present_wait).
#include <chrono>
#include <functional>

#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "wsi_device.h"
#include "test_window.h"

namespace anarchy::wsitest {

namespace {

/// N FIFO frames, each presented with presentId = its number and waited for through `wait` (2 s at most); then an
/// id never presented times out at once and the last one succeeds at once.
void present_and_wait(Progress& progress, const ScenarioOptions& options, Presenter& presenter, bool id2,
                      const char* name, const std::function<VkResult(uint64_t id, uint64_t timeout)>& wait) {
    constexpr uint64_t kTwoSeconds = 2'000'000'000ull;
    const auto start = std::chrono::steady_clock::now();
    uint64_t longest_us = 0;
    for (uint32_t frame = 1; frame <= options.frames; ++frame) {
        presenter.set_present_id(frame, id2);
        const FrameResult r = presenter.draw_frame(clear_content(frame_colour(frame)));
        require(r.outcome == FrameOutcome::Presented, strprintf("frame %u was not presented", frame));
        const auto before = std::chrono::steady_clock::now();
        progress.step(name);
        const VkResult waited = wait(frame, kTwoSeconds);
        require(waited == VK_SUCCESS, strprintf("%s(%u) returned %s", name, frame, result_name(waited).c_str()));
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - before);
        longest_us = std::max<uint64_t>(longest_us, uint64_t(us.count()));
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    progress.pass(strprintf("%u frames, each waited for with %s until presented (longest wait %llu us, %lld ms in all)",
                            options.frames, name, (unsigned long long)longest_us, (long long)ms.count()));
    VkResult r = wait(options.frames + 1000, 0);
    require(r == VK_TIMEOUT, "waiting with timeout 0 for an id never presented returned " + result_name(r));
    r = wait(options.frames, 0);
    require(r == VK_SUCCESS, "waiting with timeout 0 for the last id presented returned " + result_name(r));
    progress.pass("an id not presented yet times out at once; one presented succeeds at once");
    presenter.set_present_id(0);
    presenter.wait_frames();
}

}  // namespace

void run_present_wait(Progress& progress, const ScenarioOptions& options) {
    TestWindow window(320, 240, "anarchy_wsi_test present_wait");
    announce_window(window);
    WsiDevice device(progress, window, WsiDevice::Extras::PresentWait);
    progress.pass("VK_KHR_present_id and VK_KHR_present_wait enabled with their features");
    auto wait_for_present = device_proc<PFN_vkWaitForPresentKHR>(device.device(), "vkWaitForPresentKHR");
    Presenter presenter(progress, device, SwapchainConfig{VK_PRESENT_MODE_FIFO_KHR, 3});
    present_and_wait(progress, options, presenter, false, "vkWaitForPresentKHR", [&](uint64_t id, uint64_t timeout) {
        return wait_for_present(device.device(), presenter.swapchain(), id, timeout);
    });
    window.drain_events();
}

void run_present_wait2(Progress& progress, const ScenarioOptions& options) {
    TestWindow window(320, 240, "anarchy_wsi_test present_wait2");
    announce_window(window);
    WsiDevice device(progress, window, WsiDevice::Extras::PresentWait2);
    progress.pass("VK_KHR_present_id2 and VK_KHR_present_wait2 enabled with their features; "
                  "VK_EXT_swapchain_colorspace and VK_KHR_surface_protected_capabilities enabled");

    // The surface says whether its swapchains take present ids and waits, and whether protected ones exist.
    auto caps2 = reinterpret_cast<PFN_vkGetPhysicalDeviceSurfaceCapabilities2KHR>(
        vkGetInstanceProcAddr(device.instance(), "vkGetPhysicalDeviceSurfaceCapabilities2KHR"));
    require(caps2 != nullptr, "no vkGetPhysicalDeviceSurfaceCapabilities2KHR");
    VkSurfaceProtectedCapabilitiesKHR protected_caps{VK_STRUCTURE_TYPE_SURFACE_PROTECTED_CAPABILITIES_KHR};
    VkSurfaceCapabilitiesPresentWait2KHR wait2_caps{VK_STRUCTURE_TYPE_SURFACE_CAPABILITIES_PRESENT_WAIT_2_KHR,
                                                    &protected_caps};
    VkSurfaceCapabilitiesPresentId2KHR id2_caps{VK_STRUCTURE_TYPE_SURFACE_CAPABILITIES_PRESENT_ID_2_KHR, &wait2_caps};
    VkPhysicalDeviceSurfaceInfo2KHR surface_info{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SURFACE_INFO_2_KHR, nullptr,
                                                 device.surface()};
    VkSurfaceCapabilities2KHR caps{VK_STRUCTURE_TYPE_SURFACE_CAPABILITIES_2_KHR, &id2_caps};
    protected_caps.supportsProtected = VK_TRUE;  // the driver must write it
    VK_CHECK(caps2(device.physical_device(), &surface_info, &caps));
    if (!id2_caps.presentId2Supported || !wait2_caps.presentWait2Supported)
        throw Unsupported("the surface's swapchains take no VK_KHR_present_id2 ids or waits");
    progress.pass(strprintf("the surface supports present ids and waits; protected swapchains: %s",
                            protected_caps.supportsProtected ? "yes" : "no"));

    // VK_EXT_swapchain_colorspace: PASS_THROUGH, where offered, makes a swapchain that presents like any other.
    uint32_t count = 0;
    VK_CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(device.physical_device(), device.surface(), &count, nullptr));
    std::vector<VkSurfaceFormatKHR> formats(count);
    VK_CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(device.physical_device(), device.surface(), &count, formats.data()));
    bool pass_through = false;
    for (const VkSurfaceFormatKHR& f : formats)
        pass_through |= f.colorSpace == VK_COLOR_SPACE_PASS_THROUGH_EXT &&
                        (f.format == VK_FORMAT_B8G8R8A8_UNORM || f.format == VK_FORMAT_B8G8R8A8_SRGB);
    SwapchainConfig config{VK_PRESENT_MODE_FIFO_KHR, 3};
    config.flags = VK_SWAPCHAIN_CREATE_PRESENT_ID_2_BIT_KHR | VK_SWAPCHAIN_CREATE_PRESENT_WAIT_2_BIT_KHR;
    if (pass_through) config.colour_space = VK_COLOR_SPACE_PASS_THROUGH_EXT;
    Presenter presenter(progress, device, config);
    progress.pass(strprintf("a swapchain with PRESENT_ID_2 and PRESENT_WAIT_2 in colour space %s",
                            pass_through ? "PASS_THROUGH" : "SRGB_NONLINEAR (PASS_THROUGH not offered)"));
    auto wait_for_present2 = device_proc<PFN_vkWaitForPresent2KHR>(device.device(), "vkWaitForPresent2KHR");
    present_and_wait(progress, options, presenter, true, "vkWaitForPresent2KHR", [&](uint64_t id, uint64_t timeout) {
        VkPresentWait2InfoKHR info{VK_STRUCTURE_TYPE_PRESENT_WAIT_2_INFO_KHR, nullptr, id, timeout};
        return wait_for_present2(device.device(), presenter.swapchain(), &info);
    });
    window.drain_events();
}

}  // namespace anarchy::wsitest
