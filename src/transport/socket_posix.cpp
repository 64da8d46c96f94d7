// POSIX sockets (Linux). The only file of the transport that includes OS headers.
#include "transport/socket.h"

#include <arpa/inet.h>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "transport/socket_address.h"

namespace anarchy::transport::net {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int err) { return std::strerror(err); }

/// poll() on one descriptor (ppoll: the timeout to the microsecond), restarted after signals with the remaining
/// time. Returns revents, 0 on timeout, -1 on error (errno set). A negative timeout waits forever.
int poll_one(int fd, short events, std::chrono::microseconds timeout) {
    const bool forever = timeout.count() < 0;
    const auto deadline = Clock::now() + (forever ? std::chrono::microseconds(0) : timeout);
    for (;;) {
        pollfd p{fd, events, 0};
        timespec ts{};
        if (!forever) {
            const auto left = std::max(std::chrono::ceil<std::chrono::microseconds>(deadline - Clock::now()),
                                       std::chrono::microseconds(0));
            ts.tv_sec = static_cast<time_t>(left.count() / 1000000);
            ts.tv_nsec = static_cast<long>(left.count() % 1000000) * 1000;
        }
        int r = ::ppoll(&p, 1, forever ? nullptr : &ts, nullptr);
        if (r > 0) return p.revents;
        if (r == 0) return 0;
        if (errno != EINTR) return -1;
    }
}

void configure_stream(int fd) {
    // Commands are small and latency-bound: never let Nagle hold one back. Keep-alive catches links that
    // vanish while both sides are idle and heartbeats are off.
    int one = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        LOG_WARN("transport: TCP_NODELAY failed: %s", std::strerror(errno));
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
}

struct AddrInfoList {
    addrinfo* head = nullptr;
    ~AddrInfoList() { if (head) ::freeaddrinfo(head); }
};

bool resolve(const std::string& host, uint16_t port, bool passive, AddrInfoList& out, std::string* error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    const std::string service = std::to_string(port);
    int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &out.head);
    if (rc != 0) {
        if (error) *error = "cannot resolve " + format_host_port(host, port) + ": " +
                            (rc == EAI_SYSTEM ? errno_text(errno) : std::string(::gai_strerror(rc)));
        return false;
    }
    return true;
}

}  // namespace

void Socket::reset() {
    if (handle_ != kInvalidSocket) ::close(static_cast<int>(handle_));
    handle_ = kInvalidSocket;
}

Socket connect_tcp(const std::string& host, uint16_t port, std::chrono::milliseconds timeout, std::string* error) {
    const std::string where = format_host_port(host, port);
    AddrInfoList addrs;
    if (!resolve(host, port, false, addrs, error)) return {};
    const auto deadline = Clock::now() + timeout;
    std::string last = "no address";
    for (addrinfo* ai = addrs.head; ai; ai = ai->ai_next) {
        Socket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
        if (!s.valid()) { last = errno_text(errno); continue; }
        int fd = static_cast<int>(s.handle());
        // EINTR leaves a non-blocking connect running, just like EINPROGRESS.
        if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS && errno != EINTR) {
            last = errno_text(errno);
            continue;
        }
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        int ev = poll_one(fd, POLLOUT, left.count() < 0 ? std::chrono::milliseconds(0) : left);
        if (ev == 0) { last = "timed out after " + std::to_string(timeout.count()) + " ms"; break; }
        if (ev < 0) { last = errno_text(errno); continue; }
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err != 0) { last = errno_text(err); continue; }
        configure_stream(fd);
        return s;
    }
    if (error) *error = "cannot connect to " + where + ": " + last;
    return {};
}

Socket listen_tcp(const std::string& host, uint16_t port, std::string* error) {
    const std::string where = format_host_port(host, port);
    AddrInfoList addrs;
    if (!resolve(host, port, true, addrs, error)) return {};
    std::string last = "no address";
    for (addrinfo* ai = addrs.head; ai; ai = ai->ai_next) {
        Socket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
        if (!s.valid()) { last = errno_text(errno); continue; }
        int fd = static_cast<int>(s.handle());
        // A restarted server must be able to rebind while old connections sit in TIME_WAIT.
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
            last = errno_text(errno);
            continue;
        }
        return s;
    }
    if (error) *error = "cannot listen on " + where + ": " + last;
    return {};
}

