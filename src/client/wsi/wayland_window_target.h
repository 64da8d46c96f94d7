// Frames shown on a Wayland surface: wl_shm buffers from a small pool attached to the program's wl_surface, with
// all of our events on a private queue so the program's own event handling never sees them.
#pragma once

#include <cstdint>

#include "client/wsi/window_target.h"

struct wl_display;
struct wl_surface;

namespace anarchy::client::wsi {

/// Knobs for the Wayland target; the defaults are what the driver uses.
struct WaylandTargetOptions {
    /// ARGB8888 buffers whose A byte the compositor blends with; XRGB8888 (opaque, no blending) otherwise.
    bool use_alpha = false;
    /// Buffers in the pool (2-3): a new frame waits for the compositor to release one, never queues more.
    uint32_t max_buffers = 3;
    /// How long acquire waits for a released buffer before answering Busy, in milliseconds.
    uint32_t release_wait_ms = 100;
};

/// A target presenting to `surface` of `display`; both must outlive the target. The surface's size is the size of
/// the frames presented (current_extent() is kUndefinedExtent). Fails with SurfaceLost if the connection is broken,
/// Error if the compositor has no wl_shm.
TargetResult make_wayland_target(wl_display* display, wl_surface* surface, const WaylandTargetOptions& options = {});

}  // namespace anarchy::client::wsi
