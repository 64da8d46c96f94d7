// Server hooks that record what the GPU may write (mapped-memory candidates, GpuWriteTracker): each runs the
// real command, then tells the session's tracker. Handles are the host driver's; counts and handles were
// checked by the generated decoder, pointers to optional arrays may still be null.
#include <vector>

#include "server/gpu_write_tracker.h"
#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {
namespace {

/// Command buffers allocated from a pool (the object table knows their parent).
std::vector<VkCommandBuffer> pool_command_buffers(Session& s, VkCommandPool pool) {
    std::vector<VkCommandBuffer> out;
    for (auto& [id, e] : s.objects().of_type(VK_OBJECT_TYPE_COMMAND_BUFFER))
        if (e.parent_type == VK_OBJECT_TYPE_COMMAND_POOL && e.parent == reinterpret_cast<uint64_t>(pool))
            out.push_back(reinterpret_cast<VkCommandBuffer>(e.handle));
    return out;
}

VkDevice queue_device(Session& s, VkQueue queue) {
    ObjectEntry e;
    uint64_t id = s.objects().find_id(VK_OBJECT_TYPE_QUEUE, reinterpret_cast<uint64_t>(queue));
    if (!id || !s.objects().entry(id, e)) return VK_NULL_HANDLE;
    return reinterpret_cast<VkDevice>(e.owner);
}

bool has_in_chain(const void* next, VkStructureType type) {
    for (auto* p = static_cast<const VkBaseInStructure*>(next); p; p = p->pNext)
        if (p->sType == type) return true;
    return false;
}

void bind_image(Session& s, VkDevice device, VkImage image, VkDeviceMemory memory, VkDeviceSize offset, bool plane) {
    if (!memory || !s.gpu_writes().is_host_visible(memory)) return;
    VkDeviceSize size = UINT64_MAX;  // a plane of a disjoint image: to the end of the allocation
    if (!plane) {
        VkMemoryRequirements req{};
        s.vk().GetImageMemoryRequirements(device, image, &req);
        size = req.size;
    }
    s.gpu_writes().on_bind_image(device, image, memory, offset, size);
}

}  // namespace

// ---- resources ----

VkResult override_vkCreateBuffer(Session& s, VkDevice device, const VkBufferCreateInfo* pCreateInfo,
                                 const VkAllocationCallbacks*, VkBuffer* pBuffer) {
    VkResult r = s.vk().CreateBuffer(device, pCreateInfo, nullptr, pBuffer);
    if (r == VK_SUCCESS) s.gpu_writes().on_create_buffer(device, *pBuffer, pCreateInfo->size, pCreateInfo->usage);
    return r;
}

