// The server's own capture queues: one more queue of the copy engine family and one of the asynchronous compute
// family (protocol/capture_families.h), added to the queues a program's vkCreateDevice asks for. Captures of
// swapchains whose images are shared with those families (client/swapchain_sharing.h) run there, beside the program's
// rendering: plain copies on the copy engine, conversions (I420 for the video codecs) on asynchronous compute. On the
// program's queue a capture submitted just in time waits behind the program's next frame (NVIDIA H200, 2560x1600 at
// 1000 frames/s: about 0.5 ms more to present-to-shown, and 9-10 % of the program's own rate for the copies).
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

struct CaptureQueuesPlan {
    std::optional<CaptureQueuePlan> copy;     ///< on the copy engine family
    std::optional<CaptureQueuePlan> compute;  ///< on the asynchronous compute family
};

/// Adds the capture queues to `queues` (a copy of the program's requests; `priorities` is storage for the requests
/// it widens or adds, and must outlive the create call). A family gets none where the device lacks it, the program
/// takes every queue of it, or asks for it with flags (protected, internally synchronised).
CaptureQueuesPlan plan_capture_queues(const std::vector<VkQueueFamilyProperties>& families,
                                      std::vector<VkDeviceQueueCreateInfo>& queues,
                                      std::vector<std::vector<float>>& priorities);

/// ANARCHY_CAPTURE_QUEUE: `own` (the default) plans the capture queues, `program` keeps captures on the program's
/// queues (for comparison); anything else is named in a warning and taken as `own`.
bool capture_queues_wanted();

}  // namespace anarchy::server
