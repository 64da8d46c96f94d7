// Device memory: host-visible allocations get a client-side shadow that vkMapMemory hands out. The program's
// written pages go to the server before each submit (Runtime::flush_memory_writes); the GPU's writes come back
// with the reply of the synchronisation that makes them visible (Runtime::apply_memory_updates).
#include <cstring>

#include "client/command_writer.h"
#include "client/entry_points.h"
#include "client/objects.h"
#include "client/runtime.h"
#include "client_commands_autogen.h"
#include "protocol/memory_messages.h"
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
    rt->remove_shadow((uint64_t)memory);
    gen_cmd::vkFreeMemory(device, memory, pAllocator);
}

VKAPI_ATTR VkResult VKAPI_CALL MapMemory(VkDevice device, VkDeviceMemory memory, VkDeviceSize offset, VkDeviceSize size,
                                         VkMemoryMapFlags, void** ppData) {
    Runtime* rt = runtime_of(device);
    std::shared_ptr<ShadowMemory> m = rt->shadow((uint64_t)memory);
    if (!m) return VK_ERROR_MEMORY_MAP_FAILED;
    if (offset > m->size || (size != VK_WHOLE_SIZE && size > m->size - offset)) return VK_ERROR_MEMORY_MAP_FAILED;
    if (!m->ever_mapped.load()) {
        // Only the first map waits: its reply brings what the GPU wrote into the memory before. From then on the
        // server sends GPU writes with each synchronisation, so later maps are local.
        CommandWriter w(*rt, static_cast<uint32_t>(protocol::CustomCommand::MapMemory), true);
        protocol::MapMemoryMessage msg{(uint64_t)memory};
        msg.encode(w.enc());
        Reply reply;
        if (!w.call(reply)) return VK_ERROR_DEVICE_LOST;
        m->ever_mapped = true;
    }
    *ppData = m->region->program_view() + offset;
    return VK_SUCCESS;
}

// The shadow stays write-tracked while unmapped (the program may not touch it then), so unmapping is local.
VKAPI_ATTR void VKAPI_CALL UnmapMemory(VkDevice, VkDeviceMemory) {}

// Vulkan 1.4 / VK_KHR_map_memory2: the same, described by a structure. Placed mappings (VK_EXT_map_memory_placed)
// are not offered: the shadow lives where the driver put it.
VKAPI_ATTR VkResult VKAPI_CALL MapMemory2(VkDevice device, const VkMemoryMapInfo* pMemoryMapInfo, void** ppData) {
    return MapMemory(device, pMemoryMapInfo->memory, pMemoryMapInfo->offset, pMemoryMapInfo->size,
                     pMemoryMapInfo->flags, ppData);
}

VKAPI_ATTR VkResult VKAPI_CALL UnmapMemory2(VkDevice device, const VkMemoryUnmapInfo*) {
    return runtime_of(device)->lost() ? VK_ERROR_DEVICE_LOST : VK_SUCCESS;
}

// Written pages go to the server before every submit whatever the memory type, so a flush has nothing left to do.
VKAPI_ATTR VkResult VKAPI_CALL FlushMappedMemoryRanges(VkDevice device, uint32_t, const VkMappedMemoryRange*) {
    return runtime_of(device)->lost() ? VK_ERROR_DEVICE_LOST : VK_SUCCESS;
}

// GPU writes arrive with the reply of the wait that made them visible, so an invalidate has nothing left to do.
VKAPI_ATTR VkResult VKAPI_CALL InvalidateMappedMemoryRanges(VkDevice device, uint32_t, const VkMappedMemoryRange*) {
    return runtime_of(device)->lost() ? VK_ERROR_DEVICE_LOST : VK_SUCCESS;
}

}  // namespace anarchy::client
