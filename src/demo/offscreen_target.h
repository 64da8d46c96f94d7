// An offscreen colour image to render frames into, and the readback of its pixels to the host.
#pragma once

#include "gpu_image.h"
#include "render_target.h"

#include <cstdint>
#include <vector>

namespace anarchy::demo {

class VulkanContext;

class OffscreenTarget {
public:
    /// Throws VulkanError if `format` cannot be a colour attachment and a copy source, or `extent` is too large.
    OffscreenTarget(const VulkanContext& context, VkExtent2D extent, VkFormat format);

    /// Frames leave the image in TRANSFER_SRC_OPTIMAL, ready for read_rgb().
    RenderTarget target() const;

    /// Copies the last frame rendered into the image to the host: tightly packed RGB8 rows, top to bottom.
    /// Every submission that renders into the image must have completed. Throws VulkanError unless the
    /// format is one ImageReadback supports.
    std::vector<uint8_t> read_rgb(const VulkanContext& context) const;

private:
    GpuImage image_;
};

}  // namespace anarchy::demo
