// A VkBuffer with its own memory allocation, optionally persistently mapped.
#pragma once

#include "device_object.h"

#include <vulkan/vulkan.h>

namespace anarchy::demo {

class VulkanContext;

class GpuBuffer {
public:
    /// Host-visible buffers come from HOST_VISIBLE | HOST_COHERENT memory and stay mapped for their lifetime,
    /// so writes need no flush and reads after a fence wait need no invalidate.
    enum class Access { DeviceLocal, HostMapped };

    GpuBuffer(const VulkanContext& context, VkDeviceSize size, VkBufferUsageFlags usage, Access access);

    /// A device-local buffer holding `data`, copied in through a staging buffer; waits for the copy.
    static GpuBuffer upload(const VulkanContext& context, const void* data, VkDeviceSize size,
                            VkBufferUsageFlags usage);

    VkBuffer buffer() const { return buffer_.get(); }
    VkDeviceSize size() const { return size_; }
    /// The mapping of a HostMapped buffer; nullptr for DeviceLocal.
    void* mapped() const { return mapped_; }

private:
    UniqueMemory memory_;  // freeing it also unmaps it; declared first so it outlives the buffer
    UniqueBuffer buffer_;
    VkDeviceSize size_ = 0;
    void* mapped_ = nullptr;
};

}  // namespace anarchy::demo
