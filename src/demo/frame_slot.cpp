#include "frame_slot.h"

#include "vulkan_context.h"
#include "vulkan_error.h"

namespace anarchy::demo {

FrameSlot::FrameSlot(const VulkanContext& context) : device_(context.device()) {
    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
    pool_info.queueFamilyIndex = context.queue_family();
    VK_CHECK(vkCreateCommandPool(device_, &pool_info, nullptr, pool_.put(device_)));
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = pool_.get();
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    VK_CHECK(vkAllocateCommandBuffers(device_, &alloc, &commands_));
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    fence_info.flags = VK_FENCE_CREATE_SIGNALED_BIT;
    VK_CHECK(vkCreateFence(device_, &fence_info, nullptr, fence_.put(device_)));
}

void FrameSlot::wait() const {
    VkFence fence = fence_.get();
    VK_CHECK(vkWaitForFences(device_, 1, &fence, VK_TRUE, UINT64_MAX));
}

VkCommandBuffer FrameSlot::begin() {
    VK_CHECK(vkResetCommandPool(device_, pool_.get(), 0));
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    VK_CHECK(vkBeginCommandBuffer(commands_, &begin));
    return commands_;
}

void FrameSlot::submit(VkQueue queue, VkSubmitInfo submit) {
    VK_CHECK(vkEndCommandBuffer(commands_));
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &commands_;
    VkFence fence = fence_.get();
    VK_CHECK(vkResetFences(device_, 1, &fence));
    VK_CHECK(vkQueueSubmit(queue, 1, &submit, fence));
}

}  // namespace anarchy::demo
