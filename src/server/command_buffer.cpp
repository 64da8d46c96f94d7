// Command buffers: each recorded command that can write memory tells the write tracker what (GpuWriteTracker);
// recordings are cleared on begin, reset and pool reset.
#include <vector>

#include "server/gpu_write_tracker.h"
#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {
namespace {

/// Command buffers allocated from a pool (the object table knows their parent).
std::vector<VkCommandBuffer> pool_command_buffers(Session& s, VkCommandPool pool) {
    std::vector<VkCommandBuffer> out;
    for (auto& [id, e] : s.objects().children(VK_OBJECT_TYPE_COMMAND_POOL, reinterpret_cast<uint64_t>(pool)))
        if (e.type == VK_OBJECT_TYPE_COMMAND_BUFFER) out.push_back(reinterpret_cast<VkCommandBuffer>(e.handle));
    return out;
}

}  // namespace

VkResult override_vkBeginCommandBuffer(Session& s, VkCommandBuffer commandBuffer, const VkCommandBufferBeginInfo* pBeginInfo) {
    s.gpu_writes().on_reset_command_buffer(commandBuffer);
    return s.vk(commandBuffer).BeginCommandBuffer(commandBuffer, pBeginInfo);
}

VkResult override_vkResetCommandBuffer(Session& s, VkCommandBuffer commandBuffer, VkCommandBufferResetFlags flags) {
    s.gpu_writes().on_reset_command_buffer(commandBuffer);
    return s.vk(commandBuffer).ResetCommandBuffer(commandBuffer, flags);
}

VkResult override_vkResetCommandPool(Session& s, VkDevice device, VkCommandPool commandPool, VkCommandPoolResetFlags flags) {
    for (VkCommandBuffer cb : pool_command_buffers(s, commandPool)) s.gpu_writes().on_reset_command_buffer(cb);
    return s.vk(device).ResetCommandPool(device, commandPool, flags);
}

void override_vkFreeCommandBuffers(Session& s, VkDevice device, VkCommandPool commandPool, uint32_t commandBufferCount,
                                   const VkCommandBuffer* pCommandBuffers) {
    for (uint32_t i = 0; pCommandBuffers && i < commandBufferCount; ++i)
        if (pCommandBuffers[i]) s.gpu_writes().on_free_command_buffer(pCommandBuffers[i]);
    s.vk(device).FreeCommandBuffers(device, commandPool, commandBufferCount, pCommandBuffers);
}

void override_vkDestroyCommandPool(Session& s, VkDevice device, VkCommandPool commandPool, const VkAllocationCallbacks*) {
    if (commandPool)
        for (VkCommandBuffer cb : pool_command_buffers(s, commandPool)) s.gpu_writes().on_free_command_buffer(cb);
    s.vk(device).DestroyCommandPool(device, commandPool, nullptr);
}

void override_vkCmdCopyBuffer(Session& s, VkCommandBuffer commandBuffer, VkBuffer srcBuffer, VkBuffer dstBuffer,
                              uint32_t regionCount, const VkBufferCopy* pRegions) {
    s.vk(commandBuffer).CmdCopyBuffer(commandBuffer, srcBuffer, dstBuffer, regionCount, pRegions);
    for (uint32_t i = 0; pRegions && i < regionCount; ++i)
        s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, pRegions[i].dstOffset, pRegions[i].size);
}

void override_vkCmdCopyBuffer2(Session& s, VkCommandBuffer commandBuffer, const VkCopyBufferInfo2* pCopyBufferInfo) {
    s.vk(commandBuffer).CmdCopyBuffer2(commandBuffer, pCopyBufferInfo);
    for (uint32_t i = 0; pCopyBufferInfo->pRegions && i < pCopyBufferInfo->regionCount; ++i)
        s.gpu_writes().cmd_write_buffer(commandBuffer, pCopyBufferInfo->dstBuffer, pCopyBufferInfo->pRegions[i].dstOffset,
                                        pCopyBufferInfo->pRegions[i].size);
}

// The footprint of an image region in a buffer depends on the format's block size: conservatively, everything
// from the region's offset to the end of the buffer.
void override_vkCmdCopyImageToBuffer(Session& s, VkCommandBuffer commandBuffer, VkImage srcImage,
                                     VkImageLayout srcImageLayout, VkBuffer dstBuffer, uint32_t regionCount,
                                     const VkBufferImageCopy* pRegions) {
    s.vk(commandBuffer).CmdCopyImageToBuffer(commandBuffer, srcImage, srcImageLayout, dstBuffer, regionCount, pRegions);
    for (uint32_t i = 0; pRegions && i < regionCount; ++i)
        s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, pRegions[i].bufferOffset, VK_WHOLE_SIZE);
}

