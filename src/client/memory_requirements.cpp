// Memory requirements asked for once per create info. The specification makes size, alignment and memory types
// identical for buffers (images) created with identical parameters, so the client keeps each buffer's and image's
// create info (as its wire bytes, which hold the whole pNext chain) and answers repeated questions itself: zink
// asks for every staging buffer's requirements, a blocking round trip each.
#include <cstring>
#include <string>

#include "client/command_writer.h"
#include "client/entry_points.h"
#include "client/objects.h"
#include "client/runtime.h"
#include "client_commands_autogen.h"
#include "vk_structs_autogen.h"

namespace anarchy::client {
namespace {

template <typename Info, typename Encode>
std::string key_of(char kind, const Info& info, Encode encode, uint32_t plane = 0) {
    protocol::WireEncoder e;
    encode(e, info);
    std::string key(1, kind);
    key.append(reinterpret_cast<const char*>(e.bytes().data()), e.size_bytes());
    key.append(reinterpret_cast<const char*>(&plane), sizeof plane);
    return key;
}

std::string buffer_key(const VkBufferCreateInfo& ci) { return key_of('B', ci, protocol::gen::enc_VkBufferCreateInfo); }
std::string image_key(const VkImageCreateInfo& ci, uint32_t plane = 0) {
    return key_of('I', ci, protocol::gen::enc_VkImageCreateInfo, plane);
}

void remember_resource(VkDevice device, uint64_t id, std::string key) {
    auto* dev = object_of<DeviceObject>(device);
    std::lock_guard lock(dev->mu);
    dev->resource_keys[id] = std::move(key);
}

void forget_resource(VkDevice device, uint64_t id) {
    auto* dev = object_of<DeviceObject>(device);
    std::lock_guard lock(dev->mu);
    dev->resource_keys.erase(id);
}

std::string resource_key(VkDevice device, uint64_t id) {
    auto* dev = object_of<DeviceObject>(device);
    std::lock_guard lock(dev->mu);
    auto it = dev->resource_keys.find(id);
    return it == dev->resource_keys.end() ? std::string() : it->second;
}

/// A VkMemoryRequirements2 chain the cache can fill: nothing, or one VkMemoryDedicatedRequirements.
bool cacheable_output(const VkMemoryRequirements2* out, VkMemoryDedicatedRequirements** dedicated) {
    *dedicated = nullptr;
    auto* next = static_cast<VkBaseOutStructure*>(out->pNext);
    if (!next) return true;
    if (next->sType != VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS || next->pNext) return false;
    *dedicated = reinterpret_cast<VkMemoryDedicatedRequirements*>(next);
    return true;
}

bool lookup(VkDevice device, const std::string& key, VkMemoryRequirements2* out) {
    VkMemoryDedicatedRequirements* dedicated = nullptr;
    if (key.empty() || !cacheable_output(out, &dedicated)) return false;
    auto* dev = object_of<DeviceObject>(device);
    std::lock_guard lock(dev->mu);
    auto it = dev->requirements.find(key);
    if (it == dev->requirements.end() || (dedicated && !it->second.has_dedicated)) return false;
    runtime_of(device)->stats().cached_answers++;
    out->memoryRequirements = it->second.requirements;
    if (dedicated) {
        dedicated->prefersDedicatedAllocation = it->second.prefers_dedicated;
        dedicated->requiresDedicatedAllocation = it->second.requires_dedicated;
    }
    return true;
}

void store(VkDevice device, const std::string& key, const VkMemoryRequirements2* out) {
    VkMemoryDedicatedRequirements* dedicated = nullptr;
    if (key.empty() || !cacheable_output(out, &dedicated)) return;
    auto* dev = object_of<DeviceObject>(device);
    std::lock_guard lock(dev->mu);
    CachedRequirements& c = dev->requirements[key];
    c.requirements = out->memoryRequirements;
    if (dedicated) {
        c.has_dedicated = true;
        c.prefers_dedicated = dedicated->prefersDedicatedAllocation;
        c.requires_dedicated = dedicated->requiresDedicatedAllocation;
    }
}

/// The 1.0 queries go through the same cache as their ...2 forms.
template <typename Ask>
void cached(VkDevice device, const std::string& key, VkMemoryRequirements2* out, Ask ask) {
    if (lookup(device, key, out)) return;
    ask();
    if (!runtime_of(device)->lost()) store(device, key, out);
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL CreateBuffer(VkDevice device, const VkBufferCreateInfo* pCreateInfo,
                                            const VkAllocationCallbacks* pAllocator, VkBuffer* pBuffer) {
    VkResult r = gen_cmd::vkCreateBuffer(device, pCreateInfo, pAllocator, pBuffer);
    if (r == VK_SUCCESS) remember_resource(device, reinterpret_cast<uint64_t>(*pBuffer), buffer_key(*pCreateInfo));
    return r;
}

VKAPI_ATTR void VKAPI_CALL DestroyBuffer(VkDevice device, VkBuffer buffer, const VkAllocationCallbacks* pAllocator) {
    if (buffer) forget_resource(device, reinterpret_cast<uint64_t>(buffer));
    gen_cmd::vkDestroyBuffer(device, buffer, pAllocator);
}

VKAPI_ATTR VkResult VKAPI_CALL CreateImage(VkDevice device, const VkImageCreateInfo* pCreateInfo,
                                           const VkAllocationCallbacks* pAllocator, VkImage* pImage) {
    VkResult r = gen_cmd::vkCreateImage(device, pCreateInfo, pAllocator, pImage);
    if (r == VK_SUCCESS) remember_resource(device, reinterpret_cast<uint64_t>(*pImage), image_key(*pCreateInfo));
    return r;
}

VKAPI_ATTR void VKAPI_CALL DestroyImage(VkDevice device, VkImage image, const VkAllocationCallbacks* pAllocator) {
    if (image) forget_resource(device, reinterpret_cast<uint64_t>(image));
    gen_cmd::vkDestroyImage(device, image, pAllocator);
}

VKAPI_ATTR void VKAPI_CALL GetBufferMemoryRequirements(VkDevice device, VkBuffer buffer,
                                                       VkMemoryRequirements* pMemoryRequirements) {
    VkMemoryRequirements2 out{VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
    cached(device, resource_key(device, reinterpret_cast<uint64_t>(buffer)), &out,
           [&] { gen_cmd::vkGetBufferMemoryRequirements(device, buffer, &out.memoryRequirements); });
    *pMemoryRequirements = out.memoryRequirements;
}

VKAPI_ATTR void VKAPI_CALL GetBufferMemoryRequirements2(VkDevice device, const VkBufferMemoryRequirementsInfo2* pInfo,
                                                        VkMemoryRequirements2* pMemoryRequirements) {
    std::string key = pInfo->pNext ? std::string() : resource_key(device, reinterpret_cast<uint64_t>(pInfo->buffer));
    cached(device, key, pMemoryRequirements,
           [&] { gen_cmd::vkGetBufferMemoryRequirements2(device, pInfo, pMemoryRequirements); });
}

VKAPI_ATTR void VKAPI_CALL GetImageMemoryRequirements(VkDevice device, VkImage image,
                                                      VkMemoryRequirements* pMemoryRequirements) {
    VkMemoryRequirements2 out{VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
    cached(device, resource_key(device, reinterpret_cast<uint64_t>(image)), &out,
           [&] { gen_cmd::vkGetImageMemoryRequirements(device, image, &out.memoryRequirements); });
    *pMemoryRequirements = out.memoryRequirements;
}

VKAPI_ATTR void VKAPI_CALL GetImageMemoryRequirements2(VkDevice device, const VkImageMemoryRequirementsInfo2* pInfo,
                                                       VkMemoryRequirements2* pMemoryRequirements) {
    // A disjoint image's planes differ: the plane is part of the key.
    std::string key = resource_key(device, reinterpret_cast<uint64_t>(pInfo->image));
    if (auto* next = static_cast<const VkBaseInStructure*>(pInfo->pNext)) {
        if (next->sType == VK_STRUCTURE_TYPE_IMAGE_PLANE_MEMORY_REQUIREMENTS_INFO && !next->pNext && !key.empty()) {
            uint32_t plane = reinterpret_cast<const VkImagePlaneMemoryRequirementsInfo*>(next)->planeAspect;
            key.replace(key.size() - sizeof plane, sizeof plane, reinterpret_cast<const char*>(&plane), sizeof plane);
        } else {
            key.clear();
        }
    }
    cached(device, key, pMemoryRequirements,
           [&] { gen_cmd::vkGetImageMemoryRequirements2(device, pInfo, pMemoryRequirements); });
}

VKAPI_ATTR void VKAPI_CALL GetDeviceBufferMemoryRequirements(VkDevice device, const VkDeviceBufferMemoryRequirements* pInfo,
                                                             VkMemoryRequirements2* pMemoryRequirements) {
    std::string key = pInfo->pNext || !pInfo->pCreateInfo ? std::string() : buffer_key(*pInfo->pCreateInfo);
    cached(device, key, pMemoryRequirements,
           [&] { gen_cmd::vkGetDeviceBufferMemoryRequirements(device, pInfo, pMemoryRequirements); });
}

VKAPI_ATTR void VKAPI_CALL GetDeviceImageMemoryRequirements(VkDevice device, const VkDeviceImageMemoryRequirements* pInfo,
                                                            VkMemoryRequirements2* pMemoryRequirements) {
    std::string key = pInfo->pNext || !pInfo->pCreateInfo ? std::string()
                                                          : image_key(*pInfo->pCreateInfo, pInfo->planeAspect);
    cached(device, key, pMemoryRequirements,
           [&] { gen_cmd::vkGetDeviceImageMemoryRequirements(device, pInfo, pMemoryRequirements); });
}

}  // namespace anarchy::client
