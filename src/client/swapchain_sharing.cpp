#include "client/swapchain_sharing.h"

#include <algorithm>

namespace anarchy::client {

SwapchainImageSharing swapchain_image_sharing(const std::vector<VkQueueFamilyProperties>& families,
                                              const VkSwapchainCreateInfoKHR& ci) {
    SwapchainImageSharing out;
    const uint32_t copy = protocol::copy_engine_family(families);
    const uint32_t compute = protocol::async_compute_family(families);
    if (copy == protocol::kNoFamily && compute == protocol::kNoFamily) return out;
    if (ci.imageSharingMode == VK_SHARING_MODE_CONCURRENT) {
        if (!ci.pQueueFamilyIndices) return out;  // invalid usage: leave it to the driver's own checks
        out.families.assign(ci.pQueueFamilyIndices, ci.pQueueFamilyIndices + ci.queueFamilyIndexCount);
    } else {
        // Exclusive: the program may move the images between its families; sharing them with every family that
        // can render, compute or copy makes those transfers no-ops.
        constexpr VkQueueFlags kWork = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT;
        for (uint32_t f = 0; f < families.size(); ++f)
            if (families[f].queueFlags & kWork) out.families.push_back(f);
    }
    for (uint32_t f : {copy, compute})
        if (f != protocol::kNoFamily && std::find(out.families.begin(), out.families.end(), f) == out.families.end())
            out.families.push_back(f);
    out.copy_family = copy;
    out.compute_family = compute;
    return out;
}

}  // namespace anarchy::client
