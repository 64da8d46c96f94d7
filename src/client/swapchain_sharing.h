// How the emulated swapchain's images are shared between queue families. The server captures presented images on
// queues of its own where the device has the families for it (protocol/capture_families.h): a copy engine for plain
// copies, asynchronous compute for captures that convert. There a capture runs beside the program's rendering
// instead of waiting behind its next frame on the program's queue. The images must then be
// VK_SHARING_MODE_CONCURRENT with those families, and with every family the program may use them on, so neither
// side needs a queue family ownership transfer.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

#include "protocol/capture_families.h"

namespace anarchy::client {

struct SwapchainImageSharing {
    /// The capture families the images are shared with; protocol::kNoFamily for one the device lacks.
    uint32_t copy_family = protocol::kNoFamily;
    uint32_t compute_family = protocol::kNoFamily;
    /// The families of the CONCURRENT images (when shared()): the program's own list for a concurrent swapchain,
    /// every graphics, compute or transfer family for an exclusive one, and the capture families.
    std::vector<uint32_t> families;
    bool shared() const { return copy_family != protocol::kNoFamily || compute_family != protocol::kNoFamily; }
};

/// Decides from the physical device's queue families and the program's create info.
SwapchainImageSharing swapchain_image_sharing(const std::vector<VkQueueFamilyProperties>& families,
                                              const VkSwapchainCreateInfoKHR& ci);

}  // namespace anarchy::client
