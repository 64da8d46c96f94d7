// Buffers and buffer views: created and bound as the program asks; the write tracker learns their memory ranges
// (mapped-memory candidates, GpuWriteTracker).
#include <vector>

#include "server/gpu_write_tracker.h"
#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {

VkResult override_vkCreateBuffer(Session& s, VkDevice device, const VkBufferCreateInfo* pCreateInfo,
                                 const VkAllocationCallbacks*, VkBuffer* pBuffer) {
    VkResult r = s.vk().CreateBuffer(device, pCreateInfo, nullptr, pBuffer);
    if (r == VK_SUCCESS) s.gpu_writes().on_create_buffer(device, *pBuffer, pCreateInfo->size, pCreateInfo->usage);
    return r;
}

void override_vkDestroyBuffer(Session& s, VkDevice device, VkBuffer buffer, const VkAllocationCallbacks*) {
    if (buffer) s.gpu_writes().on_destroy_buffer(buffer);
    s.vk().DestroyBuffer(device, buffer, nullptr);
}

VkResult override_vkBindBufferMemory(Session& s, VkDevice device, VkBuffer buffer, VkDeviceMemory memory,
                                     VkDeviceSize memoryOffset) {
    VkResult r = s.vk().BindBufferMemory(device, buffer, memory, memoryOffset);
    if (r == VK_SUCCESS) s.gpu_writes().on_bind_buffer(buffer, memory, memoryOffset);
    return r;
}

VkResult override_vkBindBufferMemory2(Session& s, VkDevice device, uint32_t bindInfoCount,
                                      const VkBindBufferMemoryInfo* pBindInfos) {
    VkResult r = s.vk().BindBufferMemory2(device, bindInfoCount, pBindInfos);
    if (r == VK_SUCCESS)
        for (uint32_t i = 0; i < bindInfoCount; ++i)
            s.gpu_writes().on_bind_buffer(pBindInfos[i].buffer, pBindInfos[i].memory, pBindInfos[i].memoryOffset);
    return r;
}

VkResult override_vkCreateBufferView(Session& s, VkDevice device, const VkBufferViewCreateInfo* pCreateInfo,
                                     const VkAllocationCallbacks*, VkBufferView* pView) {
    VkResult r = s.vk().CreateBufferView(device, pCreateInfo, nullptr, pView);
    if (r == VK_SUCCESS)
        s.gpu_writes().on_create_buffer_view(*pView, pCreateInfo->buffer, pCreateInfo->offset, pCreateInfo->range);
    return r;
}

void override_vkDestroyBufferView(Session& s, VkDevice device, VkBufferView bufferView, const VkAllocationCallbacks*) {
    if (bufferView) s.gpu_writes().on_destroy_buffer_view(bufferView);
    s.vk().DestroyBufferView(device, bufferView, nullptr);
}

}  // namespace anarchy::server
