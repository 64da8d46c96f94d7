// The loader-driver interface: the only symbols the driver library exports.
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "client/command_writer.h"
#include "client/entry_points.h"
#include "common/log.h"

#define ANARCHY_EXPORT extern "C" __attribute__((visibility("default")))

namespace anarchy::client {

// Hand-written entry points (instance.cpp, device.cpp, command_buffer.cpp, device_memory.cpp).
#define HAND_WRITTEN(X)                          \
    X(CreateInstance)                            \
    X(DestroyInstance)                           \
    X(EnumerateInstanceExtensionProperties)      \
    X(EnumerateInstanceLayerProperties)          \
    X(EnumerateInstanceVersion)                  \
    X(EnumeratePhysicalDevices)                  \
    X(EnumeratePhysicalDeviceGroups)             \
    X(EnumerateDeviceLayerProperties)            \
    X(CreateDevice)                              \
    X(DestroyDevice)                             \
    X(GetDeviceQueue)                            \
    X(GetDeviceQueue2)                           \
    X(QueueSubmit)                               \
    X(QueueSubmit2)                              \
    X(QueueBindSparse)                           \
    X(SignalSemaphore)                           \
    X(SetEvent)                                  \
    X(AllocateCommandBuffers)                    \
    X(FreeCommandBuffers)                        \
    X(DestroyCommandPool)                        \
    X(ResetCommandPool)                          \
    X(BeginCommandBuffer)                        \
    X(EndCommandBuffer)                          \
    X(ResetCommandBuffer)                        \
    X(AllocateMemory)                            \
    X(FreeMemory)                                \
    X(MapMemory)                                 \
    X(UnmapMemory)                               \
    X(FlushMappedMemoryRanges)                   \
    X(InvalidateMappedMemoryRanges)              \
    X(CreateDescriptorUpdateTemplate)            \
    X(DestroyDescriptorUpdateTemplate)           \
    X(UpdateDescriptorSetWithTemplate)           \
    X(CmdPushDescriptorSetWithTemplateKHR)

#define DECLARE(name) extern PFN_vk##name name##_ptr;
}  // namespace anarchy::client

