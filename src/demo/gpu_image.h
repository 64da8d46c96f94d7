// A 2D VkImage with its own memory allocation and one view over all its mip levels.
#pragma once

#include "device_object.h"

#include <vulkan/vulkan.h>

namespace anarchy::demo {

class VulkanContext;

class GpuImage {
public:
    /// Optimal tiling, device-local, one layer; `aspect` is the view's aspect (COLOR or DEPTH).
    GpuImage(const VulkanContext& context, VkExtent2D extent, VkFormat format, VkImageUsageFlags usage,
             VkImageAspectFlags aspect, uint32_t mip_levels = 1);

    VkImage image() const { return image_.get(); }
    VkImageView view() const { return view_.get(); }
    VkExtent2D extent() const { return extent_; }
    VkFormat format() const { return format_; }
    uint32_t mip_levels() const { return mip_levels_; }

private:
    UniqueMemory memory_;  // declared first so it outlives the image
    UniqueImage image_;
    UniqueImageView view_;
    VkExtent2D extent_{};
    VkFormat format_ = VK_FORMAT_UNDEFINED;
    uint32_t mip_levels_ = 1;
};

}  // namespace anarchy::demo
