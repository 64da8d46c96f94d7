// Retiring leaked objects: what a program left alive under a device or an instance is destroyed before its
// parent, in reverse creation order, through the same hooks as the program's own destroy commands.
#include "server/object_lifetime.h"

#include <map>
#include <string>

#include "common/log.h"
#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {
namespace {

struct KindName {
    VkObjectType type;
    const char* one;
    const char* many;
};

/// How the retirement summary names each kind of object.
constexpr KindName kKindNames[] = {
    {VK_OBJECT_TYPE_INSTANCE, "instance", "instances"},
    {VK_OBJECT_TYPE_DEVICE, "device", "devices"},
    {VK_OBJECT_TYPE_SEMAPHORE, "semaphore", "semaphores"},
    {VK_OBJECT_TYPE_COMMAND_BUFFER, "command buffer", "command buffers"},
    {VK_OBJECT_TYPE_FENCE, "fence", "fences"},
    {VK_OBJECT_TYPE_DEVICE_MEMORY, "device memory", "device memories"},
    {VK_OBJECT_TYPE_BUFFER, "buffer", "buffers"},
    {VK_OBJECT_TYPE_IMAGE, "image", "images"},
    {VK_OBJECT_TYPE_EVENT, "event", "events"},
    {VK_OBJECT_TYPE_QUERY_POOL, "query pool", "query pools"},
    {VK_OBJECT_TYPE_BUFFER_VIEW, "buffer view", "buffer views"},
    {VK_OBJECT_TYPE_IMAGE_VIEW, "image view", "image views"},
    {VK_OBJECT_TYPE_SHADER_MODULE, "shader module", "shader modules"},
    {VK_OBJECT_TYPE_PIPELINE_CACHE, "pipeline cache", "pipeline caches"},
    {VK_OBJECT_TYPE_PIPELINE_LAYOUT, "pipeline layout", "pipeline layouts"},
    {VK_OBJECT_TYPE_RENDER_PASS, "render pass", "render passes"},
    {VK_OBJECT_TYPE_PIPELINE, "pipeline", "pipelines"},
    {VK_OBJECT_TYPE_DESCRIPTOR_SET_LAYOUT, "descriptor set layout", "descriptor set layouts"},
    {VK_OBJECT_TYPE_SAMPLER, "sampler", "samplers"},
    {VK_OBJECT_TYPE_DESCRIPTOR_POOL, "descriptor pool", "descriptor pools"},
    {VK_OBJECT_TYPE_DESCRIPTOR_SET, "descriptor set", "descriptor sets"},
    {VK_OBJECT_TYPE_FRAMEBUFFER, "framebuffer", "framebuffers"},
    {VK_OBJECT_TYPE_COMMAND_POOL, "command pool", "command pools"},
    {VK_OBJECT_TYPE_SAMPLER_YCBCR_CONVERSION, "sampler Y'CbCr conversion", "sampler Y'CbCr conversions"},
    {VK_OBJECT_TYPE_PRIVATE_DATA_SLOT, "private data slot", "private data slots"},
};

std::string count_of(VkObjectType type, size_t n) {
    for (const KindName& k : kKindNames)
        if (k.type == type) return std::to_string(n) + " " + (n == 1 ? k.one : k.many);
    return std::to_string(n) + " of object type " + std::to_string(static_cast<int>(type));
}

/// Destroys one leftover object as the program's own destroy command would: through the server's hook where the
/// server keeps state about the object (write tracker, host mappings, device parents), else straight to the
/// driver.
void destroy_leftover(Session& s, const ObjectEntry& e) {
    auto device = reinterpret_cast<VkDevice>(e.owner);
    switch (e.type) {
    case VK_OBJECT_TYPE_BUFFER:
        override_vkDestroyBuffer(s, device, reinterpret_cast<VkBuffer>(e.handle), nullptr);
        return;
    case VK_OBJECT_TYPE_BUFFER_VIEW:
        override_vkDestroyBufferView(s, device, reinterpret_cast<VkBufferView>(e.handle), nullptr);
        return;
    case VK_OBJECT_TYPE_IMAGE:
        override_vkDestroyImage(s, device, reinterpret_cast<VkImage>(e.handle), nullptr);
        return;
    case VK_OBJECT_TYPE_DEVICE_MEMORY:
        override_vkFreeMemory(s, device, reinterpret_cast<VkDeviceMemory>(e.handle), nullptr);
        return;
    case VK_OBJECT_TYPE_DESCRIPTOR_SET_LAYOUT:
        override_vkDestroyDescriptorSetLayout(s, device, reinterpret_cast<VkDescriptorSetLayout>(e.handle), nullptr);
        return;
    case VK_OBJECT_TYPE_DESCRIPTOR_POOL:
        override_vkDestroyDescriptorPool(s, device, reinterpret_cast<VkDescriptorPool>(e.handle), nullptr);
        return;
    case VK_OBJECT_TYPE_COMMAND_POOL:
        override_vkDestroyCommandPool(s, device, reinterpret_cast<VkCommandPool>(e.handle), nullptr);
        return;
    case VK_OBJECT_TYPE_DEVICE: {
        // Quiesced already, and its children are newer: gone before it. Its table goes first (its key is read
        // from the device, which is gone after the call).
        auto dev = reinterpret_cast<VkDevice>(e.handle);
        s.device_parents().erase(dev);
        const DispatchTable t = s.vk(dev);
        s.device_tables().remove(dev);
        destroy_object(t, e.type, e.handle, e.owner);
        return;
    }
    default:
        break;
    }
    // A device's children go through the device's own table (others, of an instance, through the instance's).
    destroy_object(s.vk(device), e.type, e.handle, e.owner);
}

}  // namespace

