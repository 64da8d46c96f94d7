// The few socket operations the transport needs, behind an OS-neutral interface: socket_posix.cpp implements
// them for Linux (a Windows port adds socket_win32.cpp). Every socket here is non-blocking; waiting is done
// with explicit timeouts so that no call can hang forever.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace anarchy::transport::net {

/// The OS handle: a file descriptor on POSIX, a SOCKET on Windows (both fit in intptr_t).
using NativeSocket = intptr_t;
inline constexpr NativeSocket kInvalidSocket = -1;

/// Owns one OS socket and closes it on destruction.
class Socket {
public:
    Socket() = default;
    explicit Socket(NativeSocket handle) : handle_(handle) {}
    ~Socket() { reset(); }
    Socket(Socket&& other) noexcept : handle_(other.release()) {}
    Socket& operator=(Socket&& other) noexcept {
        if (this != &other) { reset(); handle_ = other.release(); }
        return *this;
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    /// True if this owns a socket.
    bool valid() const { return handle_ != kInvalidSocket; }
    /// The OS handle, still owned by this object.
    NativeSocket handle() const { return handle_; }
    /// Gives up ownership without closing.
    NativeSocket release() { NativeSocket h = handle_; handle_ = kInvalidSocket; return h; }
    /// Closes the socket (if any).
    void reset();

private:
    NativeSocket handle_ = kInvalidSocket;
};

/// One piece of a gathered write.
struct Buffer {
    const void* data;
    size_t size;
};

/// Outcome of a non-blocking read or accept.
enum class IoStatus { Ok, WouldBlock, Closed, Failed };

/// Outcome of waiting for readability.
enum class WaitStatus { Ready, Timeout, Failed };

/// Resolves host and connects with TCP_NODELAY and keep-alive; the error names "host:port" and the reason.
Socket connect_tcp(const std::string& host, uint16_t port, std::chrono::milliseconds timeout, std::string* error);
/// Binds and listens on host:port (port 0 picks a free one).
Socket listen_tcp(const std::string& host, uint16_t port, std::string* error);
/// Accepts one pending connection into out (configured like connect_tcp's sockets).
IoStatus accept_tcp(const Socket& listener, Socket& out, std::string* error);
/// The locally bound port, 0 if unknown.
uint16_t local_port(const Socket& s);
/// The remote address as "a.b.c.d:port" or "[v6]:port", empty if unknown.
std::string peer_address(const Socket& s);
/// Waits until s is readable (data, end of stream or error) or timeout passes.
WaitStatus wait_readable(const Socket& s, std::chrono::microseconds timeout, std::string* error);
/// Reads what is available, up to cap bytes, into *got; never blocks.
IoStatus read_some(const Socket& s, void* dst, size_t cap, size_t* got, std::string* error);
/// Writes every byte of bufs in order (partial writes, interrupts and a full send buffer handled), without
/// SIGPIPE. Fails if the socket fails or accepts nothing for stall_limit (no limit if it is not positive).
bool write_all(const Socket& s, const Buffer* bufs, size_t count, std::chrono::milliseconds stall_limit,
               std::string* error);
/// Shuts both directions so that blocked waits, reads, writes and accepts on s return promptly.
void shutdown_both(const Socket& s);

}  // namespace anarchy::transport::net
