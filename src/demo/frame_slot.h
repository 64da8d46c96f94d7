// One frame in flight: the command pool and buffer a frame is recorded into and the fence that says when
// the GPU is done with it, so the slot (and whatever else the caller keeps per slot) can be reused.
#pragma once

#include "device_object.h"

#include <vulkan/vulkan.h>

namespace anarchy::demo {

class VulkanContext;

class FrameSlot {
public:
    /// The fence starts signalled, so the first wait() returns at once.
    explicit FrameSlot(const VulkanContext& context);

    /// Waits until the slot's last submission has completed.
    void wait() const;

    /// Resets the pool (as games commonly do, as a whole each frame) and begins the command buffer for a
    /// one-time submission. Call after wait().
    VkCommandBuffer begin();

    /// Ends the command buffer and submits it with the waits and signals in `submit`, signalling the fence.
    /// The fence is reset only here, so a frame abandoned between wait() and submit() (a swapchain that went
    /// out of date) leaves it signalled.
    void submit(VkQueue queue, VkSubmitInfo submit);

private:
    VkDevice device_;
    UniqueCommandPool pool_;
    VkCommandBuffer commands_ = VK_NULL_HANDLE;  // freed with `pool_`
    UniqueFence fence_;
};

}  // namespace anarchy::demo
