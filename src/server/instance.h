// Instances: the plain host instance a session's vkCreateInstance becomes.
#pragma once

#include <vector>

#include <vulkan/vulkan.h>

namespace anarchy::server {

/// The requested instance extensions the host instance is created with: the ones the protocol forwards and the host
/// loader has. Window-system extensions stay on the client, which answers surfaces itself; enabled on the host, they
/// would make host layers such as Mesa's device_select open the GPU host's own Wayland and X11 displays. Plus
/// VK_KHR_surface itself where the host has it (the devices' VK_KHR_swapchain requires it).
std::vector<const char*> host_instance_extensions(const char* const* requested, uint32_t count,
                                                  const std::vector<VkExtensionProperties>& host);

}  // namespace anarchy::server
