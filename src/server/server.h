// The GPU host's server: accepts clients and serves each in a session of its own.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/session.h"
#include "transport/connection.h"

namespace anarchy::server {

struct ServerOptions {
    std::string listen = "127.0.0.1:7400";
    uint32_t device_index = 0;  ///< UINT32_MAX exposes every device
};

/// Listens, handshakes, and runs one thread per session. Thread-safe start/stop.
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
    void stop();
    uint16_t port() const;
    /// Sessions served so far (for tests and logs).
    uint64_t sessions_started() const { return next_session_.load() - 1; }
    size_t sessions_active() const;

private:
    struct Running {
        std::unique_ptr<Session> session;
        std::thread thread;
        std::atomic<bool> done{false};
    };
    void reap();
    /// A connection's thread: handshake, then the session until it ends.
    void serve_session(Running* raw, transport::Connection* conn, uint64_t number, const std::string& peer);
    /// Joins a video channel to the running session holding `token`. False (and the connection closed) if none.
    bool attach_video(uint64_t token, std::unique_ptr<transport::Connection> conn);

    ServerOptions options_;
    std::unique_ptr<transport::Listener> listener_;
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> next_session_{1};
    mutable std::mutex mu_;
    std::list<std::unique_ptr<Running>> sessions_;
    std::thread accept_thread_;
};

}  // namespace anarchy::server
