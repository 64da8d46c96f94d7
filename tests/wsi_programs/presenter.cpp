#include "presenter.h"

#include <algorithm>

#include "check.h"
#include "progress.h"
#include "wsi_device.h"

namespace anarchy::wsitest {

namespace {

void image_barrier(VkCommandBuffer cmd, VkImage image, VkImageLayout from, VkImageLayout to,
                   VkPipelineStageFlags src_stage, VkAccessFlags src_access, VkPipelineStageFlags dst_stage,
                   VkAccessFlags dst_access) {
    VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    barrier.srcAccessMask = src_access;
    barrier.dstAccessMask = dst_access;
    barrier.oldLayout = from;
    barrier.newLayout = to;
    barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.image = image;
    barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdPipelineBarrier(cmd, src_stage, dst_stage, 0, 0, nullptr, 0, nullptr, 1, &barrier);
}

bool is_stale(VkResult result) { return result == VK_SUBOPTIMAL_KHR || result == VK_ERROR_OUT_OF_DATE_KHR; }

}  // namespace

RecordContent clear_content(VkClearColorValue colour) {
    return [colour](VkCommandBuffer cmd, VkImage image, VkExtent2D) {
        const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        vkCmdClearColorImage(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colour, 1, &range);
    };
}

void transfer_barrier(VkCommandBuffer cmd, VkImage image, VkImageLayout from, VkImageLayout to) {
    image_barrier(cmd, image, from, to, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  from == VK_IMAGE_LAYOUT_UNDEFINED ? 0 : VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  to == VK_IMAGE_LAYOUT_PRESENT_SRC_KHR ? 0 : VK_ACCESS_TRANSFER_WRITE_BIT);
}

VkSwapchainCreateInfoKHR fifo_transfer_swapchain_info(VkSurfaceKHR surface, const VkSurfaceCapabilitiesKHR& caps,
                                                      VkSurfaceFormatKHR format, const void* next) {
    VkSwapchainCreateInfoKHR ci{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR, next};
    ci.surface = surface;
    ci.minImageCount = std::max(3u, caps.minImageCount);
    if (caps.maxImageCount) ci.minImageCount = std::min(ci.minImageCount, caps.maxImageCount);
    ci.imageFormat = format.format;
    ci.imageColorSpace = format.colorSpace;
    ci.imageExtent = caps.currentExtent;
    ci.imageArrayLayers = 1;
    ci.imageUsage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    ci.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
    ci.preTransform = VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR;
    ci.compositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
    ci.presentMode = VK_PRESENT_MODE_FIFO_KHR;
    ci.clipped = VK_TRUE;
    return ci;
}

std::vector<VkImage> swapchain_images(VkDevice device, VkSwapchainKHR swapchain) {
    uint32_t count = 0;
    VK_CHECK(vkGetSwapchainImagesKHR(device, swapchain, &count, nullptr));
    std::vector<VkImage> images(count);
    VK_CHECK(vkGetSwapchainImagesKHR(device, swapchain, &count, images.data()));
    images.resize(count);
    return images;
}

VkClearColorValue frame_colour(uint32_t frame) {
    VkClearColorValue colour{};
    colour.float32[0] = float(frame % 60) / 59.0f;
    colour.float32[1] = float((frame / 60) % 4) / 3.0f;
    colour.float32[2] = 1.0f - colour.float32[0];
    colour.float32[3] = 1.0f;
    return colour;
}

Presenter::Presenter(Progress& progress, WsiDevice& device, SwapchainConfig config)
    : progress_(progress), device_(device), config_(config) {
    VkDevice dev = device_.device();
    try {
        VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
        pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
        pool_info.queueFamilyIndex = device_.queue_family();
        VK_CHECK(vkCreateCommandPool(dev, &pool_info, nullptr, &pool_));
        for (FrameSlot& slot : slots_) {
            VkCommandBufferAllocateInfo allocate{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
            allocate.commandPool = pool_;
            allocate.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
            allocate.commandBufferCount = 1;
            VK_CHECK(vkAllocateCommandBuffers(dev, &allocate, &slot.cmd));
            VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
            fence_info.flags = VK_FENCE_CREATE_SIGNALED_BIT;
            VK_CHECK(vkCreateFence(dev, &fence_info, nullptr, &slot.fence));
            VkSemaphoreCreateInfo semaphore_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
            VK_CHECK(vkCreateSemaphore(dev, &semaphore_info, nullptr, &slot.acquired));
        }
        require(recreate(), "the surface's currentExtent is 0x0: no swapchain can be created for it");
    } catch (...) {
        destroy();
        throw;
    }
}

Presenter::~Presenter() { destroy(); }

void Presenter::destroy() {
    VkDevice dev = device_.device();
    progress_.cleanup_step("vkDeviceWaitIdle before destroying the swapchain");
    vkDeviceWaitIdle(dev);
    destroy_swapchain_objects(swapchain_, rendered_);
    swapchain_ = VK_NULL_HANDLE;
    for (FrameSlot& slot : slots_) {
        if (slot.fence) vkDestroyFence(dev, slot.fence, nullptr);
        if (slot.acquired) vkDestroySemaphore(dev, slot.acquired, nullptr);
        slot = FrameSlot{};
    }
    if (pool_) vkDestroyCommandPool(dev, pool_, nullptr);
    pool_ = VK_NULL_HANDLE;
}

void Presenter::destroy_swapchain_objects(VkSwapchainKHR swapchain, std::vector<VkSemaphore>& semaphores) {
    for (VkSemaphore semaphore : semaphores) vkDestroySemaphore(device_.device(), semaphore, nullptr);
    semaphores.clear();
    if (swapchain) vkDestroySwapchainKHR(device_.device(), swapchain, nullptr);
}

bool Presenter::recreate() {
    VkDevice dev = device_.device();
    progress_.step("recreate: vkGetPhysicalDeviceSurfaceCapabilitiesKHR");
    const VkSurfaceCapabilitiesKHR caps = device_.surface_capabilities();
    VkExtent2D extent = caps.currentExtent;
    if (extent.width == 0xFFFFFFFFu && extent.height == 0xFFFFFFFFu) {
        extent.width =
            std::clamp(config_.extent_if_undefined.width, caps.minImageExtent.width, caps.maxImageExtent.width);
        extent.height =
            std::clamp(config_.extent_if_undefined.height, caps.minImageExtent.height, caps.maxImageExtent.height);
    }
    if (extent.width == 0 || extent.height == 0) return false;
    require(caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_DST_BIT,
            "the surface's supportedUsageFlags lack TRANSFER_DST");
    const VkSurfaceFormatKHR format = device_.choose_surface_format(config_.colour_space);
    const std::vector<VkPresentModeKHR> modes = device_.present_modes();
    require(std::find(modes.begin(), modes.end(), config_.present_mode) != modes.end(),
            strprintf("the surface does not offer present mode %d", int(config_.present_mode)));

    uint32_t image_count = std::max(config_.min_image_count, caps.minImageCount);
    if (caps.maxImageCount != 0) image_count = std::min(image_count, caps.maxImageCount);
    VkCompositeAlphaFlagBitsKHR alpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
    if (!(caps.supportedCompositeAlpha & alpha))
        alpha = VkCompositeAlphaFlagBitsKHR(caps.supportedCompositeAlpha & -caps.supportedCompositeAlpha);

    VkSwapchainCreateInfoKHR info{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
    info.flags = config_.flags;
    info.surface = device_.surface();
    info.minImageCount = image_count;
    info.imageFormat = format.format;
    info.imageColorSpace = format.colorSpace;
    info.imageExtent = extent;
    info.imageArrayLayers = 1;
    info.imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    info.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
    info.preTransform = caps.currentTransform;
    info.compositeAlpha = alpha;
    info.presentMode = config_.present_mode;
    info.clipped = VK_TRUE;
    info.oldSwapchain = swapchain_;
    progress_.step(strprintf("vkCreateSwapchainKHR %s", extent_text(extent).c_str()));
    VkSwapchainKHR created = VK_NULL_HANDLE;
    VK_CHECK(vkCreateSwapchainKHR(dev, &info, nullptr, &created));

    // The old swapchain is retired now; it can go once nothing submitted or presented still uses its images.
    VkSwapchainKHR old = swapchain_;
    std::vector<VkSemaphore> old_semaphores = std::move(rendered_);
    rendered_.clear();
    swapchain_ = created;
    extent_ = extent;
    format_ = format.format;
    created_min_image_count_ = image_count;
    if (old) {
        progress_.step("vkDeviceWaitIdle before destroying the old swapchain");
        VK_CHECK(vkDeviceWaitIdle(dev));
        destroy_swapchain_objects(old, old_semaphores);
    }

    progress_.step("vkGetSwapchainImagesKHR");
    uint32_t count = 0;
    VK_CHECK(vkGetSwapchainImagesKHR(dev, swapchain_, &count, nullptr));
    require(count >= image_count, strprintf("vkGetSwapchainImagesKHR reports %u images, fewer than the "
                                            "minImageCount %u asked for",
                                            count, image_count));
    images_.assign(count, VK_NULL_HANDLE);
    VK_CHECK(vkGetSwapchainImagesKHR(dev, swapchain_, &count, images_.data()));
    images_.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
        VkSemaphoreCreateInfo semaphore_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
        VkSemaphore semaphore = VK_NULL_HANDLE;
        VK_CHECK(vkCreateSemaphore(dev, &semaphore_info, nullptr, &semaphore));
        rendered_.push_back(semaphore);
    }
    return true;
}

Presenter::FrameSlot& Presenter::next_slot() {
    FrameSlot& slot = slots_[next_slot_];
    next_slot_ = (next_slot_ + 1) % slots_.size();
    progress_.step("vkWaitForFences (frame slot)");
    const VkResult result = vkWaitForFences(device_.device(), 1, &slot.fence, VK_TRUE, kWaitTimeoutNs);
    if (result == VK_TIMEOUT) throw TestFailure("vkWaitForFences on a frame's fence returned VK_TIMEOUT after 5 s");
    VK_CHECK(result);
    return slot;
}

void Presenter::wait_frames() {
    for (size_t i = 0; i < slots_.size(); ++i) next_slot();
}

FrameResult Presenter::draw_frame(const RecordContent& content) {
    FrameSlot& slot = next_slot();
    progress_.step("vkAcquireNextImageKHR (5 s timeout)");
    uint32_t index = 0;
    const VkResult acquired =
        vkAcquireNextImageKHR(device_.device(), swapchain_, kWaitTimeoutNs, slot.acquired, VK_NULL_HANDLE, &index);
    if (acquired == VK_ERROR_OUT_OF_DATE_KHR) return {FrameOutcome::OutOfDate, acquired, "vkAcquireNextImageKHR"};
    if (acquired != VK_SUCCESS && acquired != VK_SUBOPTIMAL_KHR)
        throw TestFailure("vkAcquireNextImageKHR (timeout 5 s) returned " + result_name(acquired));
    require(index < images_.size(),
            strprintf("vkAcquireNextImageKHR returned image index %u of %zu", index, images_.size()));

    // A suboptimal acquire still signals the semaphore and hands over the image: it must be presented.
    const VkResult presented = submit_in_slot(slot, index, slot.acquired, content);
    if (presented == VK_ERROR_OUT_OF_DATE_KHR) return {FrameOutcome::OutOfDate, presented, "vkQueuePresentKHR"};
    if (presented == VK_SUBOPTIMAL_KHR) return {FrameOutcome::Suboptimal, presented, "vkQueuePresentKHR"};
    if (acquired == VK_SUBOPTIMAL_KHR) return {FrameOutcome::Suboptimal, acquired, "vkAcquireNextImageKHR"};
    return {FrameOutcome::Presented, VK_SUCCESS, "vkQueuePresentKHR"};
}

VkResult Presenter::submit_and_present(uint32_t image_index, VkSemaphore acquired, const RecordContent& content) {
    return submit_in_slot(next_slot(), image_index, acquired, content);
}

VkResult Presenter::submit_in_slot(FrameSlot& use, uint32_t image_index, VkSemaphore acquired,
                                   const RecordContent& content) {
    const VkImage image = images_.at(image_index);

    progress_.step("recording a frame");
    VK_CHECK(vkResetCommandBuffer(use.cmd, 0));
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    VK_CHECK(vkBeginCommandBuffer(use.cmd, &begin));
    // The whole image is overwritten every frame, so its previous contents may be discarded (UNDEFINED).
    image_barrier(use.cmd, image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_PIPELINE_STAGE_TRANSFER_BIT, 0, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    content(use.cmd, image, extent_);
    image_barrier(use.cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR,
                  VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                  0);
    VK_CHECK(vkEndCommandBuffer(use.cmd));

    progress_.step("vkQueueSubmit (frame)");
    const VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.waitSemaphoreCount = 1;
    submit.pWaitSemaphores = &acquired;
    submit.pWaitDstStageMask = &wait_stage;
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &use.cmd;
    submit.signalSemaphoreCount = 1;
    submit.pSignalSemaphores = &rendered_.at(image_index);
    VK_CHECK(vkResetFences(device_.device(), 1, &use.fence));
    VK_CHECK(vkQueueSubmit(device_.queue(), 1, &submit, use.fence));

    progress_.step("vkQueuePresentKHR");
    VkPresentInfoKHR present{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
    present.waitSemaphoreCount = 1;
    present.pWaitSemaphores = &rendered_.at(image_index);
    present.swapchainCount = 1;
    present.pSwapchains = &swapchain_;
    present.pImageIndices = &image_index;
    VkPresentIdKHR ids{VK_STRUCTURE_TYPE_PRESENT_ID_KHR, nullptr, 1, &present_id_};
    VkPresentId2KHR ids2{VK_STRUCTURE_TYPE_PRESENT_ID_2_KHR, nullptr, 1, &present_id_};
    if (present_id_) present.pNext = present_id2_ ? static_cast<void*>(&ids2) : static_cast<void*>(&ids);
    VkResult per_swapchain = VK_RESULT_MAX_ENUM;
    present.pResults = &per_swapchain;
    const VkResult result = vkQueuePresentKHR(device_.queue(), &present);
    if (result != VK_SUCCESS && !is_stale(result))
        throw TestFailure("vkQueuePresentKHR returned " + result_name(result));
    require(per_swapchain == result,
            "vkQueuePresentKHR returned " + result_name(result) + " but pResults[0] is " + result_name(per_swapchain));
    return result;
}

FrameRun present_frames(Progress& progress, Presenter& presenter, uint32_t count, uint32_t first_frame,
                        OnStale on_stale, const RecordContent& content) {
    // More stale results in a row than this means recreation is not helping: fail instead of looping.
    constexpr uint32_t kMaxStaleInARow = 8;
    FrameRun run;
    uint32_t stale_in_a_row = 0;
    while (run.presented < count) {
        const uint32_t frame = first_frame + run.presented;
        progress.step(strprintf("frame %u", frame));
        const FrameResult result = presenter.draw_frame(content ? content : clear_content(frame_colour(frame)));
        if (result.outcome != FrameOutcome::OutOfDate) ++run.presented;
        if (result.outcome == FrameOutcome::Presented) {
            stale_in_a_row = 0;
            continue;
        }
        if (on_stale == OnStale::Fail)
            throw TestFailure(strprintf("frame %u at %s: %s returned %s, expected VK_SUCCESS", frame,
                                        extent_text(presenter.extent()).c_str(), result.call,
                                        result_name(result.result).c_str()));
        ++stale_in_a_row;
        require(stale_in_a_row <= kMaxStaleInARow,
                strprintf("frame %u: %s returned %s %u times in a row, recreating the swapchain each time", frame,
                          result.call, result_name(result.result).c_str(), stale_in_a_row));
        progress.info(strprintf("frame %u: %s returned %s; recreating the swapchain", frame, result.call,
                                result_name(result.result).c_str()));
        require(presenter.recreate(), strprintf("frame %u: the surface's currentExtent is 0x0", frame));
        ++run.recreations;
    }
    return run;
}

}  // namespace anarchy::wsitest
