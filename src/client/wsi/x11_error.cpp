#include "client/wsi/x11_error.h"

#include <cstdlib>

#include "common/log.h"

namespace anarchy::client::wsi {
namespace {

// Core protocol error codes (X.h), spelt out to keep Xlib's macros out of this module.
constexpr uint8_t kBadWindow = 3;
constexpr uint8_t kBadMatch = 8;
constexpr uint8_t kBadDrawable = 9;
constexpr uint8_t kBadAlloc = 11;

}  // namespace

WsiStatus status_from_x_error(const xcb_generic_error_t& error) {
    switch (error.error_code) {
        case kBadWindow:
        case kBadDrawable: return WsiStatus::SurfaceLost;
        case kBadAlloc: return WsiStatus::OutOfMemory;
        case kBadMatch:
        default: return WsiStatus::Error;
    }
}

WsiStatus consume_x_error(xcb_generic_error_t* error, const char* what) {
    if (!error) return WsiStatus::Ok;
    WsiStatus status = status_from_x_error(*error);
    if (status == WsiStatus::SurfaceLost)
        LOG_DEBUG("wsi", "%s: window gone (X error %u)", what, error->error_code);
    else
        LOG_WARN("wsi: %s failed: X error %u (major %u minor %u)", what, error->error_code, error->major_code,
                 error->minor_code);
    std::free(error);
    return status;
}

WsiStatus check_x_request(xcb_connection_t* conn, xcb_void_cookie_t cookie, const char* what) {
    return consume_x_error(xcb_request_check(conn, cookie), what);
}

}  // namespace anarchy::client::wsi
