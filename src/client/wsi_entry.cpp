// The window-system entry points (surface.cpp, swapchain.cpp) by name; kept apart from icd_entry.cpp because
// their signatures need the platforms' headers.
#define VK_USE_PLATFORM_XCB_KHR
#define VK_USE_PLATFORM_XLIB_KHR
#define VK_USE_PLATFORM_WAYLAND_KHR
#include <xcb/xcb.h>
#include <X11/Xlib.h>
#include <wayland-client.h>
#include <vulkan/vulkan.h>

#include <string_view>
#include <type_traits>
#include <unordered_map>

namespace anarchy::client {

#define WSI_ENTRY_POINTS(X)                         \
    X(CreateXcbSurfaceKHR)                          \
    X(CreateXlibSurfaceKHR)                         \
    X(CreateWaylandSurfaceKHR)                      \
    X(CreateHeadlessSurfaceEXT)                     \
    X(DestroySurfaceKHR)                            \
    X(GetPhysicalDeviceXcbPresentationSupportKHR)   \
    X(GetPhysicalDeviceXlibPresentationSupportKHR)  \
    X(GetPhysicalDeviceWaylandPresentationSupportKHR) \
    X(GetPhysicalDeviceSurfaceSupportKHR)           \
    X(GetPhysicalDeviceSurfaceCapabilitiesKHR)      \
    X(GetPhysicalDeviceSurfaceCapabilities2KHR)     \
    X(GetPhysicalDeviceSurfaceFormatsKHR)           \
    X(GetPhysicalDeviceSurfaceFormats2KHR)          \
    X(GetPhysicalDeviceSurfacePresentModesKHR)      \
    X(GetPhysicalDevicePresentRectanglesKHR)        \
    X(CreateSwapchainKHR)                           \
    X(DestroySwapchainKHR)                          \
    X(GetSwapchainImagesKHR)                        \
    X(AcquireNextImageKHR)                          \
    X(AcquireNextImage2KHR)                         \
    X(QueuePresentKHR)                              \
    X(GetDeviceGroupPresentCapabilitiesKHR)         \
    X(GetDeviceGroupSurfacePresentModesKHR)

// Declared with the exact PFN types, so a wrong signature does not compile.
#define DEFINE_DECL(n) VKAPI_ATTR std::remove_pointer_t<PFN_vk##n> n;
WSI_ENTRY_POINTS(DEFINE_DECL)
#undef DEFINE_DECL

PFN_vkVoidFunction wsi_proc(const char* name) {
    static const std::unordered_map<std::string_view, PFN_vkVoidFunction> table = {
#define ENTRY(n) {"vk" #n, reinterpret_cast<PFN_vkVoidFunction>(static_cast<PFN_vk##n>(&n))},
        WSI_ENTRY_POINTS(ENTRY)
#undef ENTRY
    };
    auto it = table.find(name);
    return it == table.end() ? nullptr : it->second;
}

}  // namespace anarchy::client
