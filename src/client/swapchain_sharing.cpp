#include "client/swapchain_sharing.h"

#include <algorithm>

namespace anarchy::client {

SwapchainImageSharing swapchain_image_sharing(const std::vector<VkQueueFamilyProperties>& families,
                                              const VkSwapchainCreateInfoKHR& ci) {
    SwapchainImageSharing out;
    constexpr VkQueueFlags kWork = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT;
    const uint32_t n = uint32_t(families.size());
    uint32_t copy = protocol::SwapchainCreateMessage::kNoCopyFamily;
    for (uint32_t f = 0; f < n; ++f)
        if ((families[f].queueFlags & VK_QUEUE_TRANSFER_BIT) && !(families[f].queueFlags & kWork) &&
            families[f].queueCount) {
            copy = f;
            break;
        }
    if (copy == protocol::SwapchainCreateMessage::kNoCopyFamily) return out;
    if (ci.imageSharingMode == VK_SHARING_MODE_CONCURRENT) {
        if (!ci.pQueueFamilyIndices) return out;  // invalid usage: leave it to the driver's own checks
        out.families.assign(ci.pQueueFamilyIndices, ci.pQueueFamilyIndices + ci.queueFamilyIndexCount);
    } else {
        // Exclusive: the program may move the images between its families; sharing them with every family that
        // can render, compute or copy makes those transfers no-ops.
        for (uint32_t f = 0; f < n; ++f)
            if (families[f].queueFlags & (kWork | VK_QUEUE_TRANSFER_BIT)) out.families.push_back(f);
    }
    if (std::find(out.families.begin(), out.families.end(), copy) == out.families.end()) out.families.push_back(copy);
    out.copy_family = copy;
    return out;
}

}  // namespace anarchy::client
