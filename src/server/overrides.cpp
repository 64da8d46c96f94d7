// Server hooks: the commands overrides.json lists under "server", each with its reason there.
#include "server/overrides.h"

#include <chrono>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "server/session.h"

namespace anarchy::server {
namespace {

constexpr uint32_t kMaxApiVersion = VK_MAKE_API_VERSION(0, 1, 3, VK_HEADER_VERSION);

bool is_forwarded_device_extension(const char* name) {
    for (size_t i = 0; i < protocol::kForwardedExtensionCount; ++i)
        if (protocol::kForwardedExtensions[i].device && std::strcmp(protocol::kForwardedExtensions[i].name, name) == 0)
            return true;
    return false;
}

/// Waits in slices so that a closing session never leaves a thread blocked in the driver.
template <typename WaitSlice>
VkResult wait_sliced(Session& s, uint64_t timeout_ns, WaitSlice&& slice) {
    constexpr uint64_t kSlice = 100'000'000;  // 100 ms
    auto start = std::chrono::steady_clock::now();
    for (;;) {
        uint64_t elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
        uint64_t left = timeout_ns > elapsed ? timeout_ns - elapsed : 0;
        VkResult r = slice(left < kSlice ? left : kSlice);
        if (r != VK_TIMEOUT || left <= kSlice) return r;
        if (s.closing()) return VK_ERROR_DEVICE_LOST;
    }
}

std::string remote_prefix(Session& s) { return "Anarchy remote GPU on " + s.options().host_description + "; host driver: "; }

void mark_remote(Session& s, char* info, size_t cap) {
    std::string text = remote_prefix(s) + info;
    std::strncpy(info, text.c_str(), cap - 1);
    info[cap - 1] = 0;
}

}  // namespace

VkResult override_vkCreateInstance(Session& s, const VkInstanceCreateInfo* pCreateInfo, const VkAllocationCallbacks*,
                                   VkInstance* pInstance) {
    VkInstanceCreateInfo ci = *pCreateInfo;
    // Layers belong to the client; the server creates a plain instance with the extensions its loader has.
    ci.enabledLayerCount = 0;
    ci.ppEnabledLayerNames = nullptr;
    uint32_t n = 0;
    vkEnumerateInstanceExtensionProperties(nullptr, &n, nullptr);
    std::vector<VkExtensionProperties> have(n);
    vkEnumerateInstanceExtensionProperties(nullptr, &n, have.data());
    std::vector<const char*> keep;
    for (uint32_t i = 0; i < pCreateInfo->enabledExtensionCount; ++i) {
        const char* want = pCreateInfo->ppEnabledExtensionNames[i];
        for (uint32_t k = 0; k < n; ++k)
            if (std::strcmp(have[k].extensionName, want) == 0) keep.push_back(want);
    }
    ci.enabledExtensionCount = static_cast<uint32_t>(keep.size());
    ci.ppEnabledExtensionNames = keep.data();
    VkResult r = vkCreateInstance(&ci, nullptr, pInstance);
    if (r == VK_SUCCESS && !s.has_dispatch()) {
        DispatchTable t{};
        load_dispatch_table(t, vkGetInstanceProcAddr, *pInstance);
        s.set_dispatch(t);
    }
    return r;
}

VkResult override_vkCreateDevice(Session& s, VkPhysicalDevice physicalDevice, const VkDeviceCreateInfo* pCreateInfo,
                                 const VkAllocationCallbacks*, VkDevice* pDevice) {
    for (uint32_t i = 0; i < pCreateInfo->enabledExtensionCount; ++i) {
        if (!is_forwarded_device_extension(pCreateInfo->ppEnabledExtensionNames[i])) {
            LOG_WARN("session %llu: refused device extension %s (not forwarded)", (unsigned long long)s.number(),
                     pCreateInfo->ppEnabledExtensionNames[i]);
            return VK_ERROR_EXTENSION_NOT_PRESENT;
        }
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
    VkResult r = s.vk().CreateDevice(physicalDevice, &ci, nullptr, pDevice);
    if (r == VK_SUCCESS) s.device_parents()[*pDevice] = physicalDevice;
    return r;
}

void override_vkDestroyDevice(Session& s, VkDevice device, const VkAllocationCallbacks*) {
    s.streamer().forget_device(device);
    s.device_parents().erase(device);
    s.vk().DestroyDevice(device, nullptr);
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

VkResult override_vkAllocateMemory(Session& s, VkDevice device, const VkMemoryAllocateInfo* pAllocateInfo,
                                   const VkAllocationCallbacks*, VkDeviceMemory* pMemory) {
    VkResult r = s.vk().AllocateMemory(device, pAllocateInfo, nullptr, pMemory);
    if (r != VK_SUCCESS) return r;
    auto parent = s.device_parents().find(device);
    if (parent == s.device_parents().end()) return r;
    VkPhysicalDeviceMemoryProperties props{};
    s.vk().GetPhysicalDeviceMemoryProperties(parent->second, &props);
    if (pAllocateInfo->memoryTypeIndex >= props.memoryTypeCount) return r;
    VkMemoryPropertyFlags flags = props.memoryTypes[pAllocateInfo->memoryTypeIndex].propertyFlags;
    if (!(flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)) return r;
    void* ptr = nullptr;
    VkResult mr = s.vk().MapMemory(device, *pMemory, 0, VK_WHOLE_SIZE, 0, &ptr);
    if (mr != VK_SUCCESS) {
        s.vk().FreeMemory(device, *pMemory, nullptr);
        *pMemory = VK_NULL_HANDLE;
        return mr;
    }
    auto m = std::make_shared<MirroredMemory>();
    m->mapped = static_cast<uint8_t*>(ptr);
    m->size = pAllocateInfo->allocationSize;
    m->device = device;
    m->memory = *pMemory;
    m->coherent = (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    std::lock_guard<std::mutex> lock(s.mirrors_mutex());
    s.mirrors()[reinterpret_cast<uint64_t>(*pMemory)] = m;
    return r;
}

void override_vkFreeMemory(Session& s, VkDevice device, VkDeviceMemory memory, const VkAllocationCallbacks*) {
    {
        std::lock_guard<std::mutex> lock(s.mirrors_mutex());
        auto it = s.mirrors().find(reinterpret_cast<uint64_t>(memory));
        if (it != s.mirrors().end()) {
            std::lock_guard<std::mutex> mlock(it->second->mu);
            it->second->client_mapped = false;
            s.mirrors().erase(it);
        }
    }
    s.vk().FreeMemory(device, memory, nullptr);
}

VkResult override_vkWaitForFences(Session& s, VkDevice device, uint32_t fenceCount, const VkFence* pFences,
                                  VkBool32 waitAll, uint64_t timeout) {
    std::vector<VkFence> fences(pFences, pFences + fenceCount);
    s.defer_reply([&s, device, fences, waitAll, timeout](protocol::WireEncoder& out) {
        VkResult r = wait_sliced(s, timeout, [&](uint64_t slice) {
            return s.vk().WaitForFences(device, static_cast<uint32_t>(fences.size()), fences.data(), waitAll, slice);
        });
        out.i32(r);
    });
    return kReplyDeferred;
}

VkResult override_vkWaitSemaphores(Session& s, VkDevice device, const VkSemaphoreWaitInfo* pWaitInfo, uint64_t timeout) {
    std::vector<VkSemaphore> sems(pWaitInfo->pSemaphores, pWaitInfo->pSemaphores + pWaitInfo->semaphoreCount);
    std::vector<uint64_t> values(pWaitInfo->pValues, pWaitInfo->pValues + pWaitInfo->semaphoreCount);
    VkSemaphoreWaitFlags flags = pWaitInfo->flags;
    s.defer_reply([&s, device, sems, values, flags, timeout](protocol::WireEncoder& out) {
        VkSemaphoreWaitInfo wi{VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO, nullptr, flags, static_cast<uint32_t>(sems.size()),
                               sems.data(), values.data()};
        VkResult r = wait_sliced(s, timeout, [&](uint64_t slice) { return s.vk().WaitSemaphores(device, &wi, slice); });
        out.i32(r);
    });
    return kReplyDeferred;
}

namespace {

/// Submits an empty batch with a fresh fence to each queue and waits for them all on a waiter thread.
VkResult idle_queues(Session& s, VkDevice device, const std::vector<VkQueue>& queues) {
    std::vector<VkFence> fences;
    for (VkQueue q : queues) {
        VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, nullptr, 0};
        VkFence f{};
        VkResult r = s.vk().CreateFence(device, &fci, nullptr, &f);
        if (r != VK_SUCCESS) return r;
        r = s.vk().QueueSubmit(q, 0, nullptr, f);
        if (r != VK_SUCCESS) {
            s.vk().DestroyFence(device, f, nullptr);
            return r;
        }
        fences.push_back(f);
    }
    s.defer_reply([&s, device, fences](protocol::WireEncoder& out) {
        VkResult r = VK_SUCCESS;
        if (!fences.empty())
            r = wait_sliced(s, UINT64_MAX, [&](uint64_t slice) {
                return s.vk().WaitForFences(device, static_cast<uint32_t>(fences.size()), fences.data(), VK_TRUE, slice);
            });
        for (VkFence f : fences) s.vk().DestroyFence(device, f, nullptr);
        out.i32(r);
    });
    return kReplyDeferred;
}

}  // namespace

VkResult override_vkQueueWaitIdle(Session& s, VkQueue queue) {
    uint64_t id = s.objects().find_id(VK_OBJECT_TYPE_QUEUE, reinterpret_cast<uint64_t>(queue));
    ObjectEntry e;
    if (!id || !s.objects().entry(id, e)) return s.vk().QueueWaitIdle(queue);
    return idle_queues(s, reinterpret_cast<VkDevice>(e.owner), {queue});
}

VkResult override_vkDeviceWaitIdle(Session& s, VkDevice device) {
    std::vector<VkQueue> queues;
    for (auto& [id, e] : s.objects().of_type(VK_OBJECT_TYPE_QUEUE))
        if (e.owner == reinterpret_cast<uint64_t>(device)) queues.push_back(reinterpret_cast<VkQueue>(e.handle));
    return idle_queues(s, device, queues);
}

VkResult override_vkGetQueryPoolResults(Session& s, VkDevice device, VkQueryPool queryPool, uint32_t firstQuery,
                                        uint32_t queryCount, size_t dataSize, void* pData, VkDeviceSize stride,
                                        VkQueryResultFlags flags) {
    if (!(flags & VK_QUERY_RESULT_WAIT_BIT))
        return s.vk().GetQueryPoolResults(device, queryPool, firstQuery, queryCount, dataSize, pData, stride, flags);
    VkQueryResultFlags poll_flags = flags & ~VK_QUERY_RESULT_WAIT_BIT;
    s.defer_reply([&s, device, queryPool, firstQuery, queryCount, dataSize, stride, poll_flags](protocol::WireEncoder& out) {
        std::vector<uint8_t> data(dataSize);
        VkResult r;
        auto backoff = std::chrono::microseconds(20);
        for (;;) {
            r = s.vk().GetQueryPoolResults(device, queryPool, firstQuery, queryCount, dataSize, data.data(), stride, poll_flags);
            if (r != VK_NOT_READY || s.closing()) break;
            std::this_thread::sleep_for(backoff);
            if (backoff < std::chrono::microseconds(1000)) backoff *= 2;
        }
        if (s.closing() && r == VK_NOT_READY) r = VK_ERROR_DEVICE_LOST;
        out.i32(r);
        out.blob(data.data(), data.size());
    });
    return kReplyDeferred;
}

}  // namespace anarchy::server