void quiesce_device(Session& s, VkDevice device) {
    s.acquire_signals().forget_device(device);  // deferred acquire signals on its queues: nobody can wait for them now
    s.finish_waits(device);
    s.streamer().forget_device(device);
    if (s.vk(device).DeviceWaitIdle) s.vk(device).DeviceWaitIdle(device);
    s.gpu_writes().on_destroy_device(device);
}

void retire_children(Session& s, VkObjectType parent_type, uint64_t parent, const char* occasion) {
    if (parent_type == VK_OBJECT_TYPE_DEVICE) quiesce_device(s, reinterpret_cast<VkDevice>(parent));
    auto all = s.objects().descendants(parent);
    if (all.empty()) return;
    for (auto& [id, e] : all)
        if (e.type == VK_OBJECT_TYPE_DEVICE) quiesce_device(s, reinterpret_cast<VkDevice>(e.handle));
    std::map<VkObjectType, size_t> retired;
    size_t total = 0;
    for (auto& [id, e] : all) {
        if (e.type == VK_OBJECT_TYPE_PHYSICAL_DEVICE || e.type == VK_OBJECT_TYPE_QUEUE) {
            // The driver's, not the program's: nothing to destroy.
            s.objects().remove(id);
            continue;
        }
        ++retired[e.type];
        ++total;
        // Pool children are newer than their pool, so they come first: they go with it (its hook still needs to
        // find them in the table), never one by one.
        if (e.parent_type != VK_OBJECT_TYPE_UNKNOWN) continue;
        destroy_leftover(s, e);
        s.forget_object(e.type, id);  // a pool's children with it
    }
    // Children of a pool that was not among them (a pool outlives its children, so none should be).
    for (auto& [id, e] : all) s.objects().remove(id);
    if (total == 0) return;
    std::string kinds;
    for (auto& [type, n] : retired) kinds += (kinds.empty() ? "" : ", ") + count_of(type, n);
    LOG_INFO("session %llu: %s retired %zu leaked object%s (%s)", (unsigned long long)s.number(), occasion, total,
             total == 1 ? "" : "s", kinds.c_str());
}

}  // namespace anarchy::server
