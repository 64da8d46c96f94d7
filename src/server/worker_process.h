// A session's worker process as the server sees it: started with the client's socket, handed its video channel,
// watched through the status page, signalled, reaped.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "server/worker_channel.h"
#include "server/worker_status.h"

namespace anarchy::server {

/// One running worker. Not thread-safe: the server calls it under its own lock.
class WorkerProcess {
public:
    /// Starts `executable serve-worker` in a process group of its own. With warm_up it loads the Vulkan driver
    /// (an instance created and destroyed) while it waits for its session, so that a session handed to it later
    /// starts as fast as one in the server's own process. nullptr with *error.
    static std::unique_ptr<WorkerProcess> spawn(const std::string& executable, bool warm_up, std::string* error);
    /// Hands the worker its session and socket_fd (which stays open here: the caller closes its copy). Once only.
    bool hand_over(const WorkerStart& session, int socket_fd, std::string* error);
    /// Kills and reaps a worker still running (waiting a few seconds at most).
    ~WorkerProcess();
    WorkerProcess(const WorkerProcess&) = delete;
    WorkerProcess& operator=(const WorkerProcess&) = delete;

    pid_t pid() const { return pid_; }
    /// Hands the worker a video channel's socket (which stays open here). False with *error when it is gone.
    bool send_video(const WorkerVideo& video, int socket_fd, std::string* error);
    /// What its session thread is doing now.
    WorkerStatusSnapshot status() const { return read_worker_status(*status_); }
    /// Its resident memory in bytes (0 when unknown).
    uint64_t resident_bytes() const;
    /// Sends sig. A non-empty why is what reap() reports if it dies of it; the first one sticks.
    void kill(int sig, const std::string& why = {});
    /// True once something killed it with a reason (so the watchdog does not kill it twice).
    bool condemned() const { return !kill_reason_.empty(); }
    /// Never blocks: true once it has exited (and is reaped), with *how saying how ("exited with status 0",
    /// "killed by SIGSEGV", "killed by the watchdog: ...").
    bool reap(std::string* how);
    bool exited() const { return exited_; }

private:
    WorkerProcess() = default;

    pid_t pid_ = -1;
    bool handed_over_ = false;
    int control_ = -1;                ///< the server's end of the socket pair
    WorkerStatus* status_ = nullptr;  ///< the shared status page
    std::string kill_reason_;
    bool exited_ = false;
};

/// "SIGSEGV" for SIGSEGV, "signal 99" for what it cannot name.
std::string signal_name(int sig);

}  // namespace anarchy::server