VkResult override_vkCreateImage(Session& s, VkDevice device, const VkImageCreateInfo* pCreateInfo,
                                const VkAllocationCallbacks*, VkImage* pImage) {
    VkResult r = s.vk().CreateImage(device, pCreateInfo, nullptr, pImage);
    if (r == VK_SUCCESS && pCreateInfo->tiling == VK_IMAGE_TILING_LINEAR) s.gpu_writes().on_create_linear_image(*pImage);
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

VkResult override_vkBindImageMemory(Session& s, VkDevice device, VkImage image, VkDeviceMemory memory,
                                    VkDeviceSize memoryOffset) {
    VkResult r = s.vk().BindImageMemory(device, image, memory, memoryOffset);
    if (r == VK_SUCCESS) bind_image(s, device, image, memory, memoryOffset, false);
    return r;
}

VkResult override_vkBindImageMemory2(Session& s, VkDevice device, uint32_t bindInfoCount,
                                     const VkBindImageMemoryInfo* pBindInfos) {
    VkResult r = s.vk().BindImageMemory2(device, bindInfoCount, pBindInfos);
    if (r == VK_SUCCESS)
        for (uint32_t i = 0; i < bindInfoCount; ++i) {
            const auto& b = pBindInfos[i];
            bool plane = has_in_chain(b.pNext, VK_STRUCTURE_TYPE_BIND_IMAGE_PLANE_MEMORY_INFO);
            bind_image(s, device, b.image, b.memory, b.memoryOffset, plane);
        }
    return r;
}

void override_vkDestroyImage(Session& s, VkDevice device, VkImage image, const VkAllocationCallbacks*) {
    if (image) s.gpu_writes().on_destroy_image(image);
    s.vk().DestroyImage(device, image, nullptr);
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

// ---- descriptors ----

VkResult override_vkCreateDescriptorSetLayout(Session& s, VkDevice device, const VkDescriptorSetLayoutCreateInfo* pCreateInfo,
                                              const VkAllocationCallbacks*, VkDescriptorSetLayout* pSetLayout) {
    VkResult r = s.vk().CreateDescriptorSetLayout(device, pCreateInfo, nullptr, pSetLayout);
    if (r == VK_SUCCESS) s.gpu_writes().on_create_set_layout(*pSetLayout, *pCreateInfo);
    return r;
}

void override_vkDestroyDescriptorSetLayout(Session& s, VkDevice device, VkDescriptorSetLayout descriptorSetLayout,
                                           const VkAllocationCallbacks*) {
    if (descriptorSetLayout) s.gpu_writes().on_destroy_set_layout(descriptorSetLayout);
    s.vk().DestroyDescriptorSetLayout(device, descriptorSetLayout, nullptr);
}

VkResult override_vkAllocateDescriptorSets(Session& s, VkDevice device, const VkDescriptorSetAllocateInfo* pAllocateInfo,
                                           VkDescriptorSet* pDescriptorSets) {
    VkResult r = s.vk().AllocateDescriptorSets(device, pAllocateInfo, pDescriptorSets);
    if (r == VK_SUCCESS)
        s.gpu_writes().on_allocate_sets(pAllocateInfo->descriptorPool, pAllocateInfo->pSetLayouts, pDescriptorSets,
                                        pAllocateInfo->descriptorSetCount);
    return r;
}

VkResult override_vkFreeDescriptorSets(Session& s, VkDevice device, VkDescriptorPool descriptorPool,
                                       uint32_t descriptorSetCount, const VkDescriptorSet* pDescriptorSets) {
    s.gpu_writes().on_free_sets(pDescriptorSets, descriptorSetCount);
    return s.vk().FreeDescriptorSets(device, descriptorPool, descriptorSetCount, pDescriptorSets);
}

VkResult override_vkResetDescriptorPool(Session& s, VkDevice device, VkDescriptorPool descriptorPool,
                                        VkDescriptorPoolResetFlags flags) {
    s.gpu_writes().on_reset_descriptor_pool(descriptorPool);
    return s.vk().ResetDescriptorPool(device, descriptorPool, flags);
}

void override_vkDestroyDescriptorPool(Session& s, VkDevice device, VkDescriptorPool descriptorPool,
                                      const VkAllocationCallbacks*) {
    if (descriptorPool) s.gpu_writes().on_reset_descriptor_pool(descriptorPool);
    s.vk().DestroyDescriptorPool(device, descriptorPool, nullptr);
}

void override_vkUpdateDescriptorSets(Session& s, VkDevice device, uint32_t descriptorWriteCount,
                                     const VkWriteDescriptorSet* pDescriptorWrites, uint32_t descriptorCopyCount,
                                     const VkCopyDescriptorSet* pDescriptorCopies) {
    s.vk().UpdateDescriptorSets(device, descriptorWriteCount, pDescriptorWrites, descriptorCopyCount, pDescriptorCopies);
    s.gpu_writes().on_update_sets(descriptorWriteCount, pDescriptorWrites, descriptorCopyCount, pDescriptorCopies);
}

// ---- command buffer lifetime ----

VkResult override_vkBeginCommandBuffer(Session& s, VkCommandBuffer commandBuffer, const VkCommandBufferBeginInfo* pBeginInfo) {
    s.gpu_writes().on_reset_command_buffer(commandBuffer);
    return s.vk().BeginCommandBuffer(commandBuffer, pBeginInfo);
}

VkResult override_vkResetCommandBuffer(Session& s, VkCommandBuffer commandBuffer, VkCommandBufferResetFlags flags) {
    s.gpu_writes().on_reset_command_buffer(commandBuffer);
    return s.vk().ResetCommandBuffer(commandBuffer, flags);
}

VkResult override_vkResetCommandPool(Session& s, VkDevice device, VkCommandPool commandPool, VkCommandPoolResetFlags flags) {
    for (VkCommandBuffer cb : pool_command_buffers(s, commandPool)) s.gpu_writes().on_reset_command_buffer(cb);
    return s.vk().ResetCommandPool(device, commandPool, flags);
}

void override_vkFreeCommandBuffers(Session& s, VkDevice device, VkCommandPool commandPool, uint32_t commandBufferCount,
                                   const VkCommandBuffer* pCommandBuffers) {
    for (uint32_t i = 0; pCommandBuffers && i < commandBufferCount; ++i)
        if (pCommandBuffers[i]) s.gpu_writes().on_free_command_buffer(pCommandBuffers[i]);
    s.vk().FreeCommandBuffers(device, commandPool, commandBufferCount, pCommandBuffers);
}

void override_vkDestroyCommandPool(Session& s, VkDevice device, VkCommandPool commandPool, const VkAllocationCallbacks*) {
    if (commandPool)
        for (VkCommandBuffer cb : pool_command_buffers(s, commandPool)) s.gpu_writes().on_free_command_buffer(cb);
    s.vk().DestroyCommandPool(device, commandPool, nullptr);
}

// ---- recorded writes ----

void override_vkCmdCopyBuffer(Session& s, VkCommandBuffer commandBuffer, VkBuffer srcBuffer, VkBuffer dstBuffer,
                              uint32_t regionCount, const VkBufferCopy* pRegions) {
    s.vk().CmdCopyBuffer(commandBuffer, srcBuffer, dstBuffer, regionCount, pRegions);
    for (uint32_t i = 0; pRegions && i < regionCount; ++i)
        s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, pRegions[i].dstOffset, pRegions[i].size);
}

void override_vkCmdCopyBuffer2(Session& s, VkCommandBuffer commandBuffer, const VkCopyBufferInfo2* pCopyBufferInfo) {
    s.vk().CmdCopyBuffer2(commandBuffer, pCopyBufferInfo);
    for (uint32_t i = 0; pCopyBufferInfo->pRegions && i < pCopyBufferInfo->regionCount; ++i)
        s.gpu_writes().cmd_write_buffer(commandBuffer, pCopyBufferInfo->dstBuffer, pCopyBufferInfo->pRegions[i].dstOffset,
                                        pCopyBufferInfo->pRegions[i].size);
}

// The footprint of an image region in a buffer depends on the format's block size: conservatively, everything
// from the region's offset to the end of the buffer.
void override_vkCmdCopyImageToBuffer(Session& s, VkCommandBuffer commandBuffer, VkImage srcImage,
                                     VkImageLayout srcImageLayout, VkBuffer dstBuffer, uint32_t regionCount,
                                     const VkBufferImageCopy* pRegions) {
    s.vk().CmdCopyImageToBuffer(commandBuffer, srcImage, srcImageLayout, dstBuffer, regionCount, pRegions);
    for (uint32_t i = 0; pRegions && i < regionCount; ++i)
        s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, pRegions[i].bufferOffset, VK_WHOLE_SIZE);
}

