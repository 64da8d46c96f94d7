// The client driver's dispatchable objects. The loader writes its dispatch pointer into the first word of
// each, so they all start with VK_LOADER_DATA; non-dispatchable handles are the wire ids themselves.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include <vulkan/vk_icd.h>
#include <vulkan/vulkan_core.h>

#include "protocol/wire_encoder.h"

namespace anarchy::client {

class Runtime;

/// Common head of every dispatchable object.
struct DispatchableObject {
    VK_LOADER_DATA loader_data;
    uint64_t id = 0;
    Runtime* rt = nullptr;
    DispatchableObject() { loader_data.loaderMagic = ICD_LOADER_MAGIC; }
};

struct InstanceObject;

struct PhysicalDeviceObject : DispatchableObject {
    InstanceObject* instance = nullptr;
};

struct InstanceObject : DispatchableObject {
    std::unique_ptr<Runtime> runtime;
    std::mutex mu;
    std::vector<std::unique_ptr<PhysicalDeviceObject>> physical_devices;  ///< created on first enumeration
    bool enumerated = false;
    uint32_t api_version = VK_API_VERSION_1_0;
    /// VK_EXT_swapchain_colorspace enabled: surfaces also offer VK_COLOR_SPACE_PASS_THROUGH_EXT (surface.cpp).
    bool swapchain_colorspace = false;
};

struct DeviceObject;

struct QueueObject : DispatchableObject {
    DeviceObject* device = nullptr;
    uint32_t family = 0;
    /// VK_NV_low_latency2's vkQueueNotifyOutOfBandNV: its submissions are not frame work (latency.cpp).
    std::atomic<bool> out_of_band{false};
};

/// A command buffer records vkCmd* calls into its own stream; vkEndCommandBuffer sends it as one piece.
struct CommandBufferObject : DispatchableObject {
    DeviceObject* device = nullptr;
    uint64_t pool = 0;
    bool secondary = false;
    protocol::WireEncoder stream;  ///< valid between begin and end; the app synchronizes access
    size_t open_command = 0;       ///< offset of the size field of the command being recorded
};

/// A descriptor update template: kept on the client, which alone can read the program's update data.
struct DescriptorUpdateTemplate {
    std::vector<VkDescriptorUpdateTemplateEntry> entries;
    VkDescriptorUpdateTemplateType type = VK_DESCRIPTOR_UPDATE_TEMPLATE_TYPE_DESCRIPTOR_SET;
    VkPipelineBindPoint bind_point = VK_PIPELINE_BIND_POINT_GRAPHICS;  ///< push-descriptor templates only
};

/// What the server answered for one create info.
struct CachedRequirements {
    VkMemoryRequirements requirements{};
    bool has_dedicated = false;  ///< a VkMemoryDedicatedRequirements was asked for too
    VkBool32 prefers_dedicated = VK_FALSE;
    VkBool32 requires_dedicated = VK_FALSE;
};

struct DeviceObject : DispatchableObject {
    PhysicalDeviceObject* physical_device = nullptr;
    std::mutex mu;  ///< guards the maps below
    std::map<std::pair<uint32_t, uint32_t>, std::unique_ptr<QueueObject>> queues;
    std::map<uint64_t, std::set<CommandBufferObject*>> pool_command_buffers;
    VkPhysicalDeviceMemoryProperties memory_properties{};
    uint32_t first_queue_family = 0;  ///< of the first VkDeviceQueueCreateInfo
    std::map<uint64_t, std::shared_ptr<const DescriptorUpdateTemplate>> update_templates;  ///< by handle id
    /// Memory requirements depend only on the create info (the specification guarantees identical results for
    /// identical creation parameters), so each is asked for once per create info (memory_requirements.cpp).
    std::unordered_map<uint64_t, std::string> resource_keys;  ///< buffer and image ids: their create info's bytes
    std::unordered_map<std::string, CachedRequirements> requirements;  ///< by create info bytes
    /// VK_NV_low_latency2: by presentID, when its frame's first tagged submission started and its last ended
    /// (microseconds, latency.h), for the newest few hundred presentIDs.
    std::map<uint64_t, std::pair<uint64_t, uint64_t>> latency_submissions;
};

/// Returns the object behind a dispatchable handle.
template <typename T>
inline T* object_of(const void* handle) {
    return static_cast<T*>(const_cast<DispatchableObject*>(static_cast<const DispatchableObject*>(handle)));
}

}  // namespace anarchy::client
