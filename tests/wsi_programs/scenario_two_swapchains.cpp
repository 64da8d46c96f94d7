// two_swapchains: one vkQueuePresentKHR for two swapchains. Two windows (200x150 and 160x120) on one device, a
// FIFO swapchain of 3 images on each; every frame acquires an image of each (one semaphore each), clears both in
// one submission that waits on both acquisitions and signals one semaphore, and presents both swapchains in one
// call waiting on it. Each swapchain's result and the call's must be VK_SUCCESS for N frames, and the device must go
// idle afterwards. The server captures each swapchain of such a present after the present's one semaphore, which
// only one wait can consume, by chaining its captures through semaphores of its own (frame_streamer.cpp); before
// session 10 that chain called a null function and ended the session.
#include <algorithm>
#include <array>
#include <vector>

#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "test_window.h"
#include "wsi_device.h"

namespace anarchy::wsitest {

namespace {

/// A FIFO swapchain of 3 images on `surface` at the surface's current extent.
struct Chain {
    VkSwapchainKHR swapchain = VK_NULL_HANDLE;
    std::vector<VkImage> images;
    VkSemaphore acquired = VK_NULL_HANDLE;
};

Chain make_chain(Progress& progress, WsiDevice& device, VkSurfaceKHR surface, const char* name) {
    VkDevice dev = device.device();
    VkSurfaceCapabilitiesKHR caps{};
    VK_CHECK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(device.physical_device(), surface, &caps));
    const VkSwapchainCreateInfoKHR ci = fifo_transfer_swapchain_info(surface, caps, device.choose_surface_format());
    progress.step(strprintf("vkCreateSwapchainKHR for %s", name));
    Chain c;
    VK_CHECK(vkCreateSwapchainKHR(dev, &ci, nullptr, &c.swapchain));
    c.images = swapchain_images(dev, c.swapchain);
    VkSemaphoreCreateInfo si{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VK_CHECK(vkCreateSemaphore(dev, &si, nullptr, &c.acquired));
    return c;
}

}  // namespace

void run_two_swapchains(Progress& progress, const ScenarioOptions& options) {
    TestWindow first(200, 150, "anarchy_wsi_test two_swapchains A");
    TestWindow second(160, 120, "anarchy_wsi_test two_swapchains B");
    announce_window(first);
    WsiDevice device(progress, first);
    VkDevice dev = device.device();
    progress.step("vkCreate*SurfaceKHR for the second window");
    const VkSurfaceKHR second_surface = second.create_surface(device.instance());
    VkBool32 supported = VK_FALSE;
    VK_CHECK(vkGetPhysicalDeviceSurfaceSupportKHR(device.physical_device(), device.queue_family(), second_surface,
                                                  &supported));
    require(supported, "the queue family presenting to the first window cannot present to the second");
    std::array<Chain, 2> chains = {make_chain(progress, device, device.surface(), "A"),
                                   make_chain(progress, device, second_surface, "B")};
    progress.pass(strprintf("two FIFO swapchains of %zu and %zu images on one device", chains[0].images.size(),
                            chains[1].images.size()));

    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool_info.queueFamilyIndex = device.queue_family();
    VkCommandPool pool = VK_NULL_HANDLE;
    VK_CHECK(vkCreateCommandPool(dev, &pool_info, nullptr, &pool));
    VkCommandBufferAllocateInfo allocate{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, nullptr, pool,
                                         VK_COMMAND_BUFFER_LEVEL_PRIMARY, 1};
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VK_CHECK(vkAllocateCommandBuffers(dev, &allocate, &cmd));
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence = VK_NULL_HANDLE;
    VK_CHECK(vkCreateFence(dev, &fence_info, nullptr, &fence));
    VkSemaphoreCreateInfo si{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkSemaphore rendered = VK_NULL_HANDLE;
    VK_CHECK(vkCreateSemaphore(dev, &si, nullptr, &rendered));

    for (uint32_t frame = 1; frame <= options.frames; ++frame) {
        std::array<uint32_t, 2> index{};
        for (size_t c = 0; c < chains.size(); ++c) {
            progress.step(strprintf("frame %u: vkAcquireNextImageKHR on %s", frame, c ? "B" : "A"));
            VK_CHECK(vkAcquireNextImageKHR(dev, chains[c].swapchain, kWaitTimeoutNs, chains[c].acquired,
                                           VK_NULL_HANDLE, &index[c]));
        }
        VK_CHECK(vkResetCommandBuffer(cmd, 0));
        VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        VK_CHECK(vkBeginCommandBuffer(cmd, &begin));
        for (size_t c = 0; c < chains.size(); ++c) {
            const VkImage image = chains[c].images[index[c]];
            transfer_barrier(cmd, image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
            const VkClearColorValue colour = frame_colour(frame + uint32_t(c) * 30);
            const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
            vkCmdClearColorImage(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colour, 1, &range);
            transfer_barrier(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR);
        }
        VK_CHECK(vkEndCommandBuffer(cmd));
        const std::array<VkSemaphore, 2> waits = {chains[0].acquired, chains[1].acquired};
        const std::array<VkPipelineStageFlags, 2> stages = {VK_PIPELINE_STAGE_TRANSFER_BIT,
                                                            VK_PIPELINE_STAGE_TRANSFER_BIT};
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.waitSemaphoreCount = 2;
        submit.pWaitSemaphores = waits.data();
        submit.pWaitDstStageMask = stages.data();
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd;
        submit.signalSemaphoreCount = 1;
        submit.pSignalSemaphores = &rendered;
        VK_CHECK(vkQueueSubmit(device.queue(), 1, &submit, fence));

        const std::array<VkSwapchainKHR, 2> swapchains = {chains[0].swapchain, chains[1].swapchain};
        std::array<VkResult, 2> results = {VK_RESULT_MAX_ENUM, VK_RESULT_MAX_ENUM};
        VkPresentInfoKHR present{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
        present.waitSemaphoreCount = 1;
        present.pWaitSemaphores = &rendered;
        present.swapchainCount = 2;
        present.pSwapchains = swapchains.data();
        present.pImageIndices = index.data();
        present.pResults = results.data();
        progress.step(strprintf("frame %u: vkQueuePresentKHR of both swapchains", frame));
        const VkResult r = vkQueuePresentKHR(device.queue(), &present);
        require(r == VK_SUCCESS && results[0] == VK_SUCCESS && results[1] == VK_SUCCESS,
                strprintf("frame %u: vkQueuePresentKHR returned %s (A %s, B %s)", frame, result_name(r).c_str(),
                          result_name(results[0]).c_str(), result_name(results[1]).c_str()));
        // The command buffer and the semaphore are used again next frame: their work must be done.
        const VkResult waited = vkWaitForFences(dev, 1, &fence, VK_TRUE, kWaitTimeoutNs);
        require(waited == VK_SUCCESS, "the frame's fence: " + result_name(waited));
        VK_CHECK(vkResetFences(dev, 1, &fence));
        first.drain_events();
        second.drain_events();
    }
    progress.step("vkDeviceWaitIdle");
    VK_CHECK(vkDeviceWaitIdle(dev));
    progress.pass(strprintf("%u frames presented to both swapchains in one vkQueuePresentKHR each", options.frames));
    vkDestroySemaphore(dev, rendered, nullptr);
    vkDestroyFence(dev, fence, nullptr);
    vkDestroyCommandPool(dev, pool, nullptr);
    for (Chain& c : chains) {
        vkDestroySwapchainKHR(dev, c.swapchain, nullptr);
        vkDestroySemaphore(dev, c.acquired, nullptr);
    }
    vkDestroySurfaceKHR(device.instance(), second_surface, nullptr);
}

}  // namespace anarchy::wsitest
