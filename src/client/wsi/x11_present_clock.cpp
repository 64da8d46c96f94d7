#include "client/wsi/x11_present_clock.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <thread>
#include <vector>

#include <xcb/present.h>
#include <xcb/randr.h>

#include "client/wsi/x11_error.h"
#include "common/log.h"

namespace anarchy::client::wsi {
namespace {

using Clock = std::chrono::steady_clock;

// -1: no setting, 0: never follow Present's clock, 1: follow it even where the screen has no timings.
int present_setting() {
    const char* v = std::getenv("ANARCHY_X11_PRESENT");
    if (!v || !*v) return -1;
    return std::strcmp(v, "0") == 0 ? 0 : 1;
}

bool has_extension(xcb_connection_t* conn, xcb_extension_t* ext) {
    const xcb_query_extension_reply_t* r = xcb_get_extension_data(conn, ext);
    return r && r->present;
}

// Sends a request whose error, if any, must never reach the program's event queue.
void discard_errors(xcb_connection_t* conn, xcb_void_cookie_t cookie) { xcb_discard_reply(conn, cookie.sequence); }

}  // namespace

bool x11_screen_has_refresh_clock(xcb_connection_t* conn, xcb_window_t root) {
    if (!has_extension(conn, &xcb_randr_id)) return false;
    xcb_generic_error_t* err = nullptr;
    xcb_randr_query_version_reply_t* v =
        xcb_randr_query_version_reply(conn, xcb_randr_query_version(conn, 1, 3), &err);
    consume_x_error(err, "RRQueryVersion");
    const bool recent = v && (v->major_version > 1 || v->minor_version >= 3);
    std::free(v);
    if (!recent) return false;
    xcb_randr_get_screen_resources_current_reply_t* res = xcb_randr_get_screen_resources_current_reply(
        conn, xcb_randr_get_screen_resources_current(conn, root), &err);
    consume_x_error(err, "RRGetScreenResourcesCurrent");
    if (!res) return false;
    const xcb_randr_mode_info_t* modes = xcb_randr_get_screen_resources_current_modes(res);
    const int mode_count = xcb_randr_get_screen_resources_current_modes_length(res);
    const xcb_randr_crtc_t* crtcs = xcb_randr_get_screen_resources_current_crtcs(res);
    const int crtc_count = xcb_randr_get_screen_resources_current_crtcs_length(res);
    // Every CRTC's question goes out before the first answer is read: one round trip however many there are.
    std::vector<xcb_randr_get_crtc_info_cookie_t> cookies;
    for (int i = 0; i < crtc_count; ++i)
        cookies.push_back(xcb_randr_get_crtc_info(conn, crtcs[i], res->config_timestamp));
    bool timed = false;
    for (auto cookie : cookies) {
        xcb_randr_get_crtc_info_reply_t* info = xcb_randr_get_crtc_info_reply(conn, cookie, &err);
        consume_x_error(err, "RRGetCrtcInfo");
        if (info && info->mode != XCB_NONE) {
            for (int m = 0; m < mode_count; ++m) {
                if (modes[m].id == info->mode && modes[m].dot_clock && modes[m].htotal && modes[m].vtotal)
                    timed = true;
            }
        }
        std::free(info);
    }
    std::free(res);
    return timed;
}

std::unique_ptr<X11PresentClock> X11PresentClock::open(xcb_connection_t* conn, xcb_window_t window,
                                                       xcb_window_t root) {
    const int setting = present_setting();
    if (setting == 0 || xcb_connection_has_error(conn) || !has_extension(conn, &xcb_present_id)) return nullptr;
    xcb_generic_error_t* err = nullptr;
    xcb_present_query_version_reply_t* v =
        xcb_present_query_version_reply(conn, xcb_present_query_version(conn, 1, 0), &err);
    consume_x_error(err, "PresentQueryVersion");
    if (!v) return nullptr;
    std::free(v);
    if (setting < 0 && !x11_screen_has_refresh_clock(conn, root)) {
        LOG_DEBUG("wsi", "window 0x%x: the screen's modes have no timings; FIFO frames show as they come", window);
        return nullptr;
    }
    const uint32_t event_id = xcb_generate_id(conn);
    if (check_x_request(conn,
                        xcb_present_select_input_checked(conn, event_id, window,
                                                         XCB_PRESENT_EVENT_MASK_COMPLETE_NOTIFY),
                        "PresentSelectInput") != WsiStatus::Ok)
        return nullptr;
    xcb_special_event* events = xcb_register_for_special_xge(conn, &xcb_present_id, event_id, nullptr);
    if (!events) {
        discard_errors(conn, xcb_present_select_input_checked(conn, event_id, window, 0));
        return nullptr;
    }
    LOG_DEBUG("wsi", "window 0x%x: FIFO follows the display's refresh (Present MSC)", window);
    return std::unique_ptr<X11PresentClock>(new X11PresentClock(conn, window, event_id, events));
}

X11PresentClock::~X11PresentClock() {
    if (!xcb_connection_has_error(conn_)) {
        // The window may be gone already: the error of deselecting is dropped.
        discard_errors(conn_, xcb_present_select_input_checked(conn_, event_id_, window_, 0));
        xcb_flush(conn_);
    }
    xcb_unregister_for_special_event(conn_, events_);
}

RefreshWait X11PresentClock::wait_next(std::chrono::milliseconds limit) {
    if (xcb_connection_has_error(conn_)) return RefreshWait::Lost;
    const uint32_t serial = ++serial_;
    // Target 0 has passed already, so the first notification comes at once and tells the current MSC.
    discard_errors(conn_, xcb_present_notify_msc_checked(conn_, window_, serial, have_msc_ ? last_msc_ + 1 : 0, 0, 0));
    if (xcb_flush(conn_) <= 0) return RefreshWait::Lost;
    const Clock::time_point deadline = Clock::now() + limit;
    for (;;) {
        // Reads what the socket has if no other thread of the program is reading it; that thread queues our
        // events for us otherwise.
        while (xcb_generic_event_t* ev = xcb_poll_for_special_event(conn_, events_)) {
            auto* generic = reinterpret_cast<xcb_present_generic_event_t*>(ev);
            bool ours = false;
            if (generic->evtype == XCB_PRESENT_COMPLETE_NOTIFY) {
                auto* done = reinterpret_cast<xcb_present_complete_notify_event_t*>(ev);
                if (done->kind == XCB_PRESENT_COMPLETE_KIND_NOTIFY_MSC && done->serial == serial) {
                    ours = true;
                    last_msc_ = done->msc;
                    have_msc_ = true;
                }
            }
            std::free(ev);
            if (ours) return RefreshWait::Refreshed;
        }
        if (xcb_connection_has_error(conn_)) return RefreshWait::Lost;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return RefreshWait::TimedOut;
        // Short slices: when another thread reads the socket, its readiness says nothing about our queue.
        pollfd pfd{xcb_get_file_descriptor(conn_), POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 2))) > 0)
            std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
}

}  // namespace anarchy::client::wsi