// Declarations with the exact Vulkan signatures, checked by assigning to the PFN types below.
namespace anarchy::client {
VKAPI_ATTR VkResult VKAPI_CALL CreateInstance(const VkInstanceCreateInfo*, const VkAllocationCallbacks*, VkInstance*);
VKAPI_ATTR void VKAPI_CALL DestroyInstance(VkInstance, const VkAllocationCallbacks*);
VKAPI_ATTR VkResult VKAPI_CALL EnumerateInstanceExtensionProperties(const char*, uint32_t*, VkExtensionProperties*);
VKAPI_ATTR VkResult VKAPI_CALL EnumerateInstanceLayerProperties(uint32_t*, VkLayerProperties*);
VKAPI_ATTR VkResult VKAPI_CALL EnumerateInstanceVersion(uint32_t*);
VKAPI_ATTR VkResult VKAPI_CALL EnumeratePhysicalDevices(VkInstance, uint32_t*, VkPhysicalDevice*);
VKAPI_ATTR VkResult VKAPI_CALL EnumeratePhysicalDeviceGroups(VkInstance, uint32_t*, VkPhysicalDeviceGroupProperties*);
VKAPI_ATTR VkResult VKAPI_CALL EnumerateDeviceLayerProperties(VkPhysicalDevice, uint32_t*, VkLayerProperties*);
VKAPI_ATTR VkResult VKAPI_CALL CreateDevice(VkPhysicalDevice, const VkDeviceCreateInfo*, const VkAllocationCallbacks*, VkDevice*);
VKAPI_ATTR void VKAPI_CALL DestroyDevice(VkDevice, const VkAllocationCallbacks*);
VKAPI_ATTR void VKAPI_CALL GetDeviceQueue(VkDevice, uint32_t, uint32_t, VkQueue*);
VKAPI_ATTR void VKAPI_CALL GetDeviceQueue2(VkDevice, const VkDeviceQueueInfo2*, VkQueue*);
VKAPI_ATTR VkResult VKAPI_CALL QueueSubmit(VkQueue, uint32_t, const VkSubmitInfo*, VkFence);
VKAPI_ATTR VkResult VKAPI_CALL QueueSubmit2(VkQueue, uint32_t, const VkSubmitInfo2*, VkFence);
VKAPI_ATTR VkResult VKAPI_CALL QueueBindSparse(VkQueue, uint32_t, const VkBindSparseInfo*, VkFence);
VKAPI_ATTR VkResult VKAPI_CALL SignalSemaphore(VkDevice, const VkSemaphoreSignalInfo*);
VKAPI_ATTR VkResult VKAPI_CALL SetEvent(VkDevice, VkEvent);
VKAPI_ATTR VkResult VKAPI_CALL AllocateCommandBuffers(VkDevice, const VkCommandBufferAllocateInfo*, VkCommandBuffer*);
VKAPI_ATTR void VKAPI_CALL FreeCommandBuffers(VkDevice, VkCommandPool, uint32_t, const VkCommandBuffer*);
VKAPI_ATTR void VKAPI_CALL DestroyCommandPool(VkDevice, VkCommandPool, const VkAllocationCallbacks*);
VKAPI_ATTR VkResult VKAPI_CALL ResetCommandPool(VkDevice, VkCommandPool, VkCommandPoolResetFlags);
VKAPI_ATTR VkResult VKAPI_CALL BeginCommandBuffer(VkCommandBuffer, const VkCommandBufferBeginInfo*);
VKAPI_ATTR VkResult VKAPI_CALL EndCommandBuffer(VkCommandBuffer);
VKAPI_ATTR VkResult VKAPI_CALL ResetCommandBuffer(VkCommandBuffer, VkCommandBufferResetFlags);
VKAPI_ATTR VkResult VKAPI_CALL AllocateMemory(VkDevice, const VkMemoryAllocateInfo*, const VkAllocationCallbacks*, VkDeviceMemory*);
VKAPI_ATTR void VKAPI_CALL FreeMemory(VkDevice, VkDeviceMemory, const VkAllocationCallbacks*);
VKAPI_ATTR VkResult VKAPI_CALL MapMemory(VkDevice, VkDeviceMemory, VkDeviceSize, VkDeviceSize, VkMemoryMapFlags, void**);
VKAPI_ATTR void VKAPI_CALL UnmapMemory(VkDevice, VkDeviceMemory);
VKAPI_ATTR VkResult VKAPI_CALL FlushMappedMemoryRanges(VkDevice, uint32_t, const VkMappedMemoryRange*);
VKAPI_ATTR VkResult VKAPI_CALL InvalidateMappedMemoryRanges(VkDevice, uint32_t, const VkMappedMemoryRange*);

VKAPI_ATTR VkResult VKAPI_CALL CreateDescriptorUpdateTemplate(VkDevice, const VkDescriptorUpdateTemplateCreateInfo*,
                                                              const VkAllocationCallbacks*, VkDescriptorUpdateTemplate*);
VKAPI_ATTR void VKAPI_CALL DestroyDescriptorUpdateTemplate(VkDevice, VkDescriptorUpdateTemplate,
                                                           const VkAllocationCallbacks*);
VKAPI_ATTR void VKAPI_CALL UpdateDescriptorSetWithTemplate(VkDevice, VkDescriptorSet, VkDescriptorUpdateTemplate,
                                                           const void*);
VKAPI_ATTR void VKAPI_CALL CmdPushDescriptorSetWithTemplateKHR(VkCommandBuffer, VkDescriptorUpdateTemplate,
                                                               VkPipelineLayout, uint32_t, const void*);

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetInstanceProcAddr(VkInstance, const char* pName);
VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetDeviceProcAddr(VkDevice, const char* pName);

PFN_vkVoidFunction hand_written_proc(const char* name) {
    static const std::unordered_map<std::string_view, PFN_vkVoidFunction> table = {
#define ENTRY(n) {"vk" #n, reinterpret_cast<PFN_vkVoidFunction>(static_cast<PFN_vk##n>(&n))},
        HAND_WRITTEN(ENTRY)
#undef ENTRY
        {"vkGetInstanceProcAddr", reinterpret_cast<PFN_vkVoidFunction>(static_cast<PFN_vkGetInstanceProcAddr>(&GetInstanceProcAddr))},
        {"vkGetDeviceProcAddr", reinterpret_cast<PFN_vkVoidFunction>(static_cast<PFN_vkGetDeviceProcAddr>(&GetDeviceProcAddr))},
        // Aliases promoted to core.
        {"vkEnumeratePhysicalDeviceGroupsKHR", reinterpret_cast<PFN_vkVoidFunction>(&EnumeratePhysicalDeviceGroups)},
        {"vkQueueSubmit2KHR", reinterpret_cast<PFN_vkVoidFunction>(&QueueSubmit2)},
        {"vkSignalSemaphoreKHR", reinterpret_cast<PFN_vkVoidFunction>(&SignalSemaphore)},
        {"vkCreateDescriptorUpdateTemplateKHR", reinterpret_cast<PFN_vkVoidFunction>(&CreateDescriptorUpdateTemplate)},
        {"vkDestroyDescriptorUpdateTemplateKHR", reinterpret_cast<PFN_vkVoidFunction>(&DestroyDescriptorUpdateTemplate)},
        {"vkUpdateDescriptorSetWithTemplateKHR", reinterpret_cast<PFN_vkVoidFunction>(&UpdateDescriptorSetWithTemplate)},
    };
    auto it = table.find(name);
    return it == table.end() ? nullptr : it->second;
}

PFN_vkVoidFunction wsi_proc(const char* name);
VKAPI_ATTR VkResult VKAPI_CALL EnumerateDeviceExtensionProperties(VkPhysicalDevice, const char*, uint32_t*,
                                                                  VkExtensionProperties*);

PFN_vkVoidFunction lookup(const char* name) {
    if (!name) return nullptr;
    if (auto f = hand_written_proc(name)) return f;
    if (auto f = wsi_proc(name)) return f;
    if (std::strcmp(name, "vkEnumerateDeviceExtensionProperties") == 0)
        return reinterpret_cast<PFN_vkVoidFunction>(&EnumerateDeviceExtensionProperties);
    return generated_proc(name);
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetInstanceProcAddr(VkInstance, const char* pName) { return lookup(pName); }
VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetDeviceProcAddr(VkDevice, const char* pName) { return lookup(pName); }

}  // namespace anarchy::client

ANARCHY_EXPORT VKAPI_ATTR VkResult VKAPI_CALL vk_icdNegotiateLoaderICDInterfaceVersion(uint32_t* pSupportedVersion) {
    // Version 5: the loader may call vk_icdGetPhysicalDeviceProcAddr and handles 1.1+ apiVersion checks.
    if (*pSupportedVersion > 5) *pSupportedVersion = 5;
    return VK_SUCCESS;
}

ANARCHY_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vk_icdGetInstanceProcAddr(VkInstance instance, const char* pName) {
    return anarchy::client::lookup(pName);
}

ANARCHY_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vk_icdGetPhysicalDeviceProcAddr(VkInstance, const char* pName) {
    return anarchy::client::lookup(pName);
}
