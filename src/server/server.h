// The GPU host's server: accepts clients, answers their handshake, and serves each in a session of its own,
// by default in a worker process of its own (decision 14).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/session.h"
#include "server/worker_process.h"
#include "transport/connection.h"

namespace anarchy::server {

/// Where sessions run.
enum class SessionMode {
    /// Each session in a worker process of its own that owns its Vulkan instance and driver: a crash, heap
    /// corruption or hang in the driver ends that session alone. This process never loads a driver.
    Process,
    /// Each session on a thread of this process (for comparison and tests): a driver crash ends every session.
    Thread,
};

struct ServerOptions {
    std::string listen = "127.0.0.1:7400";
    uint32_t device_index = 0;  ///< UINT32_MAX exposes every device
    SessionMode session_mode = SessionMode::Process;
    /// The program a worker runs as `PROGRAM serve-worker ...` (process mode); empty: this process's own program.
    std::string worker_executable;
    /// A worker whose session thread stays this long on one thing (a batch of commands, its clean-up) is killed;
    /// waiting for the client never counts, nor do waits the wait pool answers later. Zero: never (process mode).
    std::chrono::milliseconds driver_timeout{30000};
    /// A worker whose resident memory passes this is killed (0: no limit; process mode).
    uint64_t worker_memory_bytes = 0;
    /// RLIMIT_NOFILE of each worker (0: inherited; process mode).
    uint64_t worker_max_files = 4096;
    /// Sessions served at once; a client beyond that is told the server is full.
    uint32_t max_sessions = 64;
    /// On stop(): how long workers have to end their sessions after SIGTERM before they are killed.
    std::chrono::milliseconds stop_grace{3000};
    /// Keep one worker started, its driver loaded, for the next session (process mode): a session then starts
    /// about as fast as one on a thread. The next spare starts 2 s after a session does (so its warm-up does not
    /// compete with that session's start). Off: each worker starts when its client comes.
    bool spare_worker = true;
};

/// The largest frame a client may send before its handshake is answered (a Hello is a few dozen bytes).
constexpr size_t kMaxHandshakeFrameBytes = 16 * 1024;
/// Connections in their handshake at once; more are closed at once.
constexpr size_t kMaxPendingHandshakes = 32;

/// Listens, handshakes, and hands each session to a worker process (or a thread). Thread-safe start/stop.
class Server {
public:
    explicit Server(ServerOptions options);
    ~Server();
    /// Binds the listener. False with *error if the address cannot be used.
    bool start(std::string* error);
    /// Accepts until stop() (blocks the calling thread).
    void serve();
    /// Starts serve() on a thread of its own.
    void serve_in_background();
    /// Ends every session and returns. In process mode it takes at most about stop_grace plus a few seconds,
    /// whatever the workers do; in thread mode it waits for each session's clean-up.
    void stop();
    uint16_t port() const;
    /// Sessions served so far (for tests and logs).
    uint64_t sessions_started() const { return next_session_.load() - 1; }
    size_t sessions_active() const;

private:
    /// A connection's thread: its handshake, then (thread mode) its session.
    struct Pending {
        std::unique_ptr<transport::Connection> conn;
        std::thread thread;
        std::atomic<bool> done{false};
    };
    /// A session on a thread of this process (thread mode).
    struct Threaded {
        Session* session;
        uint64_t token;
    };
    /// A session in a worker process (process mode).
    struct Worker {
        std::unique_ptr<WorkerProcess> process;
        uint64_t number;
        uint64_t token;
    };

    void handle_connection(Pending* p, uint64_t number);
    void run_in_thread(std::unique_ptr<transport::Connection> conn, uint64_t number, uint64_t token);
    void run_in_worker(transport::Connection& conn, uint64_t number, uint64_t token);
    /// Joins a video channel to the running session holding `token`; refuses it if there is none.
    void attach_video(uint64_t token, transport::Connection& conn);
    /// Every 100 ms until stop(): reaps workers, runs the watchdog and the memory limit, joins finished threads.
    void supervise();
    /// Reaps exited workers and logs how each ended (holding mu_).
    void reap_workers_locked();
    /// Starts a spare worker if there should be one and is none (holding mu_).
    void refill_spare_locked();
    void join_finished_threads();
    /// Refuses a client after its handshake with a reason, and closes it.
    static void refuse(transport::Connection& conn, const std::string& why);

    ServerOptions options_;
    std::unique_ptr<transport::Listener> listener_;
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> next_session_{1};
    mutable std::mutex mu_;
    std::list<std::unique_ptr<Pending>> pending_;  ///< guarded by mu_
    std::list<Threaded> threaded_;                 ///< guarded by mu_
    std::list<Worker> workers_;                    ///< guarded by mu_
    std::unique_ptr<WorkerProcess> spare_;         ///< guarded by mu_; started, not handed a session yet
    std::chrono::steady_clock::time_point next_spare_;  ///< guarded by mu_; no new spare before this
    std::thread accept_thread_;
    std::thread supervisor_;
    std::mutex supervisor_mu_;  ///< guards supervisor_stop_
    std::condition_variable supervisor_cv_;
    bool supervisor_stop_ = false;
    std::once_flag stop_once_;
};

}  // namespace anarchy::server
