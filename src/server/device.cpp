// Devices: created with only the forwarded extensions (plus VK_KHR_swapchain for PRESENT_SRC_KHR layouts).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "server/capture_queue.h"
#include "server/object_lifetime.h"
#include "server/overrides.h"
#include "server/physical_device.h"
#include "server/session.h"

namespace anarchy::server {

namespace {

bool enabled_extension(const VkDeviceCreateInfo& ci, const char* name) {
    for (uint32_t i = 0; i < ci.enabledExtensionCount; ++i)
        if (std::strcmp(ci.ppEnabledExtensionNames[i], name) == 0) return true;
    return false;
}

bool protected_memory_enabled(const VkDeviceCreateInfo& ci) {
    for (auto* p = static_cast<const VkBaseInStructure*>(ci.pNext); p; p = p->pNext) {
        if (p->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROTECTED_MEMORY_FEATURES &&
            reinterpret_cast<const VkPhysicalDeviceProtectedMemoryFeatures*>(p)->protectedMemory)
            return true;
        if (p->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES &&
            reinterpret_cast<const VkPhysicalDeviceVulkan11Features*>(p)->protectedMemory)
            return true;
    }
    return false;
}

/// The queue requests the driver dereferences or trusts without checking (the NVIDIA driver crashed on a protected
/// queue asked for without protectedMemory, found by the session fuzzer): why they are invalid, or empty.
std::string invalid_queue_requests(Session& s, VkPhysicalDevice pd, const VkDeviceCreateInfo& ci) {
    uint32_t families = 0;
    s.vk().GetPhysicalDeviceQueueFamilyProperties(pd, &families, nullptr);
    std::vector<VkQueueFamilyProperties> props(families);
    s.vk().GetPhysicalDeviceQueueFamilyProperties(pd, &families, props.data());
    const bool protected_ok = protected_memory_enabled(ci);
    const bool sync_ok = enabled_extension(ci, "VK_KHR_internally_synchronized_queues");
    for (uint32_t i = 0; i < ci.queueCreateInfoCount; ++i) {
        const VkDeviceQueueCreateInfo& q = ci.pQueueCreateInfos[i];
        const std::string which = "pQueueCreateInfos[" + std::to_string(i) + "]";
        if (q.queueFamilyIndex >= families) return which + ": no queue family " + std::to_string(q.queueFamilyIndex);
        if (q.queueCount == 0 || q.queueCount > props[q.queueFamilyIndex].queueCount)
            return which + ": " + std::to_string(q.queueCount) + " queues of a family that has " +
                   std::to_string(props[q.queueFamilyIndex].queueCount);
        VkDeviceQueueCreateFlags known = VK_DEVICE_QUEUE_CREATE_PROTECTED_BIT | VK_DEVICE_QUEUE_CREATE_INTERNALLY_SYNCHRONIZED_BIT_KHR;
        if (q.flags & ~known) return which + ": unknown flags " + std::to_string(q.flags);
        if ((q.flags & VK_DEVICE_QUEUE_CREATE_PROTECTED_BIT) && !protected_ok)
            return which + ": a protected queue without the protectedMemory feature";
        if ((q.flags & VK_DEVICE_QUEUE_CREATE_INTERNALLY_SYNCHRONIZED_BIT_KHR) && !sync_ok)
            return which + ": an internally synchronized queue without VK_KHR_internally_synchronized_queues";
    }
    return {};
}

/// Adds the server's capture queues (capture_queue.h) to a copy of the program's queue requests.
CaptureQueuesPlan add_capture_queues(Session& s, VkPhysicalDevice pd, std::vector<VkDeviceQueueCreateInfo>& queues,
                                     std::vector<std::vector<float>>& priorities) {
    if (!capture_queues_wanted()) return {};
    uint32_t n = 0;
    s.vk().GetPhysicalDeviceQueueFamilyProperties(pd, &n, nullptr);
    std::vector<VkQueueFamilyProperties> props(n);
    s.vk().GetPhysicalDeviceQueueFamilyProperties(pd, &n, props.data());
    return plan_capture_queues(props, queues, priorities);
}

/// The API version a device of `pd` may use: the lower of the physical device's and its instance's.
uint32_t device_api_version(Session& s, VkPhysicalDevice pd) {
    VkPhysicalDeviceProperties props{};
    s.vk().GetPhysicalDeviceProperties(pd, &props);
    uint32_t version = props.apiVersion;
    ObjectEntry e{};
    const uint64_t id = s.objects().find_id(VK_OBJECT_TYPE_PHYSICAL_DEVICE, reinterpret_cast<uint64_t>(pd));
    if (id && s.objects().entry(id, e)) {
        auto it = s.instance_versions().find(reinterpret_cast<VkInstance>(e.owner));
        if (it != s.instance_versions().end()) version = std::min(version, it->second);
    }
    return version;
}

/// Turns hostQueryReset on for a device that gets a copy-engine capture queue, where the device has it (Vulkan
/// 1.2): the copy engine resets its timestamp queries on the host (frame_capturer.h). A feature structure of the
/// program's that has the member (its decoded copy: ours to change) gets the bit; without one, a structure of ours
/// leads the chain. Whether it is on.
bool enable_host_query_reset(Session& s, VkPhysicalDevice pd, VkDeviceCreateInfo& ci,
                             VkPhysicalDeviceHostQueryResetFeatures& ours) {
    if (device_api_version(s, pd) < VK_API_VERSION_1_2 || !s.vk().GetPhysicalDeviceFeatures2) return false;
    VkPhysicalDeviceHostQueryResetFeatures has{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_HOST_QUERY_RESET_FEATURES};
    VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &has};
    s.vk().GetPhysicalDeviceFeatures2(pd, &features);
    if (!has.hostQueryReset) return false;
    for (auto* p = static_cast<VkBaseOutStructure*>(const_cast<void*>(ci.pNext)); p; p = p->pNext) {
        if (p->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES) {
            reinterpret_cast<VkPhysicalDeviceVulkan12Features*>(p)->hostQueryReset = VK_TRUE;
            return true;
        }
        if (p->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_HOST_QUERY_RESET_FEATURES) {
            reinterpret_cast<VkPhysicalDeviceHostQueryResetFeatures*>(p)->hostQueryReset = VK_TRUE;
            return true;
        }
    }
    ours = VkPhysicalDeviceHostQueryResetFeatures{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_HOST_QUERY_RESET_FEATURES};
    ours.hostQueryReset = VK_TRUE;
    ours.pNext = const_cast<void*>(ci.pNext);
    ci.pNext = &ours;
    return true;
}

/// After vkCreateDevice: the device's parent, its dispatch table, and the capture queues handed to the streamer.
VkResult finish_device(Session& s, VkPhysicalDevice physicalDevice, VkDevice device,
                       const std::vector<const char*>& extensions, const CaptureQueuesPlan& plan,
                       bool host_query_reset) {
    s.device_parents()[device] = physicalDevice;
    // What the device may call: the lower of its instance's version and the physical device's, and the
    // extensions it enabled (the program's and the server's own).
    s.device_tables().add(device, device_api_version(s, physicalDevice),
                          std::vector<std::string>(extensions.begin(), extensions.end()));
    const auto queue_of = [&](const std::optional<CaptureQueuePlan>& p) {
        FrameStreamer::CaptureQueue q;
        if (!p) return q;
        s.vk(device).GetDeviceQueue(device, p->family, p->index, &q.queue);
        if (q.queue) q.family = p->family;
        return q;
    };
    s.streamer().set_capture_queues(device, queue_of(plan.copy), queue_of(plan.compute), host_query_reset);
    return VK_SUCCESS;
}

}  // namespace

