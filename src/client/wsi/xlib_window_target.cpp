#include "client/wsi/xlib_window_target.h"

#include <X11/Xlib-xcb.h>

#include "client/wsi/x11_surface_queries.h"

namespace anarchy::client::wsi {

TargetResult make_xlib_target(_XDisplay* display, unsigned long window, const XcbTargetOptions& options) {
    if (!display) return {WsiStatus::SurfaceLost, nullptr};
    return make_xcb_target(XGetXCBConnection(display), static_cast<xcb_window_t>(window), options);
}

bool xlib_visual_supported(_XDisplay* display, unsigned long visual_id) {
    if (!display) return false;
    return x11_visual_supported(XGetXCBConnection(display), static_cast<xcb_visualid_t>(visual_id));
}

}  // namespace anarchy::client::wsi
