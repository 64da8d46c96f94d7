// Frames shown in an X11 window through XCB: ShmPutImage from MIT-SHM segments where the server shares memory with
// us, PutImage split under the maximum request length otherwise (remote servers).
#pragma once

#include <cstdint>

#include <xcb/xcb.h>

#include "client/wsi/window_target.h"

namespace anarchy::client::wsi {

/// Knobs for tests and troubleshooting; the defaults are what the driver uses.
struct XcbTargetOptions {
    /// Use MIT-SHM when the server offers it on a local socket. ANARCHY_WSI_NO_SHM=1 in the environment also
    /// turns it off.
    bool allow_shm = true;
    /// Pass memfds to the server (MIT-SHM 1.2); false forces System V segments.
    bool allow_fd_passing = true;
    /// Upper bound on one PutImage request in the fallback path, in bytes; 0 means the server's maximum.
    uint32_t max_request_bytes = 0;
};

/// A target drawing into `window` over the program's own connection `conn` (as Mesa's WSI does), which must
/// outlive the target. Fails with SurfaceLost if the window does not exist, Error if its visual is unsupported.
TargetResult make_xcb_target(xcb_connection_t* conn, xcb_window_t window, const XcbTargetOptions& options = {});

}  // namespace anarchy::client::wsi
