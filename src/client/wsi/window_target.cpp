#include "client/wsi/window_target.h"

namespace anarchy::client::wsi {

const char* wsi_status_name(WsiStatus status) {
    switch (status) {
        case WsiStatus::Ok: return "ok";
        case WsiStatus::SurfaceLost: return "surface lost";
        case WsiStatus::OutOfMemory: return "out of memory";
        case WsiStatus::Busy: return "busy";
        case WsiStatus::InvalidArgument: return "invalid argument";
        case WsiStatus::Error: return "error";
    }
    return "unknown";
}

const char* refresh_wait_name(RefreshWait wait) {
    switch (wait) {
        case RefreshWait::Refreshed: return "refreshed";
        case RefreshWait::NoClock: return "no clock";
        case RefreshWait::TimedOut: return "timed out";
        case RefreshWait::Lost: return "lost";
    }
    return "unknown";
}

}  // namespace anarchy::client::wsi
