// X protocol errors that reach us through checked requests, turned into statuses. Every request this module sends
// on the program's connection is checked (or its error discarded), so no error ever reaches the program's event
// queue or Xlib's default error handler, which would exit the program.
#pragma once

#include <xcb/xcb.h>

#include "client/wsi/window_target.h"

namespace anarchy::client::wsi {

/// Maps an X error to a status: BadWindow/BadDrawable -> SurfaceLost, BadAlloc -> OutOfMemory, else Error.
WsiStatus status_from_x_error(const xcb_generic_error_t& error);

/// Logs `what` failed with `error` (at debug level for a vanished window, warn otherwise) and frees it.
WsiStatus consume_x_error(xcb_generic_error_t* error, const char* what);

/// Status of a checked void request: waits for the server only if no later reply has arrived yet.
WsiStatus check_x_request(xcb_connection_t* conn, xcb_void_cookie_t cookie, const char* what);

}  // namespace anarchy::client::wsi
