// The refresh clock of the display an X11 window is on, read through the Present extension: FIFO presentation
// waits on it so that a remote program shows one frame per refresh, as it would on the local GPU.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <xcb/xcb.h>

#include "client/wsi/window_target.h"

struct xcb_special_event;

namespace anarchy::client::wsi {

/// Present MSC notifications for one window, on the program's own connection (their events go to a queue of our
/// own, never to the program's). One thread at a time.
class X11PresentClock {
public:
    /// nullptr when the window's screen has no refresh clock worth following: no Present or RandR extension, or no
    /// CRTC whose mode has timings (Xvfb's modes have none; Present then ticks a made-up 60 Hz, while the local
    /// driver there shows frames as fast as they come). ANARCHY_X11_PRESENT=0 never follows the clock; =1 follows
    /// Present's clock even on such a screen (tests use it under Xvfb).
    static std::unique_ptr<X11PresentClock> open(xcb_connection_t* conn, xcb_window_t window, xcb_window_t root);
    ~X11PresentClock();
    X11PresentClock(const X11PresentClock&) = delete;
    X11PresentClock& operator=(const X11PresentClock&) = delete;

    /// Waits until the display has refreshed since the refresh the previous call ended on (the first call only
    /// learns the current one). Refreshed, TimedOut after `limit` (a window on no CRTC ticks at 1 Hz), or Lost.
    RefreshWait wait_next(std::chrono::milliseconds limit);

    /// Refreshes counted by the display so far (Present's MSC) at the end of the last wait.
    uint64_t last_msc() const { return last_msc_; }

private:
    X11PresentClock(xcb_connection_t* conn, xcb_window_t window, uint32_t event_id, xcb_special_event* events)
        : conn_(conn), window_(window), event_id_(event_id), events_(events) {}

    xcb_connection_t* const conn_;
    const xcb_window_t window_;
    const uint32_t event_id_;
    xcb_special_event* const events_;
    uint32_t serial_ = 0;
    uint64_t last_msc_ = 0;
    bool have_msc_ = false;
};

/// Whether the screen of `root` drives a display with real timings: a CRTC showing a mode with a dot clock and
/// totals (RandR 1.3). False on Xvfb and when RandR is missing.
bool x11_screen_has_refresh_clock(xcb_connection_t* conn, xcb_window_t root);

}  // namespace anarchy::client::wsi
