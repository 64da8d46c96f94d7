// Winsock sockets (Windows). The Windows counterpart of socket_posix.cpp, behind the same interface: every
// socket is non-blocking and waits use WSAPoll with explicit timeouts.
#include "transport/socket.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <climits>
#include <cstring>
#include <mutex>

#include "common/log.h"
#include "transport/socket_address.h"

namespace anarchy::transport::net {
namespace {

using Clock = std::chrono::steady_clock;

/// Winsock needs WSAStartup before the first call; done once, never undone (the driver may be unloaded while
/// another part of the program still uses Winsock, and WSACleanup is reference-counted anyway).
bool ensure_winsock(std::string* error) {
    static std::once_flag once;
    static int rc = 0;
    std::call_once(once, [] {
        WSADATA data;
        rc = ::WSAStartup(MAKEWORD(2, 2), &data);
    });
    if (rc != 0 && error) *error = "WSAStartup failed (" + std::to_string(rc) + ")";
    return rc == 0;
}

std::string wsa_text(int err) {
    char* text = nullptr;
    DWORD n = ::FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                               nullptr, static_cast<DWORD>(err), 0, reinterpret_cast<char*>(&text), 0, nullptr);
    std::string out = n && text ? std::string(text, n) : "Winsock error " + std::to_string(err);
    if (text) ::LocalFree(text);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == '.')) out.pop_back();
    return out;
}

SOCKET raw(const Socket& s) { return static_cast<SOCKET>(s.handle()); }

/// WSAPoll on one socket (whole milliseconds: a shorter wait is rounded up). Returns revents, 0 on timeout, -1 on
/// error (WSAGetLastError set). A negative timeout waits forever.
int poll_one(SOCKET s, short events, std::chrono::microseconds timeout) {
    const bool forever = timeout.count() < 0;
    const auto deadline = Clock::now() + (forever ? std::chrono::microseconds(0) : timeout);
    for (;;) {
        WSAPOLLFD p{s, events, 0};
        int ms = -1;
        if (!forever) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
            ms = left.count() < 0 ? 0 : left.count() > INT_MAX ? INT_MAX : static_cast<int>(left.count());
        }
        int r = ::WSAPoll(&p, 1, ms);
        if (r > 0) return p.revents;
        if (r == 0) return 0;
        if (::WSAGetLastError() != WSAEINTR) return -1;
    }
}

bool set_non_blocking(SOCKET s) {
    u_long on = 1;
    return ::ioctlsocket(s, FIONBIO, &on) == 0;
}

void configure_stream(SOCKET s) {
    // As on Linux: no Nagle delay for small commands; keep-alive for links that vanish while idle.
    BOOL one = TRUE;
    if (::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof one) != 0)
        LOG_WARN("transport: TCP_NODELAY failed: %s", wsa_text(::WSAGetLastError()).c_str());
    ::setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, reinterpret_cast<const char*>(&one), sizeof one);
    // Handles are inherited by child processes only when asked; sockets must never be.
    ::SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);
}

struct AddrInfoList {
    addrinfo* head = nullptr;
    ~AddrInfoList() { if (head) ::freeaddrinfo(head); }
};

bool resolve(const std::string& host, uint16_t port, bool passive, AddrInfoList& out, std::string* error) {
    if (!ensure_winsock(error)) return false;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    const std::string service = std::to_string(port);
    int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &out.head);
    if (rc != 0) {
        if (error) *error = "cannot resolve " + format_host_port(host, port) + ": " + wsa_text(rc);
        return false;
    }
    return true;
}

Socket open_socket(const addrinfo* ai, std::string* last) {
    SOCKET s = ::WSASocketW(ai->ai_family, ai->ai_socktype, ai->ai_protocol, nullptr, 0, WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET) {
        *last = wsa_text(::WSAGetLastError());
        return {};
    }
    Socket out(static_cast<NativeSocket>(s));
    if (!set_non_blocking(s)) {
        *last = "cannot make the socket non-blocking: " + wsa_text(::WSAGetLastError());
        return {};
    }
    return out;
}

}  // namespace

void Socket::reset() {
    if (handle_ != kInvalidSocket) ::closesocket(static_cast<SOCKET>(handle_));
    handle_ = kInvalidSocket;
}

Socket connect_tcp(const std::string& host, uint16_t port, std::chrono::milliseconds timeout, std::string* error) {
    const std::string where = format_host_port(host, port);
    AddrInfoList addrs;
    if (!resolve(host, port, false, addrs, error)) return {};
    const auto deadline = Clock::now() + timeout;
    std::string last = "no address";
    for (addrinfo* ai = addrs.head; ai; ai = ai->ai_next) {
        Socket s = open_socket(ai, &last);
        if (!s.valid()) continue;
        if (::connect(raw(s), ai->ai_addr, static_cast<int>(ai->ai_addrlen)) != 0 &&
            ::WSAGetLastError() != WSAEWOULDBLOCK) {
            last = wsa_text(::WSAGetLastError());
            continue;
        }
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        int ev = poll_one(raw(s), POLLWRNORM, left.count() < 0 ? std::chrono::milliseconds(0) : left);
        if (ev == 0) { last = "timed out after " + std::to_string(timeout.count()) + " ms"; break; }
        if (ev < 0) { last = wsa_text(::WSAGetLastError()); continue; }
        int err = 0;
        int len = sizeof err;
        if (::getsockopt(raw(s), SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&err), &len) != 0)
            err = ::WSAGetLastError();
        if (err != 0) { last = wsa_text(err); continue; }
        if (ev & (POLLERR | POLLHUP)) { last = "connection refused"; continue; }
        configure_stream(raw(s));
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
        Socket s = open_socket(ai, &last);
        if (!s.valid()) continue;
        // Windows' SO_REUSEADDR lets another process steal the port; exclusive use is the safe default there.
        BOOL one = TRUE;
        ::setsockopt(raw(s), SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&one), sizeof one);
        if (::bind(raw(s), ai->ai_addr, static_cast<int>(ai->ai_addrlen)) != 0 || ::listen(raw(s), SOMAXCONN) != 0) {
            last = wsa_text(::WSAGetLastError());
            continue;
        }
        return s;
    }
    if (error) *error = "cannot listen on " + where + ": " + last;
    return {};
}

