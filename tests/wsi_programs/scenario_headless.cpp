// headless: a VK_EXT_headless_surface (Unsupported, exit 77, when the instance lacks the extension). Its
// currentExtent must be 0xFFFFFFFF x 0xFFFFFFFF, meaning the swapchain decides: the program picks 256x256 and
// presents N frames with FIFO, every result VK_SUCCESS. Mesa 22.3's lavapipe (Debian 12) does not offer the
// extension, so natively this scenario exits 77 there; the anarchy client driver offers it.
#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "wsi_device.h"

namespace anarchy::wsitest {

void run_headless(Progress& progress, const ScenarioOptions& options) {
    constexpr VkExtent2D kSize{256, 256};
    WsiDevice device(progress);
    const VkSurfaceCapabilitiesKHR caps = device.surface_capabilities();
    require(caps.currentExtent.width == 0xFFFFFFFFu && caps.currentExtent.height == 0xFFFFFFFFu,
            "the headless surface's currentExtent is " + extent_text(caps.currentExtent) +
                ", expected 0xFFFFFFFF x 0xFFFFFFFF (the swapchain's extent decides)");
    progress.pass("headless currentExtent is 0xFFFFFFFF x 0xFFFFFFFF");
    require(caps.minImageExtent.width <= kSize.width && kSize.width <= caps.maxImageExtent.width &&
                caps.minImageExtent.height <= kSize.height && kSize.height <= caps.maxImageExtent.height,
            "256x256 lies outside the headless surface's image extents " + extent_text(caps.minImageExtent) + " .. " +
                extent_text(caps.maxImageExtent));

    SwapchainConfig config;
    config.present_mode = VK_PRESENT_MODE_FIFO_KHR;
    config.extent_if_undefined = kSize;
    Presenter presenter(progress, device, config);
    require(same_extent(presenter.extent(), kSize),
            "the headless swapchain is " + extent_text(presenter.extent()) + ", expected 256x256");
    progress.pass(strprintf("FIFO swapchain 256x256 on the headless surface, %zu images", presenter.images().size()));
    const FrameRun run = present_frames(progress, presenter, options.frames, 0, OnStale::Fail);
    presenter.wait_frames();
    progress.pass(strprintf("%u frames presented to the headless surface, every result VK_SUCCESS", run.presented));
}

}  // namespace anarchy::wsitest
