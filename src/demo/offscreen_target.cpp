#include "offscreen_target.h"

#include "image_readback.h"
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
    ImageReadback readback(context, image_.extent(), image_.format());
    context.submit_and_wait([&](VkCommandBuffer cmd) { readback.record_copy(cmd, image_.image()); });
    return readback.rgb();
}

}  // namespace anarchy::demo
