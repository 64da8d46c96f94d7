// External handles (VK_KHR_external_memory, _semaphore, _fence, core since Vulkan 1.1): none cross machines. The
// extensions that export or import a handle (fd, DMA-BUF, host pointer, Win32) are not offered
// (overrides.json excluded_extensions), so the capability queries say what the program can do with this device:
// no handle type of any kind. Forwarded, they would describe the GPU host's driver, which can export file
// descriptors; a program believing them (libplacebo, in mpv's gpu-next output) exports memory through
// vkGetMemoryFdKHR, which this device does not have.
#include "client/entry_points.h"
#include "client_commands_autogen.h"

namespace anarchy::client {
namespace {

template <typename T>
const T* find_in_chain(const void* next, VkStructureType type) {
    for (auto* n = static_cast<const VkBaseInStructure*>(next); n; n = n->pNext)
        if (n->sType == type) return reinterpret_cast<const T*>(n);
    return nullptr;
}

template <typename T>
T* find_in_chain(void* next, VkStructureType type) {
    for (auto* n = static_cast<VkBaseOutStructure*>(next); n; n = n->pNext)
        if (n->sType == type) return reinterpret_cast<T*>(n);
    return nullptr;
}

}  // namespace

VKAPI_ATTR void VKAPI_CALL GetPhysicalDeviceExternalBufferProperties(
    VkPhysicalDevice, const VkPhysicalDeviceExternalBufferInfo*, VkExternalBufferProperties* pExternalBufferProperties) {
    // "If handleType is not supported by the implementation, then externalMemoryFeatures will be zero."
    pExternalBufferProperties->externalMemoryProperties = VkExternalMemoryProperties{};
}

VKAPI_ATTR void VKAPI_CALL GetPhysicalDeviceExternalSemaphoreProperties(
    VkPhysicalDevice, const VkPhysicalDeviceExternalSemaphoreInfo*,
    VkExternalSemaphoreProperties* pExternalSemaphoreProperties) {
    pExternalSemaphoreProperties->exportFromImportedHandleTypes = 0;
    pExternalSemaphoreProperties->compatibleHandleTypes = 0;
    pExternalSemaphoreProperties->externalSemaphoreFeatures = 0;
}

VKAPI_ATTR void VKAPI_CALL GetPhysicalDeviceExternalFenceProperties(
    VkPhysicalDevice, const VkPhysicalDeviceExternalFenceInfo*, VkExternalFenceProperties* pExternalFenceProperties) {
    pExternalFenceProperties->exportFromImportedHandleTypes = 0;
    pExternalFenceProperties->compatibleHandleTypes = 0;
    pExternalFenceProperties->externalFenceFeatures = 0;
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceImageFormatProperties2(
    VkPhysicalDevice physicalDevice, const VkPhysicalDeviceImageFormatInfo2* pImageFormatInfo,
    VkImageFormatProperties2* pImageFormatProperties) {
    // An image of any external handle type is not supported (and the spec's answer to that is this error).
    const auto* external = find_in_chain<VkPhysicalDeviceExternalImageFormatInfo>(
        pImageFormatInfo->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO);
    if (external && external->handleType != 0) {
        pImageFormatProperties->imageFormatProperties = VkImageFormatProperties{};
        return VK_ERROR_FORMAT_NOT_SUPPORTED;
    }
    const VkResult r =
        gen_cmd::vkGetPhysicalDeviceImageFormatProperties2(physicalDevice, pImageFormatInfo, pImageFormatProperties);
    if (auto* props = find_in_chain<VkExternalImageFormatProperties>(
            pImageFormatProperties->pNext, VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES))
        props->externalMemoryProperties = VkExternalMemoryProperties{};
    return r;
}

}  // namespace anarchy::client
