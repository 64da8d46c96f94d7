// Frames shown in a Win32 window: each frame is drawn into the window's client area with SetDIBitsToDevice from
// a buffer of ours (room is left for a DXGI flip-model swapchain as a second path later).
#pragma once

#include <cstdint>

#include "client/wsi/window_target.h"

namespace anarchy::client::wsi {

/// A target drawing into the window `hwnd` (an HWND as an integer). Fails with SurfaceLost if it is no window.
TargetResult make_win32_target(uint64_t hwnd);

}  // namespace anarchy::client::wsi
