// The Linux window systems' surfaces: xcb, xlib and wayland (surface.cpp has what every platform shares).
#define VK_USE_PLATFORM_XCB_KHR
#define VK_USE_PLATFORM_XLIB_KHR
#define VK_USE_PLATFORM_WAYLAND_KHR
#include <xcb/xcb.h>
#include <X11/Xlib.h>
#include <wayland-client.h>
#include <vulkan/vulkan.h>

#include "client/wsi/wayland_window_target.h"
#include "client/wsi/x11_surface_queries.h"
#include "client/wsi/xcb_window_target.h"
#include "client/wsi/xlib_window_target.h"
#include "client/wsi_objects.h"

namespace anarchy::client {

wsi::TargetResult make_window_target(const SurfaceObject& s) {
    switch (s.platform) {
    case SurfaceObject::Platform::Xcb:
        return wsi::make_xcb_target(static_cast<xcb_connection_t*>(s.connection), static_cast<xcb_window_t>(s.window));
    case SurfaceObject::Platform::Xlib:
        return wsi::make_xlib_target(static_cast<Display*>(s.connection), static_cast<Window>(s.window));
    case SurfaceObject::Platform::Wayland:
        return wsi::make_wayland_target(static_cast<wl_display*>(s.connection), reinterpret_cast<wl_surface*>(s.window));
    default:
        return {wsi::WsiStatus::InvalidArgument, nullptr};
    }
}

VKAPI_ATTR VkResult VKAPI_CALL CreateXcbSurfaceKHR(VkInstance, const VkXcbSurfaceCreateInfoKHR* info,
                                                   const VkAllocationCallbacks*, VkSurfaceKHR* out) {
    return make_surface(SurfaceObject::Platform::Xcb, info->connection, info->window, out);
}

VKAPI_ATTR VkResult VKAPI_CALL CreateXlibSurfaceKHR(VkInstance, const VkXlibSurfaceCreateInfoKHR* info,
                                                    const VkAllocationCallbacks*, VkSurfaceKHR* out) {
    return make_surface(SurfaceObject::Platform::Xlib, info->dpy, info->window, out);
}

VKAPI_ATTR VkResult VKAPI_CALL CreateWaylandSurfaceKHR(VkInstance, const VkWaylandSurfaceCreateInfoKHR* info,
                                                       const VkAllocationCallbacks*, VkSurfaceKHR* out) {
    return make_surface(SurfaceObject::Platform::Wayland, info->display, reinterpret_cast<uint64_t>(info->surface), out);
}

VKAPI_ATTR VkBool32 VKAPI_CALL GetPhysicalDeviceXcbPresentationSupportKHR(VkPhysicalDevice pd, uint32_t family,
                                                                          xcb_connection_t* c, xcb_visualid_t visual) {
    return queue_family_can_present(pd, family) && wsi::x11_visual_supported(c, visual);
}

VKAPI_ATTR VkBool32 VKAPI_CALL GetPhysicalDeviceXlibPresentationSupportKHR(VkPhysicalDevice pd, uint32_t family,
                                                                           Display* dpy, VisualID visual) {
    return queue_family_can_present(pd, family) && wsi::xlib_visual_supported(dpy, visual);
}

VKAPI_ATTR VkBool32 VKAPI_CALL GetPhysicalDeviceWaylandPresentationSupportKHR(VkPhysicalDevice pd, uint32_t family,
                                                                              wl_display*) {
    return queue_family_can_present(pd, family);
}

}  // namespace anarchy::client
