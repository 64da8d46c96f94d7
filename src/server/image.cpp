// Images: linear images bound to host-visible memory are mapped-memory candidates (GpuWriteTracker).
#include <vector>

#include "server/gpu_write_tracker.h"
#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {
namespace {

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
        s.vk(device).GetImageMemoryRequirements(device, image, &req);
        size = req.size;
    }
    s.gpu_writes().on_bind_image(device, image, memory, offset, size);
}

}  // namespace

VkResult override_vkCreateImage(Session& s, VkDevice device, const VkImageCreateInfo* pCreateInfo,
                                const VkAllocationCallbacks*, VkImage* pImage) {
    VkResult r = s.vk(device).CreateImage(device, pCreateInfo, nullptr, pImage);
    if (r == VK_SUCCESS && pCreateInfo->tiling == VK_IMAGE_TILING_LINEAR) s.gpu_writes().on_create_linear_image(*pImage);
    return r;
}

VkResult override_vkBindImageMemory(Session& s, VkDevice device, VkImage image, VkDeviceMemory memory,
                                    VkDeviceSize memoryOffset) {
    VkResult r = s.vk(device).BindImageMemory(device, image, memory, memoryOffset);
    if (r == VK_SUCCESS) bind_image(s, device, image, memory, memoryOffset, false);
    return r;
}

VkResult override_vkBindImageMemory2(Session& s, VkDevice device, uint32_t bindInfoCount,
                                     const VkBindImageMemoryInfo* pBindInfos) {
    VkResult r = s.vk(device).BindImageMemory2(device, bindInfoCount, pBindInfos);
    if (r == VK_SUCCESS)
        for (uint32_t i = 0; i < bindInfoCount; ++i) {
            const auto& b = pBindInfos[i];
            bool plane = has_in_chain(b.pNext, VK_STRUCTURE_TYPE_BIND_IMAGE_PLANE_MEMORY_INFO);
            bind_image(s, device, b.image, b.memory, b.memoryOffset, plane);
        }
    return r;
}

void override_vkDestroyImage(Session& s, VkDevice device, VkImage image, const VkAllocationCallbacks*) {
    if (image) {
        s.streamer().forget_image(image);
        s.gpu_writes().on_destroy_image(image);
    }
    s.vk(device).DestroyImage(device, image, nullptr);
}

}  // namespace anarchy::server
