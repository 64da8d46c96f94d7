// What a worker's session thread is doing, in a page the worker shares with the server: the server's watchdog
// reads it to find a session stuck in a driver call, without any help from the (maybe wedged) worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace anarchy::server {

/// What the session thread is busy with.
enum class WorkerActivity : uint32_t {
    Waiting = 0,   ///< waiting for the client's next frame: never stuck, however long
    Commands = 1,  ///< running a batch of commands (driver calls)
    CleanUp = 2,   ///< the session ended: destroying what the program left
    Other = 3,     ///< any other frame, or a receive that timed out
    WarmUp = 4,    ///< a spare worker loading the driver before it has a session
};

/// The shared page's layout. Written by the worker's session thread only; read by the server at any time.
struct WorkerStatus {
    /// CLOCK_MONOTONIC (system-wide, so both processes agree) when the current activity began.
    std::atomic<uint64_t> since_ns{0};
    std::atomic<uint32_t> activity{0};      ///< WorkerActivity
    std::atomic<uint32_t> commands{0};      ///< commands in the batch (Commands)
    std::atomic<uint32_t> last_command{0};  ///< id of the batch's last command (Commands)
    std::atomic<uint32_t> changes{0};       ///< bumped after each update, so a reader can tell a torn read
};
static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<uint32_t>::is_always_lock_free,
              "the status page is shared between processes: its atomics must not hide a lock");

/// The size of the shared mapping.
constexpr size_t kWorkerStatusBytes = 4096;
static_assert(sizeof(WorkerStatus) <= kWorkerStatusBytes);

/// CLOCK_MONOTONIC in nanoseconds.
uint64_t monotonic_ns();

/// A copy of what the status page says, taken consistently.
struct WorkerStatusSnapshot {
    WorkerActivity activity = WorkerActivity::Waiting;
    uint64_t since_ns = 0;
    uint32_t commands = 0;
    uint32_t last_command = 0;
    /// "a batch of 3 commands ending with vkDeviceWaitIdle", "the session's clean-up", ...
    std::string describe() const;
};
WorkerStatusSnapshot read_worker_status(const WorkerStatus& s);
/// Records a new activity (the session thread's only).
void write_worker_status(WorkerStatus& s, WorkerActivity activity, uint32_t commands = 0, uint32_t last_command = 0);

}  // namespace anarchy::server
