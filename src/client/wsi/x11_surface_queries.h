// What the driver asks about an X11 window or visual before any swapchain exists: the window's geometry for
// VkSurfaceCapabilitiesKHR, its depth for the surface formats, and whether a visual can be presented to at all.
#pragma once

#include <optional>

#include <xcb/xcb.h>

#include "client/wsi/window_target.h"

namespace anarchy::client::wsi {

/// A window as the presentation code sees it.
struct X11WindowInfo {
    Extent2D extent;                ///< current size (xcb_get_geometry)
    xcb_window_t root = 0;
    xcb_visualid_t visual = 0;
    PixelInfo pixels;               ///< depth 24 or 32; alpha_meaningful for 32-bit visuals
    bool visual_supported = false;  ///< false: frames cannot be shown in this window (e.g. depth 16, 30, DirectColor)
};

/// Geometry and visual of `window` (two requests, one round trip); nullopt when it does not exist or the
/// connection is broken. Never raises an X error on the program's connection.
std::optional<X11WindowInfo> query_x11_window(xcb_connection_t* conn, xcb_window_t window);

/// Whether windows of `visual` can show BGRA8 frames: a TrueColor visual of depth 24 or 32 with 8-bit red, green
/// and blue at 0xff0000/0xff00/0xff and 32 bits per pixel. For vkGetPhysicalDeviceXcbPresentationSupportKHR.
bool x11_visual_supported(xcb_connection_t* conn, xcb_visualid_t visual);

/// Pixel layout of `visual` if it is supported (see x11_visual_supported), else nullopt. Needs no round trip.
std::optional<PixelInfo> x11_visual_pixel_info(xcb_connection_t* conn, xcb_visualid_t visual);

}  // namespace anarchy::client::wsi
