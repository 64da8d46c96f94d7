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

}  // namespace anarchy::client::wsi
