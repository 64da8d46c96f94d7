// Devices and queues: dispatchable client objects named by client-chosen ids.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "client/command_writer.h"
#include "client/entry_points.h"
#include "client/latency.h"
#include "client/objects.h"
#include "client/runtime.h"
#include "client_commands_autogen.h"
#include "common/log.h"
#include "vk_structs_autogen.h"

namespace anarchy::client {

VKAPI_ATTR VkResult VKAPI_CALL CreateDevice(VkPhysicalDevice physicalDevice, const VkDeviceCreateInfo* pCreateInfo,
                                            const VkAllocationCallbacks*, VkDevice* pDevice) {
    try {
        auto* pd = object_of<PhysicalDeviceObject>(physicalDevice);
        Runtime* rt = pd->rt;
        if (rt->lost()) return VK_ERROR_DEVICE_LOST;
        auto dev = std::make_unique<DeviceObject>();
        dev->id = rt->new_id();
        dev->rt = rt;
        dev->physical_device = pd;
        VkDeviceCreateInfo ci = *pCreateInfo;
        ci.enabledLayerCount = 0;
        ci.ppEnabledLayerNames = nullptr;
        // Extensions the client implements itself never reach the server's device.
        std::vector<const char*> forwarded;
        for (uint32_t i = 0; i < pCreateInfo->enabledExtensionCount; ++i)
            if (!is_client_device_extension(pCreateInfo->ppEnabledExtensionNames[i]))
                forwarded.push_back(pCreateInfo->ppEnabledExtensionNames[i]);
        ci.enabledExtensionCount = uint32_t(forwarded.size());
        ci.ppEnabledExtensionNames = forwarded.data();
        if (ci.queueCreateInfoCount) dev->first_queue_family = ci.pQueueCreateInfos[0].queueFamilyIndex;
        CommandWriter w(*rt, protocol::CommandId::vkCreateDevice, true);
        auto& e = w.enc();
        e.dispatchable(physicalDevice);
        if (e.presence(&ci)) protocol::gen::enc_VkDeviceCreateInfo(e, ci);
        e.u64(dev->id);
        Reply reply;
        if (!w.call(reply)) return VK_ERROR_DEVICE_LOST;
        int32_t result = 0;
        if (!reply.decoder().i32(result)) return VK_ERROR_DEVICE_LOST;
        if (result != VK_SUCCESS) return static_cast<VkResult>(result);
        gen_cmd::vkGetPhysicalDeviceMemoryProperties(physicalDevice, &dev->memory_properties);
        *pDevice = reinterpret_cast<VkDevice>(dev.release());
        return VK_SUCCESS;
    } catch (const std::exception& ex) {
        LOG_ERROR("vkCreateDevice: %s", ex.what());
        return VK_ERROR_INITIALIZATION_FAILED;
    }
}

namespace {
/// Device extensions the client's own swapchains implement: swapchains with mutable formats (their images are
/// created with MUTABLE_FORMAT and the format list), incremental presents (the regions are a hint; whole frames
/// are sent, which the extension allows), present ids and waits, swapchain_maintenance1, FIFO_LATEST_READY,
/// shared presentable images.
constexpr std::pair<const char*, uint32_t> kClientDeviceExtensions[] = {
    {VK_KHR_SWAPCHAIN_EXTENSION_NAME, VK_KHR_SWAPCHAIN_SPEC_VERSION},
    {VK_KHR_SWAPCHAIN_MUTABLE_FORMAT_EXTENSION_NAME, VK_KHR_SWAPCHAIN_MUTABLE_FORMAT_SPEC_VERSION},
    {VK_KHR_INCREMENTAL_PRESENT_EXTENSION_NAME, VK_KHR_INCREMENTAL_PRESENT_SPEC_VERSION},
    {VK_KHR_PRESENT_ID_EXTENSION_NAME, VK_KHR_PRESENT_ID_SPEC_VERSION},
    {VK_KHR_PRESENT_WAIT_EXTENSION_NAME, VK_KHR_PRESENT_WAIT_SPEC_VERSION},
    // The same ids and waits asked for per surface (VkSurfaceCapabilitiesPresentId2KHR, surface.cpp).
    {VK_KHR_PRESENT_ID_2_EXTENSION_NAME, VK_KHR_PRESENT_ID_2_SPEC_VERSION},
    {VK_KHR_PRESENT_WAIT_2_EXTENSION_NAME, VK_KHR_PRESENT_WAIT_2_SPEC_VERSION},
    // Present fences, per-present mode switches and releasing acquired images (swapchain.cpp).
    {VK_KHR_SWAPCHAIN_MAINTENANCE_1_EXTENSION_NAME, VK_KHR_SWAPCHAIN_MAINTENANCE_1_SPEC_VERSION},
    {VK_EXT_SWAPCHAIN_MAINTENANCE_1_EXTENSION_NAME, VK_EXT_SWAPCHAIN_MAINTENANCE_1_SPEC_VERSION},
    // A present mode of the client's surfaces (surface.cpp).
    {VK_KHR_PRESENT_MODE_FIFO_LATEST_READY_EXTENSION_NAME, VK_KHR_PRESENT_MODE_FIFO_LATEST_READY_SPEC_VERSION},
    {VK_EXT_PRESENT_MODE_FIFO_LATEST_READY_EXTENSION_NAME, VK_EXT_PRESENT_MODE_FIFO_LATEST_READY_SPEC_VERSION},
    // Swapchains of one image the program keeps drawing into (swapchain.cpp); its layout SHARED_PRESENT_KHR reaches
    // the server's driver as GENERAL (protocol/wire_decoder.h), so it works whatever the server's GPU.
    {VK_KHR_SHARED_PRESENTABLE_IMAGE_EXTENSION_NAME, VK_KHR_SHARED_PRESENTABLE_IMAGE_SPEC_VERSION},
    // Reflex on the client's swapchains (latency.cpp); offered where the server's device has timeline semaphores,
    // which its sleep signals.
    {VK_NV_LOW_LATENCY_2_EXTENSION_NAME, VK_NV_LOW_LATENCY_2_SPEC_VERSION},
    // Corresponding presents of the swapchains that use the barrier shown together, within this process
    // (present_barrier.h).
    {VK_NV_PRESENT_BARRIER_EXTENSION_NAME, VK_NV_PRESENT_BARRIER_SPEC_VERSION},
    // Batches of presents shown evenly spread (swapchain.cpp, video_channel.cpp).
    {VK_NV_PRESENT_METERING_EXTENSION_NAME, VK_NV_PRESENT_METERING_SPEC_VERSION},
};

/// Whether the server's device has what a client extension needs of it: VK_NV_low_latency2 signals timeline
/// semaphores (Vulkan 1.2 or VK_KHR_timeline_semaphore).
bool server_device_supports(VkPhysicalDevice pd, const char* name, const std::vector<VkExtensionProperties>& forwarded) {
    if (std::strcmp(name, VK_NV_LOW_LATENCY_2_EXTENSION_NAME) != 0) return true;
    VkPhysicalDeviceProperties props{};
    gen_cmd::vkGetPhysicalDeviceProperties(pd, &props);
    if (props.apiVersion >= VK_API_VERSION_1_2) return true;
    for (const VkExtensionProperties& e : forwarded)
        if (std::strcmp(e.extensionName, VK_KHR_TIMELINE_SEMAPHORE_EXTENSION_NAME) == 0) return true;
    return false;
}
}  // namespace

bool is_client_device_extension(const char* name) {
    for (auto& [ext, version] : kClientDeviceExtensions)
        if (std::strcmp(name, ext) == 0) return true;
    return false;
}

// The server's driver answers; the features of the client's own swapchain extensions are the client's. Their
// structures are not generated, so they never travel (the encoder skips them) and are filled here.
VKAPI_ATTR void VKAPI_CALL GetPhysicalDeviceFeatures2(VkPhysicalDevice physicalDevice, VkPhysicalDeviceFeatures2* pFeatures) {
    gen_cmd::vkGetPhysicalDeviceFeatures2(physicalDevice, pFeatures);
    for (auto* n = static_cast<VkBaseOutStructure*>(pFeatures->pNext); n; n = n->pNext) {
        if (n->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_ID_FEATURES_KHR)
            reinterpret_cast<VkPhysicalDevicePresentIdFeaturesKHR*>(n)->presentId = VK_TRUE;
        else if (n->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_WAIT_FEATURES_KHR)
            reinterpret_cast<VkPhysicalDevicePresentWaitFeaturesKHR*>(n)->presentWait = VK_TRUE;
        else if (n->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_ID_2_FEATURES_KHR)
            reinterpret_cast<VkPhysicalDevicePresentId2FeaturesKHR*>(n)->presentId2 = VK_TRUE;
        else if (n->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_WAIT_2_FEATURES_KHR)
            reinterpret_cast<VkPhysicalDevicePresentWait2FeaturesKHR*>(n)->presentWait2 = VK_TRUE;
        else if (n->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SWAPCHAIN_MAINTENANCE_1_FEATURES_KHR)
            reinterpret_cast<VkPhysicalDeviceSwapchainMaintenance1FeaturesKHR*>(n)->swapchainMaintenance1 = VK_TRUE;
        else if (n->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_MODE_FIFO_LATEST_READY_FEATURES_KHR)
            reinterpret_cast<VkPhysicalDevicePresentModeFifoLatestReadyFeaturesKHR*>(n)->presentModeFifoLatestReady =
                VK_TRUE;
        else if (n->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_BARRIER_FEATURES_NV)
            reinterpret_cast<VkPhysicalDevicePresentBarrierFeaturesNV*>(n)->presentBarrier = VK_TRUE;
        else if (n->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_METERING_FEATURES_NV)
            reinterpret_cast<VkPhysicalDevicePresentMeteringFeaturesNV*>(n)->presentMetering = VK_TRUE;
    }
}

VKAPI_ATTR VkResult VKAPI_CALL EnumerateDeviceExtensionProperties(VkPhysicalDevice pd, const char* layer,
                                                                  uint32_t* count, VkExtensionProperties* out) {
    if (layer) return VK_ERROR_LAYER_NOT_PRESENT;
    uint32_t n = 0;
    VkResult r = gen_cmd::vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, nullptr);
    if (r != VK_SUCCESS) return r;
    std::vector<VkExtensionProperties> all(n);
    r = gen_cmd::vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, all.data());
    if (r < 0) return r;
    all.resize(n);
    const std::vector<VkExtensionProperties> forwarded = all;
    for (auto& [ext, version] : kClientDeviceExtensions) {
        if (!server_device_supports(pd, ext, forwarded)) continue;
        VkExtensionProperties p{};
        std::snprintf(p.extensionName, sizeof p.extensionName, "%s", ext);
        p.specVersion = version;
        all.push_back(p);
    }
    if (!out) {
        *count = uint32_t(all.size());
        return VK_SUCCESS;
    }
    uint32_t k = std::min<uint32_t>(*count, uint32_t(all.size()));
    std::copy(all.begin(), all.begin() + k, out);
    *count = k;
    return k < all.size() ? VK_INCOMPLETE : VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL DestroyDevice(VkDevice device, const VkAllocationCallbacks* pAllocator) {
    if (!device) return;
    auto* dev = object_of<DeviceObject>(device);
    // Memory the program left allocated goes with the device on the server: its pending writes have nowhere to go.
    dev->rt->retire_shadows_of(device);
    gen_cmd::vkDestroyDevice(device, pAllocator);
    dev->rt->flush();
    {
        std::lock_guard<std::mutex> lock(dev->mu);
        for (auto& [pool, cbs] : dev->pool_command_buffers)
            for (auto* cb : cbs) delete cb;
    }
    delete dev;
}