IoStatus accept_tcp(const Socket& listener, Socket& out, std::string* error) {
    SOCKET s = ::accept(raw(listener), nullptr, nullptr);
    if (s != INVALID_SOCKET) {
        set_non_blocking(s);
        configure_stream(s);
        out = Socket(static_cast<NativeSocket>(s));
        return IoStatus::Ok;
    }
    switch (int err = ::WSAGetLastError()) {
    case WSAEWOULDBLOCK: case WSAECONNRESET: case WSAEINTR: return IoStatus::WouldBlock;
    case WSAEINVAL: case WSAENOTSOCK: case WSAESHUTDOWN: return IoStatus::Closed;
    default:
        if (error) *error = "accept failed: " + wsa_text(err);
        return IoStatus::Failed;
    }
}

uint16_t local_port(const Socket& s) {
    sockaddr_storage ss{};
    int len = sizeof ss;
    if (::getsockname(raw(s), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return 0;
}

std::string peer_address(const Socket& s) {
    sockaddr_storage ss{};
    int len = sizeof ss;
    if (::getpeername(raw(s), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    return format_address(reinterpret_cast<const sockaddr*>(&ss));
}

WaitStatus wait_readable(const Socket& s, std::chrono::microseconds timeout, std::string* error) {
    int ev = poll_one(raw(s), POLLRDNORM, timeout.count() < 0 ? std::chrono::microseconds(0) : timeout);
    if (ev > 0) return WaitStatus::Ready;  // POLLHUP/POLLERR/POLLNVAL too: the next read reports them
    if (ev == 0) return WaitStatus::Timeout;
    if (error) *error = "WSAPoll failed: " + wsa_text(::WSAGetLastError());
    return WaitStatus::Failed;
}

IoStatus read_some(const Socket& s, void* dst, size_t cap, size_t* got, std::string* error) {
    *got = 0;
    int want = cap > INT_MAX ? INT_MAX : static_cast<int>(cap);
    for (;;) {
        int n = ::recv(raw(s), static_cast<char*>(dst), want, 0);
        if (n > 0) { *got = static_cast<size_t>(n); return IoStatus::Ok; }
        if (n == 0) return IoStatus::Closed;
        int err = ::WSAGetLastError();
        if (err == WSAEINTR) continue;
        if (err == WSAEWOULDBLOCK) return IoStatus::WouldBlock;
        // A reset or a socket shut down by close() ends the stream, as on Linux.
        if (err == WSAECONNRESET || err == WSAECONNABORTED || err == WSAESHUTDOWN || err == WSAENOTSOCK)
            return IoStatus::Closed;
        if (error) *error = "receive failed: " + wsa_text(err);
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
    WSABUF wb[kMaxBuffers];
    DWORD n = 0;
    for (size_t i = 0; i < count; ++i) {
        if (!bufs[i].size) continue;
        if (bufs[i].size > ULONG_MAX) {
            if (error) *error = "a buffer larger than 4 GiB in one write";
            return false;
        }
        wb[n].buf = static_cast<char*>(const_cast<void*>(bufs[i].data));
        wb[n].len = static_cast<ULONG>(bufs[i].size);
        ++n;
    }
    WSABUF* cur = wb;
    while (n > 0) {
        DWORD sent = 0;
        if (::WSASend(raw(s), cur, n, &sent, 0, nullptr, nullptr) != 0) {
            int err = ::WSAGetLastError();
            if (err == WSAEINTR) continue;
            if (err != WSAEWOULDBLOCK) {
                if (error) *error = "send failed: " + wsa_text(err);
                return false;
            }
            int ev = poll_one(raw(s), POLLWRNORM, stall_limit.count() > 0 ? stall_limit : std::chrono::milliseconds(-1));
            if (ev == 0) {
                if (error) *error = "the peer accepted no data for " + std::to_string(stall_limit.count()) +
                                    " ms (peer dead or not reading?)";
                return false;
            }
            if (ev < 0) {
                if (error) *error = "WSAPoll failed: " + wsa_text(::WSAGetLastError());
                return false;
            }
            continue;  // writable, or an error the next WSASend reports
        }
        size_t left = sent;
        while (n > 0 && left >= cur->len) { left -= cur->len; ++cur; --n; }
        if (n > 0) {
            cur->buf += left;
            cur->len -= static_cast<ULONG>(left);
        }
    }
    return true;
}

void shutdown_both(const Socket& s) {
    if (s.valid()) ::shutdown(raw(s), SD_BOTH);
}

}  // namespace anarchy::transport::net
