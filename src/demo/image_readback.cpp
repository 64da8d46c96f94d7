#include "image_readback.h"

#include "vulkan_context.h"
#include "vulkan_error.h"

#include <string>

namespace anarchy::demo {
namespace {

bool is_bgra(VkFormat format) { return format == VK_FORMAT_B8G8R8A8_SRGB || format == VK_FORMAT_B8G8R8A8_UNORM; }

VkFormat require_readable(VkFormat format) {
    if (!ImageReadback::supports(format)) {
        throw VulkanError("format " + std::to_string(format) + " is not an 8-bit RGBA or BGRA format a PNG can be made of");
    }
    return format;
}

}  // namespace

bool ImageReadback::supports(VkFormat format) {
    return is_bgra(format) || format == VK_FORMAT_R8G8B8A8_SRGB || format == VK_FORMAT_R8G8B8A8_UNORM;
}

ImageReadback::ImageReadback(const VulkanContext& context, VkExtent2D extent, VkFormat format)
    : extent_(extent),
      format_(require_readable(format)),
      buffer_(context, VkDeviceSize(extent.width) * extent.height * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
              GpuBuffer::Access::HostMapped) {}

void ImageReadback::record_copy(VkCommandBuffer cmd, VkImage image) const {
    VkBufferImageCopy region{};
    region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.imageExtent = {extent_.width, extent_.height, 1};
    vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer_.buffer(), 1, &region);
    VkMemoryBarrier to_host{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0, nullptr, 0,
                         nullptr);
}

std::vector<uint8_t> ImageReadback::rgb() const {
    const size_t pixels = size_t(extent_.width) * extent_.height;
    const bool bgra = is_bgra(format_);
    const auto* rgba = static_cast<const uint8_t*>(buffer_.mapped());
    std::vector<uint8_t> rgb(pixels * 3);
    for (size_t i = 0; i < pixels; ++i) {
        rgb[i * 3 + 0] = rgba[i * 4 + (bgra ? 2 : 0)];
        rgb[i * 3 + 1] = rgba[i * 4 + 1];
        rgb[i * 3 + 2] = rgba[i * 4 + (bgra ? 0 : 2)];
    }
    return rgb;
}

}  // namespace anarchy::demo