namespace {

VkQueue get_queue(DeviceObject* dev, uint32_t family, uint32_t index, uint32_t flags, bool v2) {
    std::lock_guard<std::mutex> lock(dev->mu);
    auto key = std::make_pair(family, index | (flags << 24));
    auto it = dev->queues.find(key);
    if (it != dev->queues.end()) return reinterpret_cast<VkQueue>(it->second.get());
    auto q = std::make_unique<QueueObject>();
    q->id = dev->rt->new_id();
    q->rt = dev->rt;
    q->device = dev;
    q->family = family;
    CommandWriter w(*dev->rt, v2 ? protocol::CommandId::vkGetDeviceQueue2 : protocol::CommandId::vkGetDeviceQueue, false);
    auto& e = w.enc();
    e.dispatchable(dev);
    if (v2) {
        VkDeviceQueueInfo2 info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_INFO_2, nullptr, flags, family, index};
        e.presence(&info);
        protocol::gen::enc_VkDeviceQueueInfo2(e, info);
    } else {
        e.u32(family);
        e.u32(index);
    }
    e.u64(q->id);
    w.send();
    VkQueue h = reinterpret_cast<VkQueue>(q.get());
    dev->queues[key] = std::move(q);
    return h;
}

}  // namespace

VKAPI_ATTR void VKAPI_CALL GetDeviceQueue(VkDevice device, uint32_t family, uint32_t index, VkQueue* pQueue) {
    *pQueue = get_queue(object_of<DeviceObject>(device), family, index, 0, false);
}

