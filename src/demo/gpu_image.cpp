#include "gpu_image.h"

#include "vulkan_context.h"
#include "vulkan_error.h"

namespace anarchy::demo {

GpuImage::GpuImage(const VulkanContext& context, VkExtent2D extent, VkFormat format, VkImageUsageFlags usage,
                   VkImageAspectFlags aspect, uint32_t mip_levels)
    : extent_(extent), format_(format), mip_levels_(mip_levels) {
    VkDevice device = context.device();
    VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    info.imageType = VK_IMAGE_TYPE_2D;
    info.format = format;
    info.extent = {extent.width, extent.height, 1};
    info.mipLevels = mip_levels;
    info.arrayLayers = 1;
    info.samples = VK_SAMPLE_COUNT_1_BIT;
    info.tiling = VK_IMAGE_TILING_OPTIMAL;
    info.usage = usage;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    VK_CHECK(vkCreateImage(device, &info, nullptr, image_.put(device)));

    VkMemoryRequirements requirements;
    vkGetImageMemoryRequirements(device, image_.get(), &requirements);
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = context.find_memory_type(requirements.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    VK_CHECK(vkAllocateMemory(device, &alloc, nullptr, memory_.put(device)));
    VK_CHECK(vkBindImageMemory(device, image_.get(), memory_.get(), 0));

    VkImageViewCreateInfo view_info{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    view_info.image = image_.get();
    view_info.viewType = VK_IMAGE_VIEW_TYPE_2D;
    view_info.format = format;
    view_info.subresourceRange = {aspect, 0, mip_levels, 0, 1};
    VK_CHECK(vkCreateImageView(device, &view_info, nullptr, view_.put(device)));
}

}  // namespace anarchy::demo