IoStatus accept_tcp(const Socket& listener, Socket& out, std::string* error) {
    for (;;) {
        int fd = ::accept4(static_cast<int>(listener.handle()), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            configure_stream(fd);
            out = Socket(fd);
            return IoStatus::Ok;
        }
        switch (errno) {
        case EINTR: continue;
        // A client that gave up before we accepted it is not the listener's failure.
        case EAGAIN: case ECONNABORTED: case EPROTO: return IoStatus::WouldBlock;
        case EINVAL: return IoStatus::Closed;  // shut down by close()
        default:
            if (error) *error = "accept failed: " + errno_text(errno);
            return IoStatus::Failed;
        }
    }
}

uint16_t local_port(const Socket& s) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(static_cast<int>(s.handle()), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return 0;
}

std::string peer_address(const Socket& s) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(static_cast<int>(s.handle()), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    return format_address(reinterpret_cast<const sockaddr*>(&ss));
}

WaitStatus wait_readable(const Socket& s, std::chrono::microseconds timeout, std::string* error) {
    int ev = poll_one(static_cast<int>(s.handle()), POLLIN, timeout.count() < 0 ? std::chrono::microseconds(0) : timeout);
    if (ev > 0) return WaitStatus::Ready;  // POLLHUP/POLLERR too: the next read reports them
    if (ev == 0) return WaitStatus::Timeout;
    if (error) *error = "poll failed: " + errno_text(errno);
    return WaitStatus::Failed;
}

IoStatus read_some(const Socket& s, void* dst, size_t cap, size_t* got, std::string* error) {
    *got = 0;
    for (;;) {
        ssize_t n = ::recv(static_cast<int>(s.handle()), dst, cap, 0);
        if (n > 0) { *got = static_cast<size_t>(n); return IoStatus::Ok; }
        if (n == 0) return IoStatus::Closed;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return IoStatus::WouldBlock;
        if (error) *error = "receive failed: " + errno_text(errno);
        return IoStatus::Failed;
    }
}

bool write_all(const Socket& s, const Buffer* bufs, size_t count, std::chrono::milliseconds stall_limit,
               std::string* error) {
    constexpr size_t kMaxBuffers = 8;
    if (count > kMaxBuffers) {
        if (error) *error = "too many buffers in one write";
        return false;
    }
    iovec iov[kMaxBuffers];
    size_t n = 0;
    for (size_t i = 0; i < count; ++i)
        if (bufs[i].size) iov[n++] = {const_cast<void*>(bufs[i].data), bufs[i].size};
    const int fd = static_cast<int>(s.handle());
    iovec* cur = iov;
    while (n > 0) {
        msghdr msg{};
        msg.msg_iov = cur;
        msg.msg_iovlen = n;
        ssize_t w = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                if (error) *error = "send failed: " + errno_text(errno);
                return false;
            }
            int ev = poll_one(fd, POLLOUT, stall_limit.count() > 0 ? stall_limit : std::chrono::milliseconds(-1));
            if (ev == 0) {
                if (error) *error = "the peer accepted no data for " + std::to_string(stall_limit.count()) +
                                    " ms (peer dead or not reading?)";
                return false;
            }
            if (ev < 0) {
                if (error) *error = "poll failed: " + errno_text(errno);
                return false;
            }
            continue;  // writable, or an error the next sendmsg reports
        }
        auto left = static_cast<size_t>(w);
        while (n > 0 && left >= cur->iov_len) { left -= cur->iov_len; ++cur; --n; }
        if (n > 0) {
            cur->iov_base = static_cast<uint8_t*>(cur->iov_base) + left;
            cur->iov_len -= left;
        }
    }
    return true;
}

void shutdown_both(const Socket& s) {
    if (s.valid()) ::shutdown(static_cast<int>(s.handle()), SHUT_RDWR);
}

}  // namespace anarchy::transport::net