void override_vkCmdCopyImageToBuffer2(Session& s, VkCommandBuffer commandBuffer,
                                      const VkCopyImageToBufferInfo2* pCopyImageToBufferInfo) {
    s.vk().CmdCopyImageToBuffer2(commandBuffer, pCopyImageToBufferInfo);
    const auto& c = *pCopyImageToBufferInfo;
    for (uint32_t i = 0; c.pRegions && i < c.regionCount; ++i)
        s.gpu_writes().cmd_write_buffer(commandBuffer, c.dstBuffer, c.pRegions[i].bufferOffset, VK_WHOLE_SIZE);
}

void override_vkCmdUpdateBuffer(Session& s, VkCommandBuffer commandBuffer, VkBuffer dstBuffer, VkDeviceSize dstOffset,
                                VkDeviceSize dataSize, const void* pData) {
    s.vk().CmdUpdateBuffer(commandBuffer, dstBuffer, dstOffset, dataSize, pData);
    s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, dstOffset, dataSize);
}

void override_vkCmdFillBuffer(Session& s, VkCommandBuffer commandBuffer, VkBuffer dstBuffer, VkDeviceSize dstOffset,
                              VkDeviceSize size, uint32_t data) {
    s.vk().CmdFillBuffer(commandBuffer, dstBuffer, dstOffset, size, data);
    s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, dstOffset, size);
}

