// The server's own capture queue: one more queue, of the first transfer-only family (a copy engine), added to the
// queues a program's vkCreateDevice asks for. Captures of swapchains whose images are shared with that family
// (client/swapchain_sharing.h) run there, beside the program's rendering: on the program's queue a capture submitted
// just in time waits behind the program's next frame (NVIDIA H200, 2560x1600 at 1000 frames/s: about 0.5 ms more
// to present-to-shown, and 9-10 % of the program's own rate for the GPU time the copies took).
#pragma once

#include <vulkan/vulkan_core.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace anarchy::server {

struct CaptureQueuePlan {
    uint32_t family = 0;
    uint32_t index = 0;  ///< the queue's index in its family
};

/// Adds the capture queue to `queues` (a copy of the program's requests; `priorities` is storage for a request it
/// widens or adds, and must outlive the create call). Nullopt, `queues` untouched, where the device has no
/// transfer-only family, the program takes every queue of it, or asks for it with flags (protected, internally
/// synchronised).
std::optional<CaptureQueuePlan> plan_capture_queue(const std::vector<VkQueueFamilyProperties>& families,
                                                   std::vector<VkDeviceQueueCreateInfo>& queues,
                                                   std::vector<float>& priorities);

/// ANARCHY_CAPTURE_QUEUE: `copy` (the default) plans the capture queue, `program` keeps captures on the program's
/// queues (for comparison); anything else is named in a warning and taken as `copy`.
bool capture_queue_wanted();

}  // namespace anarchy::server