VKAPI_ATTR void VKAPI_CALL GetDeviceQueue2(VkDevice device, const VkDeviceQueueInfo2* pQueueInfo, VkQueue* pQueue) {
    *pQueue = get_queue(object_of<DeviceObject>(device), pQueueInfo->queueFamilyIndex, pQueueInfo->queueIndex,
                        pQueueInfo->flags, true);
}

namespace {

/// Commands that let the GPU read host memory: pending mapped-memory writes go first, and the batch leaves now.
template <typename Handle, typename Send>
VkResult after_memory_writes(Handle h, Send&& send) {
    Runtime* rt = runtime_of(h);
    if (!rt->flush_memory_writes()) return VK_ERROR_DEVICE_LOST;
    VkResult r = send();
    if (r == VK_SUCCESS && !rt->flush()) return VK_ERROR_DEVICE_LOST;
    return r;
}

/// VK_NV_low_latency2: a submission tagged with a frame's presentID is timed as that frame's driver work.
template <typename Info, typename Submit>
VkResult timed_for_latency(VkQueue queue, uint32_t count, const Info* submits, Submit&& submit) {
    uint64_t present_id = 0;
    for (uint32_t i = 0; i < count && !present_id; ++i) present_id = latency_submission_present_id(submits[i].pNext);
    const uint64_t start = present_id ? latency_now_us() : 0;
    VkResult r = submit();
    if (present_id && r == VK_SUCCESS) note_latency_submission(object_of<QueueObject>(queue), present_id, start, latency_now_us());
    return r;
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL QueueSubmit(VkQueue queue, uint32_t submitCount, const VkSubmitInfo* pSubmits, VkFence fence) {
    return timed_for_latency(queue, submitCount, pSubmits, [&] {
        return after_memory_writes(queue, [&] { return gen_cmd::vkQueueSubmit(queue, submitCount, pSubmits, fence); });
    });
}

VKAPI_ATTR VkResult VKAPI_CALL QueueSubmit2(VkQueue queue, uint32_t submitCount, const VkSubmitInfo2* pSubmits, VkFence fence) {
    return timed_for_latency(queue, submitCount, pSubmits, [&] {
        return after_memory_writes(queue, [&] { return gen_cmd::vkQueueSubmit2(queue, submitCount, pSubmits, fence); });
    });
}

VKAPI_ATTR VkResult VKAPI_CALL QueueBindSparse(VkQueue queue, uint32_t count, const VkBindSparseInfo* pInfo, VkFence fence) {
    return after_memory_writes(queue, [&] { return gen_cmd::vkQueueBindSparse(queue, count, pInfo, fence); });
}

VKAPI_ATTR VkResult VKAPI_CALL SignalSemaphore(VkDevice device, const VkSemaphoreSignalInfo* pSignalInfo) {
    return after_memory_writes(device, [&] { return gen_cmd::vkSignalSemaphore(device, pSignalInfo); });
}

VKAPI_ATTR VkResult VKAPI_CALL SetEvent(VkDevice device, VkEvent event) {
    return after_memory_writes(device, [&] { return gen_cmd::vkSetEvent(device, event); });
}

}  // namespace anarchy::client
