#include "server/capture/capture_memory.h"

namespace anarchy::server::capture {

std::optional<uint32_t> choose_memory_type(const VkPhysicalDeviceMemoryProperties& properties, uint32_t type_bits,
                                           MemoryUse use) {
    const bool readback = use == MemoryUse::Readback;
    const VkMemoryPropertyFlags required = readback ? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT : 0;
    const VkMemoryPropertyFlags wanted = readback ? VK_MEMORY_PROPERTY_HOST_CACHED_BIT : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    const VkMemoryPropertyFlags avoided = readback ? VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT : VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
    const VkMemoryPropertyFlags excluded = VK_MEMORY_PROPERTY_PROTECTED_BIT |
                                           VK_MEMORY_PROPERTY_DEVICE_COHERENT_BIT_AMD |
                                           VK_MEMORY_PROPERTY_DEVICE_UNCACHED_BIT_AMD;
    std::optional<uint32_t> best;
    int best_score = -1;
    for (uint32_t i = 0; i < properties.memoryTypeCount && i < VK_MAX_MEMORY_TYPES; ++i) {
        if (!(type_bits & (1u << i))) continue;
        const VkMemoryPropertyFlags flags = properties.memoryTypes[i].propertyFlags;
        if ((flags & required) != required || (flags & excluded)) continue;
        // The wanted property outweighs the avoided one: cached-and-device-local beats uncached system memory.
        const int score = ((flags & wanted) == wanted ? 2 : 0) + ((flags & avoided) == 0 ? 1 : 0);
        if (score > best_score) {
            best_score = score;
            best = i;
        }
    }
    return best;
}

CaptureBuffer create_capture_buffer(const DeviceFunctions& vk, VkDevice device,
                                    const VkPhysicalDeviceMemoryProperties& properties, VkDeviceSize size,
                                    VkBufferUsageFlags usage, MemoryUse use) {
    CaptureBuffer out;
    out.size = size;
    VkBufferCreateInfo buffer_info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    buffer_info.size = size;
    buffer_info.usage = usage;
    buffer_info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;  // used by the capturer's queue family only
    VkBuffer buffer = VK_NULL_HANDLE;
    vk_check(vk.vkCreateBuffer(device, &buffer_info, nullptr, &buffer), "vkCreateBuffer");
    out.buffer = OwnedBuffer(&vk, device, buffer);

    VkMemoryRequirements requirements{};
    vk.vkGetBufferMemoryRequirements(device, buffer, &requirements);
    const std::optional<uint32_t> type = choose_memory_type(properties, requirements.memoryTypeBits, use);
    if (!type)
        throw VulkanCallError(use == MemoryUse::Readback ? "no host-visible memory type can hold a capture buffer"
                                                         : "no memory type can hold a capture buffer");
    VkMemoryAllocateInfo allocate_info{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    allocate_info.allocationSize = requirements.size;
    allocate_info.memoryTypeIndex = *type;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    vk_check(vk.vkAllocateMemory(device, &allocate_info, nullptr, &memory), "vkAllocateMemory");
    out.memory = OwnedMemory(&vk, device, memory);
    vk_check(vk.vkBindBufferMemory(device, buffer, memory, 0), "vkBindBufferMemory");

    const VkMemoryPropertyFlags flags = properties.memoryTypes[*type].propertyFlags;
    out.coherent = (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    out.flags = flags;
    if (use == MemoryUse::Readback) {
        void* mapped = nullptr;
        // The whole allocation, so invalidating VK_WHOLE_SIZE from offset 0 meets nonCoherentAtomSize rules.
        vk_check(vk.vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, &mapped), "vkMapMemory");
        out.mapped = static_cast<uint8_t*>(mapped);
    }
    return out;
}

}  // namespace anarchy::server::capture
