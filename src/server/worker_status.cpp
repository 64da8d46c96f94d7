#include "server/worker_status.h"

#include <ctime>

#include "vk_schema_autogen.h"

namespace anarchy::server {

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

std::string WorkerStatusSnapshot::describe() const {
    switch (activity) {
    case WorkerActivity::Waiting: return "waiting for the client";
    case WorkerActivity::CleanUp: return "the session's clean-up";
    case WorkerActivity::Other: return "handling a frame";
    case WorkerActivity::WarmUp: return "loading the driver (warm-up)";
    case WorkerActivity::Commands: break;
    }
    const char* name = protocol::command_name(last_command);
    std::string last = name ? name : "custom command " + std::to_string(last_command);
    if (commands == 1) return "the command " + last;
    return "a batch of " + std::to_string(commands) + " commands ending with " + last;
}

// A sequence lock: an odd count means an update is under way.
void write_worker_status(WorkerStatus& s, WorkerActivity activity, uint32_t commands, uint32_t last_command) {
    const uint32_t c = s.changes.load(std::memory_order_relaxed);
    s.changes.store(c + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    s.since_ns.store(monotonic_ns(), std::memory_order_relaxed);
    s.activity.store(static_cast<uint32_t>(activity), std::memory_order_relaxed);
    s.commands.store(commands, std::memory_order_relaxed);
    s.last_command.store(last_command, std::memory_order_relaxed);
    s.changes.store(c + 2, std::memory_order_release);
}

WorkerStatusSnapshot read_worker_status(const WorkerStatus& s) {
    WorkerStatusSnapshot out;
    // The writer never stays inside an update for long; a few tries always find a quiet moment (and a torn read
    // would only garble a log line).
    for (int attempt = 0; attempt < 1000; ++attempt) {
        const uint32_t before = s.changes.load(std::memory_order_acquire);
        out.since_ns = s.since_ns.load(std::memory_order_relaxed);
        uint32_t a = s.activity.load(std::memory_order_relaxed);
        out.activity = a <= static_cast<uint32_t>(WorkerActivity::WarmUp) ? static_cast<WorkerActivity>(a) : WorkerActivity::Other;
        out.commands = s.commands.load(std::memory_order_relaxed);
        out.last_command = s.last_command.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if ((before & 1) == 0 && s.changes.load(std::memory_order_relaxed) == before) break;
    }
    return out;
}

}  // namespace anarchy::server