void override_vkCmdCopyImageToBuffer2(Session& s, VkCommandBuffer commandBuffer,
                                      const VkCopyImageToBufferInfo2* pCopyImageToBufferInfo) {
    s.vk(commandBuffer).CmdCopyImageToBuffer2(commandBuffer, pCopyImageToBufferInfo);
    const auto& c = *pCopyImageToBufferInfo;
    for (uint32_t i = 0; c.pRegions && i < c.regionCount; ++i)
        s.gpu_writes().cmd_write_buffer(commandBuffer, c.dstBuffer, c.pRegions[i].bufferOffset, VK_WHOLE_SIZE);
}

void override_vkCmdUpdateBuffer(Session& s, VkCommandBuffer commandBuffer, VkBuffer dstBuffer, VkDeviceSize dstOffset,
                                VkDeviceSize dataSize, const void* pData) {
    s.vk(commandBuffer).CmdUpdateBuffer(commandBuffer, dstBuffer, dstOffset, dataSize, pData);
    s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, dstOffset, dataSize);
}

void override_vkCmdFillBuffer(Session& s, VkCommandBuffer commandBuffer, VkBuffer dstBuffer, VkDeviceSize dstOffset,
                              VkDeviceSize size, uint32_t data) {
    s.vk(commandBuffer).CmdFillBuffer(commandBuffer, dstBuffer, dstOffset, size, data);
    s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, dstOffset, size);
}

// A query's result size depends on its pool (type, statistics): conservatively, to the end of the buffer.
void override_vkCmdCopyQueryPoolResults(Session& s, VkCommandBuffer commandBuffer, VkQueryPool queryPool,
                                        uint32_t firstQuery, uint32_t queryCount, VkBuffer dstBuffer,
                                        VkDeviceSize dstOffset, VkDeviceSize stride, VkQueryResultFlags flags) {
    s.vk(commandBuffer).CmdCopyQueryPoolResults(commandBuffer, queryPool, firstQuery, queryCount, dstBuffer, dstOffset, stride, flags);
    if (queryCount) s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, dstOffset, VK_WHOLE_SIZE);
}

// The encoded bitstream goes into [dstBufferOffset, dstBufferOffset + dstBufferRange) of the destination buffer,
// which programs usually map to read it (encode feedback queries say how much of it was written).
void override_vkCmdEncodeVideoKHR(Session& s, VkCommandBuffer commandBuffer, const VkVideoEncodeInfoKHR* pEncodeInfo) {
    s.vk(commandBuffer).CmdEncodeVideoKHR(commandBuffer, pEncodeInfo);
    s.gpu_writes().cmd_write_buffer(commandBuffer, pEncodeInfo->dstBuffer, pEncodeInfo->dstBufferOffset,
                                    pEncodeInfo->dstBufferRange);
}

void override_vkCmdWriteBufferMarker2AMD(Session& s, VkCommandBuffer commandBuffer, VkPipelineStageFlags2 stage,
                                         VkBuffer dstBuffer, VkDeviceSize dstOffset, uint32_t marker) {
    s.vk(commandBuffer).CmdWriteBufferMarker2AMD(commandBuffer, stage, dstBuffer, dstOffset, marker);
    s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, dstOffset, 4);
}

void override_vkCmdBindTransformFeedbackBuffersEXT(Session& s, VkCommandBuffer commandBuffer, uint32_t firstBinding,
                                                   uint32_t bindingCount, const VkBuffer* pBuffers,
                                                   const VkDeviceSize* pOffsets, const VkDeviceSize* pSizes) {
    s.vk(commandBuffer).CmdBindTransformFeedbackBuffersEXT(commandBuffer, firstBinding, bindingCount, pBuffers, pOffsets, pSizes);
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
    s.vk(commandBuffer).CmdBeginTransformFeedbackEXT(commandBuffer, firstCounterBuffer, counterBufferCount, pCounterBuffers,
                                        pCounterBufferOffsets);
    counter_writes(s, commandBuffer, counterBufferCount, pCounterBuffers, pCounterBufferOffsets);
}

