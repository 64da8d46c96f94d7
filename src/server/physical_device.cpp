// Physical devices: enumeration under server-assigned ids, extension filtering, and properties as the client
// should see them (API version capped at what the protocol covers, the driver marked as remote).
#include "server/physical_device.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "protocol/physical_device_messages.h"
#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {
namespace {

constexpr uint32_t kMaxApiVersion = VK_MAKE_API_VERSION(0, 1, 4, VK_HEADER_VERSION);

std::string remote_prefix(Session& s) { return "Anarchy remote GPU on " + s.options().host_description + "; host driver: "; }

void mark_remote(Session& s, char* info, size_t cap) {
    std::string text = remote_prefix(s) + info;
    std::strncpy(info, text.c_str(), cap - 1);
    info[cap - 1] = 0;
}

}  // namespace

bool handle_enumerate_physical_devices(Session& s, protocol::WireDecoder& d, protocol::WireEncoder* reply) {
    protocol::EnumeratePhysicalDevicesMessage msg;
    if (!msg.decode(d)) return false;
    uint64_t handle = 0;
    if (!s.objects().resolve(msg.instance, VK_OBJECT_TYPE_INSTANCE, handle))
        return d.fail("EnumeratePhysicalDevices of unknown instance id " + std::to_string(msg.instance));
    auto instance = reinterpret_cast<VkInstance>(handle);
    uint32_t n = 0;
    s.vk().EnumeratePhysicalDevices(instance, &n, nullptr);
    std::vector<VkPhysicalDevice> devs(n);
    s.vk().EnumeratePhysicalDevices(instance, &n, devs.data());
    devs.resize(n);
    uint32_t only = s.options().device_index;
    if (only != UINT32_MAX) {
        if (only < devs.size())
            devs = {devs[only]};
        else
            devs.clear();
    }
    protocol::PhysicalDeviceList list;
    for (VkPhysicalDevice pd : devs) {
        uint64_t id = s.objects().find_id(VK_OBJECT_TYPE_PHYSICAL_DEVICE, reinterpret_cast<uint64_t>(pd));
        if (!id) {
            id = s.new_server_id();
            s.register_object(id, VK_OBJECT_TYPE_PHYSICAL_DEVICE, reinterpret_cast<uint64_t>(pd), handle,
                              VK_OBJECT_TYPE_UNKNOWN, 0);
        }
        list.devices.push_back(id);
    }
    if (reply) list.encode(*reply);
    return true;
}

bool is_forwarded_device_extension(const char* name) {
    for (size_t i = 0; i < protocol::kForwardedExtensionCount; ++i)
        if (protocol::kForwardedExtensions[i].device && std::strcmp(protocol::kForwardedExtensions[i].name, name) == 0)
            return true;
    return false;
}

VkResult override_vkEnumerateDeviceExtensionProperties(Session& s, VkPhysicalDevice physicalDevice, const char* pLayerName,
                                                       uint32_t* pPropertyCount, VkExtensionProperties* pProperties) {
    if (pLayerName) {
        *pPropertyCount = 0;
        return VK_ERROR_LAYER_NOT_PRESENT;
    }
    uint32_t n = 0;
    VkResult r = s.vk().EnumerateDeviceExtensionProperties(physicalDevice, nullptr, &n, nullptr);
    if (r != VK_SUCCESS) return r;
    std::vector<VkExtensionProperties> all(n);
    r = s.vk().EnumerateDeviceExtensionProperties(physicalDevice, nullptr, &n, all.data());
    if (r < 0) return r;
    all.resize(n);
    std::vector<VkExtensionProperties> kept;
    for (auto& e : all)
        if (is_forwarded_device_extension(e.extensionName)) kept.push_back(e);
    if (!pProperties) {
        *pPropertyCount = static_cast<uint32_t>(kept.size());
        return VK_SUCCESS;
    }
    uint32_t copy = std::min<uint32_t>(*pPropertyCount, static_cast<uint32_t>(kept.size()));
    std::memcpy(pProperties, kept.data(), copy * sizeof(VkExtensionProperties));
    *pPropertyCount = copy;
    return copy < kept.size() ? VK_INCOMPLETE : VK_SUCCESS;
}

void override_vkGetPhysicalDeviceProperties(Session& s, VkPhysicalDevice physicalDevice,
                                            VkPhysicalDeviceProperties* pProperties) {
    s.vk().GetPhysicalDeviceProperties(physicalDevice, pProperties);
    if (pProperties->apiVersion > kMaxApiVersion) pProperties->apiVersion = kMaxApiVersion;
}

// Features the protocol cannot carry are reported absent: host image copies (Vulkan 1.4's optional hostImageCopy,
// VK_EXT_host_image_copy) read and write the program's own memory through host pointers; descriptor buffers'
// capture and replay writes opaque data of a size only a device property gives (client descriptor_buffer.cpp), as
// do ray tracing shader group capture handles; acceleration structures built on the host read the program's
// memory through host addresses.
void override_vkGetPhysicalDeviceFeatures2(Session& s, VkPhysicalDevice physicalDevice,
                                           VkPhysicalDeviceFeatures2* pFeatures) {
    s.vk().GetPhysicalDeviceFeatures2(physicalDevice, pFeatures);
    for (auto* p = static_cast<VkBaseOutStructure*>(pFeatures->pNext); p; p = p->pNext) {
        if (p->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_4_FEATURES)
            reinterpret_cast<VkPhysicalDeviceVulkan14Features*>(p)->hostImageCopy = VK_FALSE;
        else if (p->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_HOST_IMAGE_COPY_FEATURES)
            reinterpret_cast<VkPhysicalDeviceHostImageCopyFeatures*>(p)->hostImageCopy = VK_FALSE;
        else if (p->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DESCRIPTOR_BUFFER_FEATURES_EXT)
            reinterpret_cast<VkPhysicalDeviceDescriptorBufferFeaturesEXT*>(p)->descriptorBufferCaptureReplay = VK_FALSE;
        else if (p->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ACCELERATION_STRUCTURE_FEATURES_KHR)
            reinterpret_cast<VkPhysicalDeviceAccelerationStructureFeaturesKHR*>(p)->accelerationStructureHostCommands =
                VK_FALSE;
        else if (p->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_PIPELINE_FEATURES_KHR) {
            auto* rt = reinterpret_cast<VkPhysicalDeviceRayTracingPipelineFeaturesKHR*>(p);
            rt->rayTracingPipelineShaderGroupHandleCaptureReplay = VK_FALSE;
            rt->rayTracingPipelineShaderGroupHandleCaptureReplayMixed = VK_FALSE;
        }
    }
}

void override_vkGetPhysicalDeviceProperties2(Session& s, VkPhysicalDevice physicalDevice,
                                             VkPhysicalDeviceProperties2* pProperties) {
    s.vk().GetPhysicalDeviceProperties2(physicalDevice, pProperties);
    if (pProperties->properties.apiVersion > kMaxApiVersion) pProperties->properties.apiVersion = kMaxApiVersion;
    for (auto* p = static_cast<VkBaseOutStructure*>(pProperties->pNext); p; p = p->pNext) {
        if (p->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES) {
            auto* d = reinterpret_cast<VkPhysicalDeviceDriverProperties*>(p);
            mark_remote(s, d->driverInfo, VK_MAX_DRIVER_INFO_SIZE);
        } else if (p->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_PROPERTIES) {
            auto* d = reinterpret_cast<VkPhysicalDeviceVulkan12Properties*>(p);
            mark_remote(s, d->driverInfo, VK_MAX_DRIVER_INFO_SIZE);
        }
    }
}

}  // namespace anarchy::server
