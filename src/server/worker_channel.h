// What the server and a session's worker process say to each other: typed messages over a Unix socket pair,
// each carrying the descriptors it hands over (SCM_RIGHTS).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"

namespace anarchy::server {

/// The kinds of message, first u32 of each. Server -> worker only: the worker's answer is its exit.
enum class WorkerMessage : uint32_t {
    Start = 1,  ///< WorkerStart, with the client's socket
    Video = 2,  ///< WorkerVideo, with the video channel's socket
};

/// The session a fresh worker serves, and its limits.
struct WorkerStart {
    uint64_t number = 0;             ///< the session's number in the server's log
    uint32_t device_index = 0;       ///< SessionOptions::device_index
    std::string host_description;    ///< SessionOptions::host_description
    std::string peer;                ///< the client's address
    std::vector<uint8_t> unread;     ///< what the client sent after its handshake and the server already read
    uint64_t max_open_files = 0;     ///< RLIMIT_NOFILE of the worker (0: inherited)

    void encode(protocol::WireEncoder& e) const;
    bool decode(protocol::WireDecoder& d);
};

/// A video channel joining the worker's session.
struct WorkerVideo {
    std::string peer;
    std::vector<uint8_t> unread;

    void encode(protocol::WireEncoder& e) const;
    bool decode(protocol::WireDecoder& d);
};

/// Largest message (the unread bytes dominate; a client sends nothing before its handshake is answered).
constexpr size_t kMaxWorkerMessage = 128 * 1024;
/// Most descriptors one message carries.
constexpr size_t kMaxWorkerFds = 4;

/// Makes a connected pair of SOCK_SEQPACKET Unix sockets (close-on-exec). False with *error.
bool worker_socket_pair(int fds[2], std::string* error);
/// Sends one message with its descriptors (which stay open here) without blocking. False with *error.
bool send_worker_message(int channel, const std::vector<uint8_t>& bytes, const std::vector<int>& fds,
                         std::string* error);

enum class WorkerReceive { Ok, Closed, Failed };
/// Receives one message and the descriptors it carries (close-on-exec; the caller owns them). Blocks.
WorkerReceive receive_worker_message(int channel, std::vector<uint8_t>& bytes, std::vector<int>& fds,
                                     std::string* error);

}  // namespace anarchy::server
