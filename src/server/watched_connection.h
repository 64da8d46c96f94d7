// A session's connection that tells the worker's status page what the session thread is doing: between one
// receive() and the next it is busy with what it received (or, after the last, with its clean-up). The server's
// watchdog kills a worker busy with one thing for too long; waiting for the client is never too long.
#pragma once

#include <memory>

#include "server/worker_status.h"
#include "transport/connection.h"

namespace anarchy::server {

/// Forwards everything to the wrapped connection; receive() (the session thread's only) updates *status.
class WatchedConnection final : public transport::Connection {
public:
    WatchedConnection(std::unique_ptr<transport::Connection> inner, WorkerStatus* status)
        : inner_(std::move(inner)), status_(status) {}

    bool send(transport::FrameType type, const uint8_t* data, size_t size, std::string* error) override {
        return inner_->send(type, data, size, error);
    }
    bool send_parts(transport::FrameType type, const uint8_t* a, size_t an, const uint8_t* b, size_t bn,
                    std::string* error) override {
        return inner_->send_parts(type, a, an, b, bn, error);
    }
    bool receive(transport::Frame& out, std::chrono::microseconds timeout, std::string* error,
                 bool* timed_out) override;
    void close() override { inner_->close(); }
    bool is_open() const override { return inner_->is_open(); }
    std::string peer() const override { return inner_->peer(); }
    transport::ConnectionStats stats() const override { return inner_->stats(); }

private:
    std::unique_ptr<transport::Connection> inner_;
    WorkerStatus* status_;
};

/// Counts the commands of a Commands frame's payload and finds the last one's id (stops at a malformed header:
/// the session reports those).
void summarise_batch(const std::vector<uint8_t>& payload, uint32_t& commands, uint32_t& last_command);

}  // namespace anarchy::server