VkResult override_vkCreateDevice(Session& s, VkPhysicalDevice physicalDevice, const VkDeviceCreateInfo* pCreateInfo,
                                 const VkAllocationCallbacks*, VkDevice* pDevice) {
    for (uint32_t i = 0; i < pCreateInfo->enabledExtensionCount; ++i) {
        if (!is_forwarded_device_extension(pCreateInfo->ppEnabledExtensionNames[i])) {
            LOG_WARN("session %llu: refused device extension %s (not forwarded)", (unsigned long long)s.number(),
                     pCreateInfo->ppEnabledExtensionNames[i]);
            return VK_ERROR_EXTENSION_NOT_PRESENT;
        }
    }
    if (std::string why = invalid_queue_requests(s, physicalDevice, *pCreateInfo); !why.empty()) {
        LOG_WARN("session %llu: refused vkCreateDevice: %s", (unsigned long long)s.number(), why.c_str());
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    VkDeviceCreateInfo ci = *pCreateInfo;
    ci.enabledLayerCount = 0;
    ci.ppEnabledLayerNames = nullptr;
    // Swapchains are emulated, but programs move their images to PRESENT_SRC_KHR, a layout that is valid only
    // with VK_KHR_swapchain enabled: enable it where the host driver has it (nothing of it is used otherwise).
    std::vector<const char*> extensions(pCreateInfo->ppEnabledExtensionNames,
                                        pCreateInfo->ppEnabledExtensionNames + pCreateInfo->enabledExtensionCount);
    uint32_t n = 0;
    s.vk().EnumerateDeviceExtensionProperties(physicalDevice, nullptr, &n, nullptr);
    std::vector<VkExtensionProperties> available(n);
    s.vk().EnumerateDeviceExtensionProperties(physicalDevice, nullptr, &n, available.data());
    for (uint32_t i = 0; i < n; ++i)
        if (std::strcmp(available[i].extensionName, VK_KHR_SWAPCHAIN_EXTENSION_NAME) == 0)
            extensions.push_back(VK_KHR_SWAPCHAIN_EXTENSION_NAME);
    ci.enabledExtensionCount = uint32_t(extensions.size());
    ci.ppEnabledExtensionNames = extensions.data();
    std::vector<VkDeviceQueueCreateInfo> queues(pCreateInfo->pQueueCreateInfos,
                                                pCreateInfo->pQueueCreateInfos + pCreateInfo->queueCreateInfoCount);
    std::vector<std::vector<float>> priorities;
    CaptureQueuesPlan plan = add_capture_queues(s, physicalDevice, queues, priorities);
    ci.queueCreateInfoCount = uint32_t(queues.size());
    ci.pQueueCreateInfos = queues.data();
    VkPhysicalDeviceHostQueryResetFeatures host_reset{};
    const bool host_query_reset = plan.copy && enable_host_query_reset(s, physicalDevice, ci, host_reset);
    VkResult r = s.vk().CreateDevice(physicalDevice, &ci, nullptr, pDevice);
    if (r != VK_SUCCESS && (plan.copy || plan.compute)) {
        // A driver that will not give the extra queues still gets the program's device, as asked.
        LOG_WARN("session %llu: vkCreateDevice with capture queues failed (%d); without them",
                 (unsigned long long)s.number(), int(r));
        ci.queueCreateInfoCount = pCreateInfo->queueCreateInfoCount;
        ci.pQueueCreateInfos = pCreateInfo->pQueueCreateInfos;
        plan = {};
        r = s.vk().CreateDevice(physicalDevice, &ci, nullptr, pDevice);
    }
    if (r != VK_SUCCESS) return r;
    return finish_device(s, physicalDevice, *pDevice, extensions, plan, host_query_reset && plan.copy);
}

void override_vkDestroyDevice(Session& s, VkDevice device, const VkAllocationCallbacks*) {
    if (!device) return;
    // What the program left alive (OpenGL through zink leaves images, views and memory) goes first, and so do the
    // server's own waits, captures and fences on the device.
    retire_children(s, VK_OBJECT_TYPE_DEVICE, reinterpret_cast<uint64_t>(device), "vkDestroyDevice");
    s.device_parents().erase(device);
    // The table goes first: its key is read from the device, which is gone after the call.
    const DispatchTable t = s.vk(device);
    s.device_tables().remove(device);
    t.DestroyDevice(device, nullptr);
}

}  // namespace anarchy::server
