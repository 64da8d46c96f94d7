// A reliable, ordered, framed message stream between client and server, behind a small interface
// so that other links (shared memory, another socket type) can be added beside TCP.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace anarchy::transport {

/// What a frame carries. Values are part of the wire protocol: append only.
enum class FrameType : uint16_t {
    Hello = 1,      ///< client -> server: handshake (see handshake.h)
    HelloAck = 2,   ///< server -> client: handshake accepted
    Refuse = 3,     ///< either way: handshake refused; payload is a UTF-8 reason
    Commands = 4,   ///< client -> server: a batch of encoded Vulkan commands
    Reply = 5,      ///< server -> client: the reply to one synchronous command
    Ping = 6,       ///< heartbeat on an idle link (handled inside the connection, never returned)
    Error = 7,      ///< server -> client: the session ended; payload is a UTF-8 reason
    Bye = 8,        ///< orderly close
    Video = 9,      ///< server -> client: one encoded frame (video channel)
    Control = 10,   ///< either way: small out-of-band control messages
};

/// One received frame, payload already decompressed.
struct Frame {
    FrameType type = FrameType::Ping;
    std::vector<uint8_t> payload;
};

/// Tunables of a connection.
struct ConnectionOptions {
    /// Send a heartbeat after this long without sending anything.
    std::chrono::milliseconds heartbeat_interval{1000};
    /// Declare the peer dead after this long without receiving anything (heartbeats included).
    std::chrono::milliseconds dead_after{6000};
    /// Payloads at least this large are LZ4-compressed when that makes them smaller.
    size_t compress_threshold = 4096;
    /// Frames larger than this (after decompression) are refused: the stream is treated as corrupt.
    size_t max_frame_bytes = size_t(1) << 30;
    /// Until the handshake succeeds (lift_handshake_limit), frames larger than this are refused: a hello is a
    /// few dozen bytes, and a stranger must not make the server reserve max_frame_bytes (decision 13).
    size_t max_frame_bytes_before_handshake = size_t(64) << 10;
};

/// The video channel's options, on both ends: its frames are compressed by their codec already, so the connection
/// never tries LZ4 on them (a 2.4 MB lz4-tiles frame that LZ4 shrinks by a few bytes would otherwise be compressed
/// again on the server's sending thread and expanded on the client's receiving one, every frame).
inline ConnectionOptions video_connection_options() {
    ConnectionOptions o;
    o.compress_threshold = SIZE_MAX;
    return o;
}

/// Counters for benchmarks and --stats.
struct ConnectionStats {
    uint64_t frames_sent = 0, frames_received = 0;        ///< heartbeats excluded
    uint64_t bytes_sent = 0, bytes_received = 0;          ///< on the wire, headers included
    uint64_t payload_bytes_sent = 0;                       ///< before compression
    uint64_t compressed_frames = 0;
    uint64_t heartbeats_sent = 0, heartbeats_received = 0;  ///< Ping frames (not counted in frames_*)
};

/// A framed, bidirectional, ordered and reliable message stream. send() may be called from many threads;
/// receive() from one thread at a time.
class Connection {
public:
    virtual ~Connection() = default;
    /// Sends one frame (compressing it when worthwhile). False, with *error set, if the link is gone.
    virtual bool send(FrameType type, const uint8_t* data, size_t size, std::string* error = nullptr) = 0;
    /// Sends one frame whose payload is data.
    bool send(FrameType type, const std::vector<uint8_t>& data, std::string* error = nullptr) {
        return send(type, data.data(), data.size(), error);
    }
    /// Sends several buffers as one frame's payload (avoids a copy for header + body).
    virtual bool send_parts(FrameType type, const uint8_t* a, size_t an, const uint8_t* b, size_t bn,
                            std::string* error = nullptr) = 0;
    /// Blocks until a frame arrives, the link fails, the peer is silent past dead_after, or timeout passes.
    /// Heartbeats are consumed here and never returned. Returns false with *error set on failure or timeout
    /// (*timed_out tells which).
    virtual bool receive(Frame& out, std::chrono::microseconds timeout, std::string* error = nullptr,
                         bool* timed_out = nullptr) = 0;
    /// Shuts the link down; blocked send/receive calls return false.
    virtual void close() = 0;
    /// False once the link was closed (locally, by the peer, or after a failure).
    virtual bool is_open() const = 0;
    /// Human-readable peer address, e.g. "127.0.0.1:7400".
    virtual std::string peer() const = 0;
    /// A snapshot of the counters.
    virtual ConnectionStats stats() const = 0;
    /// The peer passed the handshake: frames up to max_frame_bytes are accepted from now on.
    virtual void lift_handshake_limit() {}
};

/// Accepts incoming connections.
class Listener {
public:
    virtual ~Listener() = default;
    /// Blocks until a connection arrives or close() is called (then returns nullptr).
    virtual std::unique_ptr<Connection> accept(std::string* error = nullptr) = 0;
    /// Stops listening; a blocked accept() returns nullptr promptly.
    virtual void close() = 0;
    /// The bound port (useful when listening on port 0).
    virtual uint16_t port() const = 0;
};

/// Parses "HOST:PORT" (HOST may be a name, an IPv4 address or [IPv6]). False with *error on bad input.
bool parse_address(const std::string& text, std::string& host, uint16_t& port, std::string* error);

/// Connects over TCP (TCP_NODELAY). nullptr with *error naming the address and the reason on failure.
std::unique_ptr<Connection> tcp_connect(const std::string& address, std::chrono::milliseconds timeout,
                                        const ConnectionOptions& options = {}, std::string* error = nullptr);
/// Listens on "ADDR:PORT". nullptr with *error on failure.
std::unique_ptr<Listener> tcp_listen(const std::string& address, const ConnectionOptions& options = {},
                                     std::string* error = nullptr);

/// A TCP connection's socket given up by its Connection, to be adopted elsewhere (the server hands a client's
/// socket to a worker process after the handshake).
struct DetachedSocket {
    intptr_t handle = -1;         ///< the OS socket, now owned by whoever holds this
    std::string peer;             ///< as Connection::peer() said
    std::vector<uint8_t> unread;  ///< bytes received but not yet returned by receive()
};

/// Takes the socket out of a connection made by tcp_connect or a TCP listener: its heartbeat stops, the link is
/// not shut down, and the connection is closed without touching the socket. False with *error if c is not a TCP
/// connection or is already closed.
bool tcp_detach(Connection& c, DetachedSocket* out, std::string* error = nullptr);
/// A Connection over a detached socket (maybe received from another process); its unread bytes come first.
std::unique_ptr<Connection> tcp_adopt(DetachedSocket socket, const ConnectionOptions& options = {});

}  // namespace anarchy::transport
