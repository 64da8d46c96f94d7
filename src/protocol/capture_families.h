// The queue families the server captures swapchain images on, beside the program's own queues: a copy engine (a
// family that transfers but neither renders nor computes) for plain copies, and an asynchronous compute family (compute
// without graphics) for captures that convert on the GPU (I420 for the video codecs). The client shares swapchain
// images with them (client/swapchain_sharing.h) and the server adds a queue of each to every device
// (server/capture_queue.h): both ends must pick the same families, so both use these.
#pragma once

#include <vulkan/vulkan_core.h>

#include <cstdint>
#include <vector>

namespace anarchy::protocol {

inline constexpr uint32_t kNoFamily = 0xffffffffu;

/// The first family that transfers but neither renders nor computes, with queues; kNoFamily where there is none.
inline uint32_t copy_engine_family(const std::vector<VkQueueFamilyProperties>& families) {
    for (uint32_t f = 0; f < families.size(); ++f) {
        const VkQueueFlags q = families[f].queueFlags;
        if ((q & VK_QUEUE_TRANSFER_BIT) && !(q & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) && families[f].queueCount)
            return f;
    }
    return kNoFamily;
}

/// The first family that computes but does not render, with queues; kNoFamily where there is none.
inline uint32_t async_compute_family(const std::vector<VkQueueFamilyProperties>& families) {
    for (uint32_t f = 0; f < families.size(); ++f) {
        const VkQueueFlags q = families[f].queueFlags;
        if ((q & VK_QUEUE_COMPUTE_BIT) && !(q & VK_QUEUE_GRAPHICS_BIT) && families[f].queueCount) return f;
    }
    return kNoFamily;
}

}  // namespace anarchy::protocol
