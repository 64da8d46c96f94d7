// How the emulated swapchain's images are shared between queue families. The server captures presented images on a
// queue of its own in a transfer-only family (a copy engine) where the device has one: such a capture runs beside the
// program's rendering instead of waiting behind its next frame on the program's queue. The images must then be
// VK_SHARING_MODE_CONCURRENT with that family, and with every family the program may use them on, so neither side
// needs a queue family ownership transfer.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

#include "protocol/swapchain_messages.h"

namespace anarchy::client {

struct SwapchainImageSharing {
    /// The transfer-only family the server may capture on; kNoCopyFamily: the images keep the program's sharing.
    uint32_t copy_family = protocol::SwapchainCreateMessage::kNoCopyFamily;
    /// The families of the CONCURRENT images (when copy_family is set): the program's own list for a concurrent
    /// swapchain, every graphics, compute or transfer family for an exclusive one, and copy_family.
    std::vector<uint32_t> families;
};

/// Decides from the physical device's queue families and the program's create info.
SwapchainImageSharing swapchain_image_sharing(const std::vector<VkQueueFamilyProperties>& families,
                                              const VkSwapchainCreateInfoKHR& ci);

}  // namespace anarchy::client
