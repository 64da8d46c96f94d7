// The copy of a rendered colour image to host memory, recorded into whatever command buffer produced the
// image (a frame's, or a one-shot submission), and its conversion to RGB rows for a PNG.
#pragma once

#include "gpu_buffer.h"

#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

namespace anarchy::demo {

class VulkanContext;

class ImageReadback {
public:
    /// Whether rgb() can convert images of `format`: 8 bits per channel, RGBA or BGRA order.
    static bool supports(VkFormat format);

    /// A host-visible buffer for one `extent` image of `format`; throws VulkanError unless supports(format).
    ImageReadback(const VulkanContext& context, VkExtent2D extent, VkFormat format);

    /// Records the copy of `image` (TRANSFER_SRC_OPTIMAL, of this readback's extent and format, its
    /// rendering made visible to transfers) into the buffer and makes the copy visible to the host.
    void record_copy(VkCommandBuffer cmd, VkImage image) const;

    /// Tightly packed RGB8 rows, top to bottom; the submission that recorded the copy must have completed.
    std::vector<uint8_t> rgb() const;

    VkExtent2D extent() const { return extent_; }

private:
    VkExtent2D extent_;
    VkFormat format_;
    GpuBuffer buffer_;
};

}  // namespace anarchy::demo
