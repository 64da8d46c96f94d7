// The colour image one frame is rendered into: an offscreen image today, a swapchain image in a windowed
// mode later. The scene renderer needs nothing else from whoever owns the image.
#pragma once

#include <vulkan/vulkan.h>

namespace anarchy::demo {

struct RenderTarget {
    VkImage image = VK_NULL_HANDLE;
    VkImageView view = VK_NULL_HANDLE;
    VkFormat format = VK_FORMAT_UNDEFINED;
    VkExtent2D extent{};
    // What the image is used for after the frame: the frame ends by moving it to `final_layout` and making
    // its contents visible to `final_access` in `final_stage` (TRANSFER_SRC_OPTIMAL for a readback,
    // PRESENT_SRC_KHR with BOTTOM_OF_PIPE and no access for presentation). The next frame into the same
    // image waits for `final_stage` (or for COLOR_ATTACHMENT_OUTPUT, where a swapchain acquire semaphore
    // is waited on) before it overwrites the image.
    VkImageLayout final_layout = VK_IMAGE_LAYOUT_UNDEFINED;
    VkPipelineStageFlags final_stage = VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT;
    VkAccessFlags final_access = 0;
};

}  // namespace anarchy::demo