// A query's result size depends on its pool (type, statistics): conservatively, to the end of the buffer.
void override_vkCmdCopyQueryPoolResults(Session& s, VkCommandBuffer commandBuffer, VkQueryPool queryPool,
                                        uint32_t firstQuery, uint32_t queryCount, VkBuffer dstBuffer,
                                        VkDeviceSize dstOffset, VkDeviceSize stride, VkQueryResultFlags flags) {
    s.vk().CmdCopyQueryPoolResults(commandBuffer, queryPool, firstQuery, queryCount, dstBuffer, dstOffset, stride, flags);
    if (queryCount) s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, dstOffset, VK_WHOLE_SIZE);
}

void override_vkCmdWriteBufferMarker2AMD(Session& s, VkCommandBuffer commandBuffer, VkPipelineStageFlags2 stage,
                                         VkBuffer dstBuffer, VkDeviceSize dstOffset, uint32_t marker) {
    s.vk().CmdWriteBufferMarker2AMD(commandBuffer, stage, dstBuffer, dstOffset, marker);
    s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, dstOffset, 4);
}

void override_vkCmdBindTransformFeedbackBuffersEXT(Session& s, VkCommandBuffer commandBuffer, uint32_t firstBinding,
                                                   uint32_t bindingCount, const VkBuffer* pBuffers,
                                                   const VkDeviceSize* pOffsets, const VkDeviceSize* pSizes) {
    s.vk().CmdBindTransformFeedbackBuffersEXT(commandBuffer, firstBinding, bindingCount, pBuffers, pOffsets, pSizes);
    for (uint32_t i = 0; pBuffers && pOffsets && i < bindingCount; ++i)
        s.gpu_writes().cmd_write_buffer(commandBuffer, pBuffers[i], pOffsets[i], pSizes ? pSizes[i] : VK_WHOLE_SIZE);
}

namespace {
/// Transform feedback counters: 4 bytes each; begin reads them, end writes them (both recorded).
void counter_writes(Session& s, VkCommandBuffer cb, uint32_t count, const VkBuffer* buffers, const VkDeviceSize* offsets) {
    for (uint32_t i = 0; buffers && i < count; ++i)
        if (buffers[i]) s.gpu_writes().cmd_write_buffer(cb, buffers[i], offsets ? offsets[i] : 0, 4);
}
}  // namespace

void override_vkCmdBeginTransformFeedbackEXT(Session& s, VkCommandBuffer commandBuffer, uint32_t firstCounterBuffer,
                                             uint32_t counterBufferCount, const VkBuffer* pCounterBuffers,
                                             const VkDeviceSize* pCounterBufferOffsets) {
    s.vk().CmdBeginTransformFeedbackEXT(commandBuffer, firstCounterBuffer, counterBufferCount, pCounterBuffers,
                                        pCounterBufferOffsets);
    counter_writes(s, commandBuffer, counterBufferCount, pCounterBuffers, pCounterBufferOffsets);
}

void override_vkCmdEndTransformFeedbackEXT(Session& s, VkCommandBuffer commandBuffer, uint32_t firstCounterBuffer,
                                           uint32_t counterBufferCount, const VkBuffer* pCounterBuffers,
                                           const VkDeviceSize* pCounterBufferOffsets) {
    s.vk().CmdEndTransformFeedbackEXT(commandBuffer, firstCounterBuffer, counterBufferCount, pCounterBuffers,
                                      pCounterBufferOffsets);
    counter_writes(s, commandBuffer, counterBufferCount, pCounterBuffers, pCounterBufferOffsets);
}