void override_vkCmdEndTransformFeedbackEXT(Session& s, VkCommandBuffer commandBuffer, uint32_t firstCounterBuffer,
                                           uint32_t counterBufferCount, const VkBuffer* pCounterBuffers,
                                           const VkDeviceSize* pCounterBufferOffsets) {
    s.vk(commandBuffer).CmdEndTransformFeedbackEXT(commandBuffer, firstCounterBuffer, counterBufferCount, pCounterBuffers,
                                      pCounterBufferOffsets);
    counter_writes(s, commandBuffer, counterBufferCount, pCounterBuffers, pCounterBufferOffsets);
}

void override_vkCmdBindPipeline(Session& s, VkCommandBuffer commandBuffer, VkPipelineBindPoint pipelineBindPoint,
                                VkPipeline pipeline) {
    s.vk(commandBuffer).CmdBindPipeline(commandBuffer, pipelineBindPoint, pipeline);
    s.gpu_writes().cmd_bind_pipeline(commandBuffer);
}

void override_vkCmdBindDescriptorSets(Session& s, VkCommandBuffer commandBuffer, VkPipelineBindPoint pipelineBindPoint,
                                      VkPipelineLayout layout, uint32_t firstSet, uint32_t descriptorSetCount,
                                      const VkDescriptorSet* pDescriptorSets, uint32_t dynamicOffsetCount,
                                      const uint32_t* pDynamicOffsets) {
    s.vk(commandBuffer).CmdBindDescriptorSets(commandBuffer, pipelineBindPoint, layout, firstSet, descriptorSetCount, pDescriptorSets,
                                 dynamicOffsetCount, pDynamicOffsets);
    s.gpu_writes().cmd_bind_sets(commandBuffer, descriptorSetCount, pDescriptorSets, dynamicOffsetCount, pDynamicOffsets);
}

void override_vkCmdPushDescriptorSet(Session& s, VkCommandBuffer commandBuffer, VkPipelineBindPoint pipelineBindPoint,
                                        VkPipelineLayout layout, uint32_t set, uint32_t descriptorWriteCount,
                                        const VkWriteDescriptorSet* pDescriptorWrites) {
    s.vk(commandBuffer).CmdPushDescriptorSet(commandBuffer, pipelineBindPoint, layout, set, descriptorWriteCount, pDescriptorWrites);
    s.gpu_writes().cmd_push_descriptors(commandBuffer, descriptorWriteCount, pDescriptorWrites);
}

// Vulkan 1.4 / VK_KHR_maintenance6 forms: the same bindings, described by a structure.
void override_vkCmdBindDescriptorSets2(Session& s, VkCommandBuffer commandBuffer,
                                       const VkBindDescriptorSetsInfo* pBindDescriptorSetsInfo) {
    s.vk(commandBuffer).CmdBindDescriptorSets2(commandBuffer, pBindDescriptorSetsInfo);
    const VkBindDescriptorSetsInfo& i = *pBindDescriptorSetsInfo;
    s.gpu_writes().cmd_bind_sets(commandBuffer, i.descriptorSetCount, i.pDescriptorSets, i.dynamicOffsetCount,
                                 i.pDynamicOffsets);
}

void override_vkCmdPushDescriptorSet2(Session& s, VkCommandBuffer commandBuffer,
                                      const VkPushDescriptorSetInfo* pPushDescriptorSetInfo) {
    s.vk(commandBuffer).CmdPushDescriptorSet2(commandBuffer, pPushDescriptorSetInfo);
    const VkPushDescriptorSetInfo& i = *pPushDescriptorSetInfo;
    s.gpu_writes().cmd_push_descriptors(commandBuffer, i.descriptorWriteCount, i.pDescriptorWrites);
}

void override_vkCmdWriteBufferMarkerAMD(Session& s, VkCommandBuffer commandBuffer,
                                        VkPipelineStageFlagBits pipelineStage, VkBuffer dstBuffer,
                                        VkDeviceSize dstOffset, uint32_t marker) {
    s.vk(commandBuffer).CmdWriteBufferMarkerAMD(commandBuffer, pipelineStage, dstBuffer, dstOffset, marker);
    s.gpu_writes().cmd_write_buffer(commandBuffer, dstBuffer, dstOffset, 4);
}

void override_vkCmdExecuteCommands(Session& s, VkCommandBuffer commandBuffer, uint32_t commandBufferCount,
                                   const VkCommandBuffer* pCommandBuffers) {
    s.vk(commandBuffer).CmdExecuteCommands(commandBuffer, commandBufferCount, pCommandBuffers);
    s.gpu_writes().cmd_execute_commands(commandBuffer, commandBufferCount, pCommandBuffers);
}

}  // namespace anarchy::server
