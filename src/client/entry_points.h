// Hand-written client entry points (overrides.json "client" lists each with its reason).
#pragma once

#include <vulkan/vulkan_core.h>

#include "protocol/wire_encoder.h"

namespace anarchy::client {

/// True for device extensions the client implements itself (VK_KHR_swapchain): never sent to the server.
bool is_client_device_extension(const char* name);
/// The hand-written vkAllocateMemory (shadows for host-visible memory).
VKAPI_ATTR VkResult VKAPI_CALL AllocateMemory(VkDevice, const VkMemoryAllocateInfo*, const VkAllocationCallbacks*,
                                              VkDeviceMemory*);
VKAPI_ATTR void VKAPI_CALL GetDeviceQueue(VkDevice, uint32_t, uint32_t, VkQueue*);

/// Encoder that writes dispatchable handles as their ids.
const protocol::HandleEncoder* object_id_encoder();

}  // namespace anarchy::client

