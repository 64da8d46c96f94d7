#include "gpu_buffer.h"

#include "vulkan_context.h"
#include "vulkan_error.h"

#include <cstring>

namespace anarchy::demo {

GpuBuffer::GpuBuffer(const VulkanContext& context, VkDeviceSize size, VkBufferUsageFlags usage, Access access)
    : size_(size) {
    VkDevice device = context.device();
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = size;
    info.usage = usage;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VK_CHECK(vkCreateBuffer(device, &info, nullptr, buffer_.put(device)));

    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(device, buffer_.get(), &requirements);
    const VkMemoryPropertyFlags properties = access == Access::HostMapped
                                                 ? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
                                                 : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = context.find_memory_type(requirements.memoryTypeBits, properties);
    VK_CHECK(vkAllocateMemory(device, &alloc, nullptr, memory_.put(device)));
    VK_CHECK(vkBindBufferMemory(device, buffer_.get(), memory_.get(), 0));
    if (access == Access::HostMapped) VK_CHECK(vkMapMemory(device, memory_.get(), 0, VK_WHOLE_SIZE, 0, &mapped_));
}

GpuBuffer GpuBuffer::upload(const VulkanContext& context, const void* data, VkDeviceSize size,
                            VkBufferUsageFlags usage) {
    GpuBuffer staging(context, size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, Access::HostMapped);
    std::memcpy(staging.mapped(), data, size);
    GpuBuffer buffer(context, size, usage | VK_BUFFER_USAGE_TRANSFER_DST_BIT, Access::DeviceLocal);
    context.submit_and_wait([&](VkCommandBuffer cmd) {
        VkBufferCopy region{0, 0, size};
        vkCmdCopyBuffer(cmd, staging.buffer(), buffer.buffer(), 1, &region);
        // Later submissions read it as vertex/index data; the fence wait covers host ordering only.
        VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
        barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
        barrier.dstAccessMask = VK_ACCESS_VERTEX_ATTRIBUTE_READ_BIT | VK_ACCESS_INDEX_READ_BIT |
                                VK_ACCESS_UNIFORM_READ_BIT | VK_ACCESS_SHADER_READ_BIT;
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                             VK_PIPELINE_STAGE_VERTEX_INPUT_BIT | VK_PIPELINE_STAGE_VERTEX_SHADER_BIT |
                                 VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
                             0, 1, &barrier, 0, nullptr, 0, nullptr);
    });
    return buffer;
}

}  // namespace anarchy::demo