void override_vkCmdBindPipeline(Session& s, VkCommandBuffer commandBuffer, VkPipelineBindPoint pipelineBindPoint,
                                VkPipeline pipeline) {
    s.vk().CmdBindPipeline(commandBuffer, pipelineBindPoint, pipeline);
    s.gpu_writes().cmd_bind_pipeline(commandBuffer);
}

void override_vkCmdBindDescriptorSets(Session& s, VkCommandBuffer commandBuffer, VkPipelineBindPoint pipelineBindPoint,
                                      VkPipelineLayout layout, uint32_t firstSet, uint32_t descriptorSetCount,
                                      const VkDescriptorSet* pDescriptorSets, uint32_t dynamicOffsetCount,
                                      const uint32_t* pDynamicOffsets) {
    s.vk().CmdBindDescriptorSets(commandBuffer, pipelineBindPoint, layout, firstSet, descriptorSetCount, pDescriptorSets,
                                 dynamicOffsetCount, pDynamicOffsets);
    s.gpu_writes().cmd_bind_sets(commandBuffer, descriptorSetCount, pDescriptorSets, dynamicOffsetCount, pDynamicOffsets);
}

void override_vkCmdPushDescriptorSetKHR(Session& s, VkCommandBuffer commandBuffer, VkPipelineBindPoint pipelineBindPoint,
                                        VkPipelineLayout layout, uint32_t set, uint32_t descriptorWriteCount,
                                        const VkWriteDescriptorSet* pDescriptorWrites) {
    s.vk().CmdPushDescriptorSetKHR(commandBuffer, pipelineBindPoint, layout, set, descriptorWriteCount, pDescriptorWrites);
    s.gpu_writes().cmd_push_descriptors(commandBuffer, descriptorWriteCount, pDescriptorWrites);
}

void override_vkCmdExecuteCommands(Session& s, VkCommandBuffer commandBuffer, uint32_t commandBufferCount,
                                   const VkCommandBuffer* pCommandBuffers) {
    s.vk().CmdExecuteCommands(commandBuffer, commandBufferCount, pCommandBuffers);
    s.gpu_writes().cmd_execute_commands(commandBuffer, commandBufferCount, pCommandBuffers);
}

// ---- submission ----

VkResult override_vkQueueSubmit(Session& s, VkQueue queue, uint32_t submitCount, const VkSubmitInfo* pSubmits,
                                VkFence fence) {
    VkResult r = s.vk().QueueSubmit(queue, submitCount, pSubmits, fence);
    if (r != VK_SUCCESS) {
        s.note_async_failure("vkQueueSubmit", r);
        return r;
    }
    std::vector<VkCommandBuffer> cbs;
    for (uint32_t i = 0; pSubmits && i < submitCount; ++i)
        for (uint32_t k = 0; pSubmits[i].pCommandBuffers && k < pSubmits[i].commandBufferCount; ++k)
            cbs.push_back(pSubmits[i].pCommandBuffers[k]);
    s.gpu_writes().on_submit(queue_device(s, queue), queue, cbs);
    return r;
}

VkResult override_vkQueueSubmit2(Session& s, VkQueue queue, uint32_t submitCount, const VkSubmitInfo2* pSubmits,
                                 VkFence fence) {
    VkResult r = s.vk().QueueSubmit2(queue, submitCount, pSubmits, fence);
    if (r != VK_SUCCESS) {
        s.note_async_failure("vkQueueSubmit2", r);
        return r;
    }
    std::vector<VkCommandBuffer> cbs;
    for (uint32_t i = 0; pSubmits && i < submitCount; ++i)
        for (uint32_t k = 0; pSubmits[i].pCommandBufferInfos && k < pSubmits[i].commandBufferInfoCount; ++k)
            cbs.push_back(pSubmits[i].pCommandBufferInfos[k].commandBuffer);
    s.gpu_writes().on_submit(queue_device(s, queue), queue, cbs);
    return r;
}

}  // namespace anarchy::server
