// The worker process that serves one session (`anarchy serve-worker`, started by the server): it owns the
// session's Vulkan instance and driver, so whatever the driver does to it (a crash, heap corruption, a call that
// never returns) ends this session alone (decision 14).
#pragma once

namespace anarchy::server {

/// Serves the session the server hands over on control_fd (worker_channel.h) until it ends, the server says stop
/// (SIGTERM, SIGINT) or the server goes away (its end of the channel closes). status_fd is the status page
/// (worker_status.h). With warm_up the Vulkan loader and driver are loaded (an instance created and destroyed)
/// before the session comes. Returns the exit status.
int run_session_worker(int control_fd, int status_fd, bool warm_up);

}  // namespace anarchy::server
