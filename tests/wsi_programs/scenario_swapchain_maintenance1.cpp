// swapchain_maintenance1: VK_EXT_surface_maintenance1 and VK_EXT_swapchain_maintenance1 (DXVK uses present
// fences and per-present mode switches where a driver offers them). A 320x240 window:
// - the surface reports which present modes FIFO may switch to (FIFO and MAILBOX among them) and its scaling;
// - a swapchain created for FIFO and MAILBOX presents N frames, switching mode every 10 frames, each present
//   carrying a present fence; a frame slot is reused only after its present fence signalled (5 s), which is also
//   when its render semaphore may be signalled again;
// - acquired images go back with vkReleaseSwapchainImagesEXT: 3x the image count acquires, each released without a
//   present, all succeed (without the release the swapchain would run out after its image count).
// Mesa 22.3's lavapipe (Debian 12) lacks these extensions, so natively this scenario exits 77 there.
#include <algorithm>
#include <array>
#include <vector>

#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "wsi_device.h"
#include "test_window.h"

namespace anarchy::wsitest {

void run_swapchain_maintenance1(Progress& progress, const ScenarioOptions& options) {
    TestWindow window(320, 240, "anarchy_wsi_test swapchain_maintenance1");
    announce_window(window);
    WsiDevice device(progress, window, WsiDevice::Extras::SwapchainMaintenance1);
    progress.pass("VK_EXT_surface_maintenance1 and VK_EXT_swapchain_maintenance1 enabled with the feature");
    VkDevice dev = device.device();
    auto caps2 = reinterpret_cast<PFN_vkGetPhysicalDeviceSurfaceCapabilities2KHR>(
        vkGetInstanceProcAddr(device.instance(), "vkGetPhysicalDeviceSurfaceCapabilities2KHR"));
    require(caps2 != nullptr, "no vkGetPhysicalDeviceSurfaceCapabilities2KHR");
    auto release_images = device_proc<PFN_vkReleaseSwapchainImagesEXT>(dev, "vkReleaseSwapchainImagesEXT");

    // Which modes FIFO may switch to, and the scaling the surface offers.
    VkSurfacePresentModeEXT fifo_mode{VK_STRUCTURE_TYPE_SURFACE_PRESENT_MODE_EXT, nullptr, VK_PRESENT_MODE_FIFO_KHR};
    VkPhysicalDeviceSurfaceInfo2KHR surface_info{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SURFACE_INFO_2_KHR, &fifo_mode,
                                                 device.surface()};
    VkSurfacePresentScalingCapabilitiesEXT scaling{VK_STRUCTURE_TYPE_SURFACE_PRESENT_SCALING_CAPABILITIES_EXT};
    VkSurfacePresentModeCompatibilityEXT compatible{VK_STRUCTURE_TYPE_SURFACE_PRESENT_MODE_COMPATIBILITY_EXT, &scaling};
    VkSurfaceCapabilities2KHR caps{VK_STRUCTURE_TYPE_SURFACE_CAPABILITIES_2_KHR, &compatible};
    VK_CHECK(caps2(device.physical_device(), &surface_info, &caps));
    std::vector<VkPresentModeKHR> modes(compatible.presentModeCount);
    compatible.pPresentModes = modes.data();
    VK_CHECK(caps2(device.physical_device(), &surface_info, &caps));
    modes.resize(compatible.presentModeCount);
    const bool has_fifo = std::find(modes.begin(), modes.end(), VK_PRESENT_MODE_FIFO_KHR) != modes.end();
    const bool has_mailbox = std::find(modes.begin(), modes.end(), VK_PRESENT_MODE_MAILBOX_KHR) != modes.end();
    require(has_fifo, "FIFO is not among the modes compatible with FIFO");
    if (!has_mailbox) throw Unsupported("MAILBOX is not compatible with FIFO on this surface");
    require(scaling.minScaledImageExtent.width <= scaling.maxScaledImageExtent.width,
            "present scaling: minScaledImageExtent is larger than maxScaledImageExtent");
    progress.pass(strprintf("%zu present modes compatible with FIFO, MAILBOX among them; scaling 0x%x", modes.size(),
                            scaling.supportedPresentScaling));

    // A swapchain that may switch between FIFO and MAILBOX at each present.
    const VkSurfaceCapabilitiesKHR& sc = caps.surfaceCapabilities;
    const VkSurfaceFormatKHR format = device.choose_surface_format();
    VkPresentModeKHR switchable[] = {VK_PRESENT_MODE_FIFO_KHR, VK_PRESENT_MODE_MAILBOX_KHR};
    VkSwapchainPresentModesCreateInfoEXT modes_info{VK_STRUCTURE_TYPE_SWAPCHAIN_PRESENT_MODES_CREATE_INFO_EXT, nullptr, 2,
                                                    switchable};
    const VkSwapchainCreateInfoKHR ci = fifo_transfer_swapchain_info(device.surface(), sc, format, &modes_info);
    progress.step("vkCreateSwapchainKHR with VkSwapchainPresentModesCreateInfoEXT");
    VkSwapchainKHR swapchain = VK_NULL_HANDLE;
    VK_CHECK(vkCreateSwapchainKHR(dev, &ci, nullptr, &swapchain));
    const std::vector<VkImage> images = swapchain_images(dev, swapchain);
    const uint32_t image_count = uint32_t(images.size());

    // Two frame slots; one render semaphore per image (free again once that present's fence signalled).
    struct Slot {
        VkCommandBuffer cmd = VK_NULL_HANDLE;
        VkFence submitted = VK_NULL_HANDLE;
        VkFence presented = VK_NULL_HANDLE;
        VkSemaphore acquired = VK_NULL_HANDLE;
        bool in_use = false;
    };
    std::array<Slot, 2> slots;
    std::vector<VkSemaphore> rendered(image_count);
    VkCommandPool pool = VK_NULL_HANDLE;
    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool_info.queueFamilyIndex = device.queue_family();
    VK_CHECK(vkCreateCommandPool(dev, &pool_info, nullptr, &pool));
    VkSemaphoreCreateInfo semaphore_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkFenceCreateInfo signalled{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, nullptr, VK_FENCE_CREATE_SIGNALED_BIT};
    for (Slot& slot : slots) {
        VkCommandBufferAllocateInfo allocate{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, nullptr, pool,
                                             VK_COMMAND_BUFFER_LEVEL_PRIMARY, 1};
        VK_CHECK(vkAllocateCommandBuffers(dev, &allocate, &slot.cmd));
        VK_CHECK(vkCreateFence(dev, &signalled, nullptr, &slot.submitted));
        VK_CHECK(vkCreateFence(dev, &signalled, nullptr, &slot.presented));
        VK_CHECK(vkCreateSemaphore(dev, &semaphore_info, nullptr, &slot.acquired));
    }
    for (VkSemaphore& s : rendered) VK_CHECK(vkCreateSemaphore(dev, &semaphore_info, nullptr, &s));

    uint32_t switches = 0;
    for (uint32_t frame = 0; frame < options.frames; ++frame) {
        Slot& slot = slots[frame % slots.size()];
        progress.step("waiting for a frame slot's present fence");
        VkFence both[] = {slot.submitted, slot.presented};
        const VkResult waited = vkWaitForFences(dev, 2, both, VK_TRUE, kWaitTimeoutNs);
        require(waited == VK_SUCCESS, strprintf("frame %u: the present fence of frame %u did not signal (%s)", frame,
                                                frame - uint32_t(slots.size()), result_name(waited).c_str()));
        VK_CHECK(vkResetFences(dev, 2, both));
        uint32_t index = 0;
        progress.step("vkAcquireNextImageKHR");
        VK_CHECK(vkAcquireNextImageKHR(dev, swapchain, kWaitTimeoutNs, slot.acquired, VK_NULL_HANDLE, &index));
        VK_CHECK(vkResetCommandBuffer(slot.cmd, 0));
        VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        VK_CHECK(vkBeginCommandBuffer(slot.cmd, &begin));
        transfer_barrier(slot.cmd, images[index], VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
        const VkClearColorValue colour = frame_colour(frame);
        const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        vkCmdClearColorImage(slot.cmd, images[index], VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colour, 1, &range);
        transfer_barrier(slot.cmd, images[index], VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR);
        VK_CHECK(vkEndCommandBuffer(slot.cmd));
        VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.waitSemaphoreCount = 1;
        submit.pWaitSemaphores = &slot.acquired;
        submit.pWaitDstStageMask = &stage;
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &slot.cmd;
        submit.signalSemaphoreCount = 1;
        submit.pSignalSemaphores = &rendered[index];
        VK_CHECK(vkQueueSubmit(device.queue(), 1, &submit, slot.submitted));

        VkPresentModeKHR mode = (frame / 10) % 2 ? VK_PRESENT_MODE_MAILBOX_KHR : VK_PRESENT_MODE_FIFO_KHR;
        if (frame % 10 == 0 && frame) ++switches;
        VkSwapchainPresentModeInfoEXT mode_info{VK_STRUCTURE_TYPE_SWAPCHAIN_PRESENT_MODE_INFO_EXT, nullptr, 1, &mode};
        VkSwapchainPresentFenceInfoEXT fence_info{VK_STRUCTURE_TYPE_SWAPCHAIN_PRESENT_FENCE_INFO_EXT, &mode_info, 1,
                                                  &slot.presented};
        VkPresentInfoKHR present{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR, &fence_info};
        present.waitSemaphoreCount = 1;
        present.pWaitSemaphores = &rendered[index];
        present.swapchainCount = 1;
        present.pSwapchains = &swapchain;
        present.pImageIndices = &index;
        progress.step("vkQueuePresentKHR with a present fence and a present mode");
        VK_CHECK(vkQueuePresentKHR(device.queue(), &present));
    }
    std::vector<VkFence> all;
    for (Slot& slot : slots) all.insert(all.end(), {slot.submitted, slot.presented});
    const VkResult last = vkWaitForFences(dev, uint32_t(all.size()), all.data(), VK_TRUE, kWaitTimeoutNs);
    require(last == VK_SUCCESS, "the last present fences did not signal: " + result_name(last));
    progress.pass(strprintf("%u frames, each slot reused after its present fence signalled; %u mode switches",
                            options.frames, switches));

    // Acquired images handed back without a present.
    VkFence acquire_fence = VK_NULL_HANDLE;
    VkFenceCreateInfo unsignalled{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VK_CHECK(vkCreateFence(dev, &unsignalled, nullptr, &acquire_fence));
    for (uint32_t i = 0; i < 3 * image_count; ++i) {
        uint32_t index = 0;
        progress.step("vkAcquireNextImageKHR, then vkReleaseSwapchainImagesEXT");
        const VkResult r = vkAcquireNextImageKHR(dev, swapchain, 2'000'000'000ull, VK_NULL_HANDLE, acquire_fence, &index);
        require(r == VK_SUCCESS, strprintf("acquire %u after %u released images returned %s", i + 1, i,
                                           result_name(r).c_str()));
        VK_CHECK(vkWaitForFences(dev, 1, &acquire_fence, VK_TRUE, kWaitTimeoutNs));
        VK_CHECK(vkResetFences(dev, 1, &acquire_fence));
        VkReleaseSwapchainImagesInfoEXT release{VK_STRUCTURE_TYPE_RELEASE_SWAPCHAIN_IMAGES_INFO_EXT, nullptr, swapchain,
                                                1, &index};
        VK_CHECK(release_images(dev, &release));
    }
    progress.pass(strprintf("%u acquires of a %u-image swapchain, each image released unpresented", 3 * image_count,
                            image_count));

    progress.cleanup_step("vkDeviceWaitIdle before destroying the swapchain");
    vkDeviceWaitIdle(dev);
    vkDestroyFence(dev, acquire_fence, nullptr);
    for (Slot& slot : slots) {
        vkDestroyFence(dev, slot.submitted, nullptr);
        vkDestroyFence(dev, slot.presented, nullptr);
        vkDestroySemaphore(dev, slot.acquired, nullptr);
    }
    for (VkSemaphore s : rendered) vkDestroySemaphore(dev, s, nullptr);
    vkDestroyCommandPool(dev, pool, nullptr);
    vkDestroySwapchainKHR(dev, swapchain, nullptr);
    window.drain_events();
}

}  // namespace anarchy::wsitest
