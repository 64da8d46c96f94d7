// Command buffers record on the client; vkEndCommandBuffer sends the whole recording as one piece.
#include "client/command_writer.h"
#include "client/entry_points.h"
#include "client/objects.h"
#include "client/runtime.h"
#include "client_commands_autogen.h"
#include "vk_structs_autogen.h"

namespace anarchy::client {

VKAPI_ATTR VkResult VKAPI_CALL AllocateCommandBuffers(VkDevice device, const VkCommandBufferAllocateInfo* pAllocateInfo,
                                                      VkCommandBuffer* pCommandBuffers) {
    auto* dev = object_of<DeviceObject>(device);
    Runtime* rt = dev->rt;
    if (rt->lost()) return VK_ERROR_DEVICE_LOST;
    CommandWriter w(*rt, protocol::CommandId::vkAllocateCommandBuffers, false);
    auto& e = w.enc();
    e.dispatchable(device);
    e.presence(pAllocateInfo);
    protocol::gen::enc_VkCommandBufferAllocateInfo(e, *pAllocateInfo);
    e.u64(pAllocateInfo->commandBufferCount);
    uint64_t pool = (uint64_t)pAllocateInfo->commandPool;
    std::lock_guard<std::mutex> lock(dev->mu);
    for (uint32_t i = 0; i < pAllocateInfo->commandBufferCount; ++i) {
        auto* cb = new CommandBufferObject();
        cb->id = rt->new_id();
        cb->rt = rt;
        cb->device = dev;
        cb->pool = pool;
        cb->secondary = pAllocateInfo->level == VK_COMMAND_BUFFER_LEVEL_SECONDARY;
        e.u64(cb->id);
        dev->pool_command_buffers[pool].insert(cb);
        pCommandBuffers[i] = reinterpret_cast<VkCommandBuffer>(cb);
    }
    return w.send() ? VK_SUCCESS : VK_ERROR_DEVICE_LOST;
}

VKAPI_ATTR void VKAPI_CALL FreeCommandBuffers(VkDevice device, VkCommandPool commandPool, uint32_t count,
                                              const VkCommandBuffer* pCommandBuffers) {
    auto* dev = object_of<DeviceObject>(device);
    gen_cmd::vkFreeCommandBuffers(device, commandPool, count, pCommandBuffers);
    std::lock_guard<std::mutex> lock(dev->mu);
    auto& set = dev->pool_command_buffers[(uint64_t)commandPool];
    for (uint32_t i = 0; i < count; ++i) {
        if (!pCommandBuffers[i]) continue;
        auto* cb = object_of<CommandBufferObject>(pCommandBuffers[i]);
        set.erase(cb);
        delete cb;
    }
}

VKAPI_ATTR void VKAPI_CALL DestroyCommandPool(VkDevice device, VkCommandPool commandPool, const VkAllocationCallbacks* pAllocator) {
    if (!commandPool) return;
    auto* dev = object_of<DeviceObject>(device);
    gen_cmd::vkDestroyCommandPool(device, commandPool, pAllocator);
    std::lock_guard<std::mutex> lock(dev->mu);
    auto it = dev->pool_command_buffers.find((uint64_t)commandPool);
    if (it == dev->pool_command_buffers.end()) return;
    for (auto* cb : it->second) delete cb;
    dev->pool_command_buffers.erase(it);
}

VKAPI_ATTR VkResult VKAPI_CALL ResetCommandPool(VkDevice device, VkCommandPool commandPool, VkCommandPoolResetFlags flags) {
    auto* dev = object_of<DeviceObject>(device);
    {
        std::lock_guard<std::mutex> lock(dev->mu);
        for (auto* cb : dev->pool_command_buffers[(uint64_t)commandPool]) cb->stream.clear();
    }
    return gen_cmd::vkResetCommandPool(device, commandPool, flags);
}

VKAPI_ATTR VkResult VKAPI_CALL BeginCommandBuffer(VkCommandBuffer commandBuffer, const VkCommandBufferBeginInfo* pBeginInfo) {
    auto* cb = object_of<CommandBufferObject>(commandBuffer);
    if (cb->rt->lost()) return VK_ERROR_DEVICE_LOST;
    cb->stream.clear();
    VkCommandBufferBeginInfo info = *pBeginInfo;
    if (!cb->secondary) info.pInheritanceInfo = nullptr;  // ignored for primaries, may hold garbage
    auto& e = recording_begin(commandBuffer, protocol::CommandId::vkBeginCommandBuffer);
    e.dispatchable(commandBuffer);
    e.presence(&info);
    protocol::gen::enc_VkCommandBufferBeginInfo(e, info);
    recording_end(commandBuffer);
    return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL EndCommandBuffer(VkCommandBuffer commandBuffer) {
    auto* cb = object_of<CommandBufferObject>(commandBuffer);
    auto& e = recording_begin(commandBuffer, protocol::CommandId::vkEndCommandBuffer);
    e.dispatchable(commandBuffer);
    recording_end(commandBuffer);
    bool ok = cb->rt->enqueue(cb->stream.bytes().data(), cb->stream.size_bytes());
    cb->stream.clear();
    return ok ? VK_SUCCESS : VK_ERROR_DEVICE_LOST;
}

VKAPI_ATTR VkResult VKAPI_CALL ResetCommandBuffer(VkCommandBuffer commandBuffer, VkCommandBufferResetFlags flags) {
    auto* cb = object_of<CommandBufferObject>(commandBuffer);
    cb->stream.clear();
    return gen_cmd::vkResetCommandBuffer(commandBuffer, flags);
}

}  // namespace anarchy::client
