// Frames shown in a window the program created with Xlib: the same XCB path, over the XCB connection underneath
// the program's Display.
#pragma once

#include "client/wsi/window_target.h"
#include "client/wsi/xcb_window_target.h"

// Xlib's own types, declared rather than included so that Xlib's macros (None, Bool, Status...) stay out of
// every file that includes this one. Display* is _XDisplay*; Window and VisualID are XIDs (unsigned long).
struct _XDisplay;

namespace anarchy::client::wsi {

/// A target drawing into the Xlib `window` of `display`; the display must outlive the target. X errors of our
/// requests go to us, never to the program's Xlib error handler.
TargetResult make_xlib_target(_XDisplay* display, unsigned long window, const XcbTargetOptions& options = {});

/// x11_visual_supported for an Xlib VisualID (vkGetPhysicalDeviceXlibPresentationSupportKHR).
bool xlib_visual_supported(_XDisplay* display, unsigned long visual_id);

}  // namespace anarchy::client::wsi
