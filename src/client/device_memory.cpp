// Device memory: host-visible allocations get a client-side shadow that vkMapMemory hands out, kept in sync
// with the server by sending and receiving only changed bytes.
#include <cstring>

#include "client/command_writer.h"
#include "client/entry_points.h"
#include "client/objects.h"
#include "client/runtime.h"
#include "client_commands_autogen.h"
#include "protocol/messages.h"

namespace anarchy::client {

VKAPI_ATTR VkResult VKAPI_CALL AllocateMemory(VkDevice device, const VkMemoryAllocateInfo* pAllocateInfo,
                                              const VkAllocationCallbacks* pAllocator, VkDeviceMemory* pMemory) {
    auto* dev = object_of<DeviceObject>(device);
    VkResult r = gen_cmd::vkAllocateMemory(device, pAllocateInfo, pAllocator, pMemory);
    if (r != VK_SUCCESS) return r;
    uint32_t type = pAllocateInfo->memoryTypeIndex;
    if (type < dev->memory_properties.memoryTypeCount &&
        (dev->memory_properties.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)) {
        if (!dev->rt->add_shadow((uint64_t)*pMemory, pAllocateInfo->allocationSize, device)) {
            gen_cmd::vkFreeMemory(device, *pMemory, nullptr);
            *pMemory = VK_NULL_HANDLE;
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        }
    }
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL FreeMemory(VkDevice device, VkDeviceMemory memory, const VkAllocationCallbacks* pAllocator) {
    if (!memory) return;
    Runtime* rt = runtime_of(device);
    gen_cmd::vkFreeMemory(device, memory, pAllocator);
    rt->remove_shadow((uint64_t)memory);
}

VKAPI_ATTR VkResult VKAPI_CALL MapMemory(VkDevice device, VkDeviceMemory memory, VkDeviceSize offset, VkDeviceSize size,
                                         VkMemoryMapFlags, void** ppData) {
    Runtime* rt = runtime_of(device);
    ShadowMemory* m = rt->shadow((uint64_t)memory);
    if (!m) return VK_ERROR_MEMORY_MAP_FAILED;
    if (offset > m->size) return VK_ERROR_MEMORY_MAP_FAILED;
    {
        std::lock_guard<std::mutex> lock(m->mu);
        if (!m->mapped) {
            std::memset(m->shadow, 0, m->size);
            m->snapshot.assign(m->size, 0);
            m->mapped = true;
        }
    }
    // The reply carries the memory's current contents as changes from zero.
    CommandWriter w(*rt, static_cast<uint32_t>(protocol::CustomCommand::MapMemory), true);
    w.enc().u64((uint64_t)memory);
    Reply reply;
    if (!w.call(reply)) return VK_ERROR_DEVICE_LOST;
    *ppData = m->shadow + offset;
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL UnmapMemory(VkDevice device, VkDeviceMemory memory) {
    Runtime* rt = runtime_of(device);
    ShadowMemory* m = rt->shadow((uint64_t)memory);
    if (!m) return;
    rt->flush_memory_writes();
    {
        std::lock_guard<std::mutex> lock(m->mu);
        m->mapped = false;
        m->snapshot.clear();
        m->snapshot.shrink_to_fit();
    }
    CommandWriter w(*rt, static_cast<uint32_t>(protocol::CustomCommand::UnmapMemory), false);
    w.enc().u64((uint64_t)memory);
    w.send();
}

VKAPI_ATTR VkResult VKAPI_CALL FlushMappedMemoryRanges(VkDevice device, uint32_t, const VkMappedMemoryRange*) {
    Runtime* rt = runtime_of(device);
    return rt->flush_memory_writes() ? VK_SUCCESS : VK_ERROR_DEVICE_LOST;
}

VKAPI_ATTR VkResult VKAPI_CALL InvalidateMappedMemoryRanges(VkDevice device, uint32_t count, const VkMappedMemoryRange* pRanges) {
    Runtime* rt = runtime_of(device);
    for (uint32_t i = 0; i < count; ++i) {
        CommandWriter w(*rt, static_cast<uint32_t>(protocol::CustomCommand::InvalidateMemory), true);
        w.enc().u64((uint64_t)pRanges[i].memory);
        Reply reply;
        if (!w.call(reply)) return VK_ERROR_DEVICE_LOST;
        break;  // one reply brings every mapped memory up to date
    }
    return VK_SUCCESS;
}

}  // namespace anarchy::client
