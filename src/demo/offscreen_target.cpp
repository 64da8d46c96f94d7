#include "offscreen_target.h"

#include "gpu_buffer.h"
#include "vulkan_context.h"
#include "vulkan_error.h"

#include <algorithm>

namespace anarchy::demo {
namespace {

VkExtent2D require_target_extent(const VulkanContext& context, VkExtent2D extent) {
    const VkPhysicalDeviceLimits& limits = context.properties().limits;
    if (extent.width > std::min(limits.maxImageDimension2D, limits.maxFramebufferWidth) ||
        extent.height > std::min(limits.maxImageDimension2D, limits.maxFramebufferHeight)) {
        throw VulkanError("a " + std::to_string(extent.width) + "x" + std::to_string(extent.height) +
                          " target exceeds the device's image or framebuffer size limits");
    }
    return extent;
}

VkFormat require_target_format(const VulkanContext& context, VkFormat format) {
    VkFormatProperties properties;
    vkGetPhysicalDeviceFormatProperties(context.physical_device(), format, &properties);
    const VkFormatFeatureFlags needed = VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT | VK_FORMAT_FEATURE_TRANSFER_SRC_BIT;
    if ((properties.optimalTilingFeatures & needed) != needed) {
        throw VulkanError("format " + std::to_string(format) +
                          " cannot be an optimal-tiling colour attachment and copy source on this device");
    }
    return format;
}

}  // namespace

OffscreenTarget::OffscreenTarget(const VulkanContext& context, VkExtent2D extent, VkFormat format)
    : image_(context, require_target_extent(context, extent), require_target_format(context, format),
             VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT, VK_IMAGE_ASPECT_COLOR_BIT) {}

RenderTarget OffscreenTarget::target() const {
    RenderTarget target;
    target.image = image_.image();
    target.view = image_.view();
    target.format = image_.format();
    target.extent = image_.extent();
    target.final_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    target.final_stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
    target.final_access = VK_ACCESS_TRANSFER_READ_BIT;
    return target;
}

std::vector<uint8_t> OffscreenTarget::read_rgb(const VulkanContext& context) const {
    const VkExtent2D extent = image_.extent();
    const size_t pixels = size_t(extent.width) * extent.height;
    GpuBuffer readback(context, pixels * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT, GpuBuffer::Access::HostMapped);
    context.submit_and_wait([&](VkCommandBuffer cmd) {
        VkBufferImageCopy region{};
        region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
        region.imageExtent = {extent.width, extent.height, 1};
        vkCmdCopyImageToBuffer(cmd, image_.image(), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback.buffer(), 1, &region);
        VkMemoryBarrier to_host{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
        to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
        to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0,
                             nullptr, 0, nullptr);
    });

    const bool bgra = image_.format() == VK_FORMAT_B8G8R8A8_SRGB || image_.format() == VK_FORMAT_B8G8R8A8_UNORM;
    const auto* rgba = static_cast<const uint8_t*>(readback.mapped());
    std::vector<uint8_t> rgb(pixels * 3);
    for (size_t i = 0; i < pixels; ++i) {
        rgb[i * 3 + 0] = rgba[i * 4 + (bgra ? 2 : 0)];
        rgb[i * 3 + 1] = rgba[i * 4 + 1];
        rgb[i * 3 + 2] = rgba[i * 4 + (bgra ? 0 : 2)];
    }
    return rgb;
}

}  // namespace anarchy::demo
