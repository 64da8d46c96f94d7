// Buffers and buffer views: created and bound as the program asks; the write tracker learns their memory ranges
// (mapped-memory candidates, GpuWriteTracker).
#include <vector>

#include "server/gpu_write_tracker.h"
#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {

VkResult override_vkCreateBuffer(Session& s, VkDevice device, const VkBufferCreateInfo* pCreateInfo,
                                 const VkAllocationCallbacks*, VkBuffer* pBuffer) {
    VkResult r = s.vk(device).CreateBuffer(device, pCreateInfo, nullptr, pBuffer);
    if (r != VK_SUCCESS) return r;
    // With VK_KHR_maintenance5 (core in 1.4) a VkBufferUsageFlags2CreateInfo in the chain replaces usage.
    VkBufferUsageFlags usage = pCreateInfo->usage;
    for (auto* p = static_cast<const VkBaseInStructure*>(pCreateInfo->pNext); p; p = p->pNext)
        if (p->sType == VK_STRUCTURE_TYPE_BUFFER_USAGE_FLAGS_2_CREATE_INFO)
            usage = static_cast<VkBufferUsageFlags>(reinterpret_cast<const VkBufferUsageFlags2CreateInfo*>(p)->usage);
    s.gpu_writes().on_create_buffer(device, *pBuffer, pCreateInfo->size, usage);
    return r;
}

void override_vkDestroyBuffer(Session& s, VkDevice device, VkBuffer buffer, const VkAllocationCallbacks*) {
    if (buffer) s.gpu_writes().on_destroy_buffer(buffer);
    s.vk(device).DestroyBuffer(device, buffer, nullptr);
}

VkResult override_vkBindBufferMemory(Session& s, VkDevice device, VkBuffer buffer, VkDeviceMemory memory,
                                     VkDeviceSize memoryOffset) {
    VkResult r = s.vk(device).BindBufferMemory(device, buffer, memory, memoryOffset);
    if (r == VK_SUCCESS) s.gpu_writes().on_bind_buffer(buffer, memory, memoryOffset);
    return r;
}

VkResult override_vkBindBufferMemory2(Session& s, VkDevice device, uint32_t bindInfoCount,
                                      const VkBindBufferMemoryInfo* pBindInfos) {
    VkResult r = s.vk(device).BindBufferMemory2(device, bindInfoCount, pBindInfos);
    if (r == VK_SUCCESS)
        for (uint32_t i = 0; i < bindInfoCount; ++i)
            s.gpu_writes().on_bind_buffer(pBindInfos[i].buffer, pBindInfos[i].memory, pBindInfos[i].memoryOffset);
    return r;
}

VkResult override_vkCreateBufferView(Session& s, VkDevice device, const VkBufferViewCreateInfo* pCreateInfo,
                                     const VkAllocationCallbacks*, VkBufferView* pView) {
    VkResult r = s.vk(device).CreateBufferView(device, pCreateInfo, nullptr, pView);
    if (r == VK_SUCCESS)
        s.gpu_writes().on_create_buffer_view(*pView, pCreateInfo->buffer, pCreateInfo->offset, pCreateInfo->range);
    return r;
}

void override_vkDestroyBufferView(Session& s, VkDevice device, VkBufferView bufferView, const VkAllocationCallbacks*) {
    if (bufferView) s.gpu_writes().on_destroy_buffer_view(bufferView);
    s.vk(device).DestroyBufferView(device, bufferView, nullptr);
}

}  // namespace anarchy::server
