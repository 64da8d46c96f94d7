#include "server/instance.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace anarchy::server {
namespace {

std::vector<VkExtensionProperties> host_has(std::initializer_list<const char*> names) {
    std::vector<VkExtensionProperties> out;
    for (const char* name : names) {
        VkExtensionProperties p{};
        std::strncpy(p.extensionName, name, sizeof p.extensionName - 1);
        out.push_back(p);
    }
    return out;
}

std::vector<std::string> strings(const std::vector<const char*>& names) { return {names.begin(), names.end()}; }

// zink asks for every window-system extension; the host instance must get none of them (they made Mesa's
// device_select layer on the server connect to the server's own Wayland and X11 displays) but VK_KHR_surface, which
// the server's devices need for VK_KHR_swapchain.
TEST(HostInstanceExtensions, WindowSystemExtensionsStayOnTheClient) {
    const char* requested[] = {"VK_KHR_surface", "VK_KHR_xcb_surface", "VK_KHR_xlib_surface", "VK_KHR_wayland_surface",
                               "VK_KHR_get_surface_capabilities2", "VK_KHR_get_physical_device_properties2"};
    auto host = host_has({"VK_KHR_surface", "VK_KHR_xcb_surface", "VK_KHR_xlib_surface", "VK_KHR_wayland_surface",
                          "VK_KHR_get_surface_capabilities2", "VK_KHR_get_physical_device_properties2"});
    EXPECT_EQ(strings(host_instance_extensions(requested, std::size(requested), host)),
              (std::vector<std::string>{"VK_KHR_get_physical_device_properties2", "VK_KHR_surface"}));
}

TEST(HostInstanceExtensions, SurfaceIsEnabledWhereTheHostHasItAskedForOrNot) {
    const char* requested[] = {"VK_KHR_get_physical_device_properties2"};
    EXPECT_EQ(strings(host_instance_extensions(requested, std::size(requested),
                                               host_has({"VK_KHR_surface", "VK_KHR_get_physical_device_properties2"}))),
              (std::vector<std::string>{"VK_KHR_get_physical_device_properties2", "VK_KHR_surface"}));
    EXPECT_EQ(strings(host_instance_extensions(requested, std::size(requested),
                                               host_has({"VK_KHR_get_physical_device_properties2"}))),
              std::vector<std::string>{"VK_KHR_get_physical_device_properties2"});
}

TEST(HostInstanceExtensions, ForwardedExtensionsTheHostLacksAreLeftOut) {
    const char* requested[] = {"VK_KHR_device_group_creation", "VK_KHR_external_memory_capabilities"};
    auto host = host_has({"VK_KHR_external_memory_capabilities"});
    EXPECT_EQ(strings(host_instance_extensions(requested, std::size(requested), host)),
              std::vector<std::string>{"VK_KHR_external_memory_capabilities"});
}

}  // namespace
}  // namespace anarchy::server
