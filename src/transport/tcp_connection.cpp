// Connection and Listener over TCP: framing, compression, heartbeats and the dead-peer check. OS calls go
// through socket.h.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "common/thread_name.h"
#include "transport/connection.h"
#include "transport/frame_codec.h"
#include "transport/socket.h"

namespace anarchy::transport {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::microseconds;

constexpr size_t kReadChunk = 64 * 1024;
// After a large frame the receive buffer is released rather than kept at its peak size.
// A read buffer up to this size is kept between frames: growing one again zero-fills and faults in every page,
// which costs more than the copy it feeds when a session sends MiB-sized writes each frame.
constexpr size_t kKeepReadBuffer = size_t(16) << 20;
// How often a blocked accept() rechecks for close(), in case shutdown() does not wake it on this OS.
constexpr milliseconds kAcceptSlice{250};

bool set_error(std::string* error, std::string text) {
    if (error) *error = std::move(text);
    return false;
}

int64_t ticks(Clock::time_point t) { return t.time_since_epoch().count(); }
Clock::time_point from_ticks(int64_t n) { return Clock::time_point(Clock::duration(n)); }

class TcpConnection final : public Connection {
public:
    /// `unread`: bytes already read from the socket by a previous owner (tcp_adopt); `handshake_done`: that owner
    /// completed the handshake, so frames of any size up to max_frame_bytes are accepted from the start.
    TcpConnection(net::Socket socket, std::string peer, const ConnectionOptions& options,
                  std::vector<uint8_t> unread = {}, bool handshake_done = false)
        : sock_(std::move(socket)), peer_(std::move(peer)), opts_(options),
          receive_limit_(handshake_done ? options.max_frame_bytes
                                        : std::min(options.max_frame_bytes, options.max_frame_bytes_before_handshake)),
          rbuf_(std::move(unread)) {
        rend_ = rbuf_.size();
        last_send_ = last_recv_ = ticks(Clock::now());
        if (const char* dir = std::getenv("ANARCHY_RECORD_DIR"); dir && *dir) record_to(dir);
        if (opts_.heartbeat_interval.count() > 0) heartbeat_ = std::thread([this] {
            set_thread_name("anarchy-beat");
            heartbeat_loop();
        });
    }
    ~TcpConnection() override {
        close();
        if (record_) std::fclose(record_);
    }

    bool send(FrameType type, const uint8_t* data, size_t size, std::string* error) override {
        return send_frame(type, data, size, nullptr, 0, error);
    }
    bool send_parts(FrameType type, const uint8_t* a, size_t an, const uint8_t* b, size_t bn,
                    std::string* error) override {
        return send_frame(type, a, an, b, bn, error);
    }
    bool receive(Frame& out, microseconds timeout, std::string* error, bool* timed_out) override;
    void close() override {
        fail("connection to " + peer_ + " was closed locally");
        std::lock_guard lock(join_mu_);
        if (heartbeat_.joinable()) heartbeat_.join();
    }
    bool is_open() const override { return open_; }
    std::string peer() const override { return peer_; }
    void lift_handshake_limit() override { receive_limit_ = opts_.max_frame_bytes; }
    ConnectionStats stats() const override {
        ConnectionStats s;
        s.frames_sent = frames_sent_;
        s.frames_received = frames_received_;
        s.bytes_sent = bytes_sent_;
        s.bytes_received = bytes_received_;
        s.payload_bytes_sent = payload_bytes_sent_;
        s.compressed_frames = compressed_frames_;
        s.heartbeats_sent = heartbeats_sent_;
        s.heartbeats_received = heartbeats_received_;
        return s;
    }

    /// See tcp_detach.
    bool detach(DetachedSocket& out, std::string* error);

private:
    bool send_frame(FrameType type, const uint8_t* a, size_t an, const uint8_t* b, size_t bn, std::string* error);
    void heartbeat_loop();
    /// Marks the link broken (the first reason sticks), wakes every blocked call; returns the reason that stuck.
    std::string fail(std::string reason);
    std::string reason() const {
        std::lock_guard lock(reason_mu_);
        return reason_;
    }
    /// Makes room for at least want more bytes after rend_.
    void reserve_read(size_t want);
    /// Starts writing every frame this side sends, as it goes on the wire, to a new file in dir.
    void record_to(const std::string& dir);

    net::Socket sock_;  // closed only by the destructor, so no call can race with descriptor reuse
    const std::string peer_;
    const ConnectionOptions opts_;
    std::atomic<size_t> receive_limit_;  ///< largest frame accepted now (small until the handshake)
    std::FILE* record_ = nullptr;        ///< ANARCHY_RECORD_DIR: sent frames are appended here; under send_mu_
    std::atomic<bool> open_{true};
    std::atomic<int64_t> last_send_, last_recv_;  // steady-clock ticks

    mutable std::mutex reason_mu_;
    std::string reason_;  // guarded by reason_mu_; why the link is down

    std::mutex send_mu_;  // held for a whole frame so that frames from several threads never interleave

    std::mutex recv_mu_;  // one reader at a time; guards rbuf_, rbegin_, rend_
    std::vector<uint8_t> rbuf_;
    size_t rbegin_ = 0, rend_ = 0;  // unconsumed bytes are rbuf_[rbegin_, rend_)

    std::mutex hb_mu_;  // guards stop_
    std::condition_variable hb_cv_;
    bool stop_ = false;
    std::mutex join_mu_;  // close() may run on several threads; one joins
    std::thread heartbeat_;

    std::atomic<uint64_t> frames_sent_{0}, frames_received_{0}, bytes_sent_{0}, bytes_received_{0},
        payload_bytes_sent_{0}, compressed_frames_{0}, heartbeats_sent_{0}, heartbeats_received_{0};
    /// Large payloads still to send uncompressed after one that did not shrink.
    static constexpr int kSkipAfterIncompressible = 8;
    std::atomic<int> skip_compression_{0};
};

std::string TcpConnection::fail(std::string reason) {
    {
        std::lock_guard lock(reason_mu_);
        if (!reason_.empty()) return reason_;
        reason_ = std::move(reason);
        LOG_DEBUG("transport", "%s", reason_.c_str());
        reason = reason_;
    }
    open_ = false;
    net::shutdown_both(sock_);
    {
        std::lock_guard lock(hb_mu_);
        stop_ = true;
    }
    hb_cv_.notify_all();
    return reason;
}

bool TcpConnection::send_frame(FrameType type, const uint8_t* a, size_t an, const uint8_t* b, size_t bn,
                               std::string* error) {
    const size_t size = an + bn;
    if (size > opts_.max_frame_bytes || size > UINT32_MAX)
        return set_error(error, "frame of " + std::to_string(size) + " bytes exceeds the limit of " +
                                    std::to_string(std::min<size_t>(opts_.max_frame_bytes, UINT32_MAX)));

    // Compress before taking the lock, so that threads sending large payloads compress in parallel.
    std::vector<uint8_t> joined, packed;
    bool compressed = false;
    // Payloads that did not shrink (encoded video, random bytes) make the next few large ones skip the attempt:
    // trying LZ4 on a MiB that will not shrink costs about as much as sending it over a local link.
    bool try_compress = size > 0 && size >= opts_.compress_threshold;
    if (try_compress && skip_compression_.load(std::memory_order_relaxed) > 0) {
        skip_compression_.fetch_sub(1, std::memory_order_relaxed);
        try_compress = false;
    }
    if (try_compress) {
        const uint8_t* src = an ? a : b;
        if (an && bn) {
            joined.reserve(size);
            joined.insert(joined.end(), a, a + an);
            joined.insert(joined.end(), b, b + bn);
            src = joined.data();
        }
        compressed = compress_payload(src, size, packed);
        if (!compressed) skip_compression_.store(kSkipAfterIncompressible, std::memory_order_relaxed);
    }

    FrameHeader h;
    h.length = static_cast<uint32_t>(compressed ? packed.size() : size);
    h.type = static_cast<uint16_t>(type);
    h.flags = compressed ? kFlagLz4 : 0;
    uint8_t header[kFrameHeaderBytes];
    encode_frame_header(h, header);
    net::Buffer bufs[3] = {{header, sizeof header}, {a, an}, {b, bn}};
    if (compressed) {
        bufs[1] = {packed.data(), packed.size()};
        bufs[2] = {nullptr, 0};
    }

    std::lock_guard lock(send_mu_);
    if (!open_) return set_error(error, reason());
    std::string why;
    // A peer that takes nothing for dead_after is as good as dead (decision 13: never hang the program).
    if (!net::write_all(sock_, bufs, 3, opts_.dead_after, &why))
        return set_error(error, fail("sending to " + peer_ + " failed: " + why));
    if (record_ && type != FrameType::Ping) {
        for (const net::Buffer& b : bufs)
            if (b.size) std::fwrite(b.data, 1, b.size, record_);
        std::fflush(record_);
    }
    last_send_ = ticks(Clock::now());
    bytes_sent_ += kFrameHeaderBytes + h.length;
    if (type == FrameType::Ping) {
        ++heartbeats_sent_;
    } else {
        ++frames_sent_;
        payload_bytes_sent_ += size;
        if (compressed) ++compressed_frames_;
    }
    return true;
}

bool TcpConnection::detach(DetachedSocket& out, std::string* error) {
    {
        // Once a reason is set, fail() (and so close() and the destructor) leave the socket alone.
        std::lock_guard lock(reason_mu_);
        if (!reason_.empty()) return set_error(error, reason_);
        reason_ = "connection to " + peer_ + " was handed over";
    }
    open_ = false;
    {
        std::lock_guard lock(hb_mu_);
        stop_ = true;
    }
    hb_cv_.notify_all();
    {
        std::lock_guard lock(join_mu_);
        if (heartbeat_.joinable()) heartbeat_.join();
    }
    // No frame is half written or half read past this point.
    std::scoped_lock lock(send_mu_, recv_mu_);
    out.unread.assign(rbuf_.begin() + static_cast<ptrdiff_t>(rbegin_), rbuf_.begin() + static_cast<ptrdiff_t>(rend_));
    rbegin_ = rend_ = 0;
    out.peer = peer_;
    out.handle = sock_.release();
    return true;
}

void TcpConnection::reserve_read(size_t want) {
    want = std::max(want, kReadChunk);
    if (rbegin_ == rend_) rbegin_ = rend_ = 0;
    if (rbuf_.size() - rend_ >= want) return;
    if (rbegin_ > 0) {
        std::memmove(rbuf_.data(), rbuf_.data() + rbegin_, rend_ - rbegin_);
        rend_ -= rbegin_;
        rbegin_ = 0;
    }
    if (rbuf_.size() - rend_ < want) rbuf_.resize(rend_ + want);
}

bool TcpConnection::receive(Frame& out, microseconds timeout, std::string* error, bool* timed_out) {
    if (timed_out) *timed_out = false;
    std::lock_guard lock(recv_mu_);
    const auto deadline = Clock::now() + std::max(timeout, microseconds(0));
    const bool dead_check = opts_.dead_after.count() > 0;
    for (;;) {
        if (!open_) return set_error(error, reason());

        // Buffered frames go first: what the peer sent before closing is still delivered.
        const size_t avail = rend_ - rbegin_;
        size_t need = kFrameHeaderBytes;
        if (avail >= kFrameHeaderBytes) {
            const FrameHeader h = decode_frame_header(rbuf_.data() + rbegin_);
            std::string why;
            const size_t limit = receive_limit_;
            if (!check_frame_header(h, limit, &why))
                return set_error(error, fail("bad frame from " + peer_ + ": " + why));
            need = kFrameHeaderBytes + h.length;
            if (avail >= need) {
                if (!decode_payload(h, rbuf_.data() + rbegin_ + kFrameHeaderBytes, limit, out.payload, &why))
                    return set_error(error, fail("bad frame from " + peer_ + ": " + why));
                rbegin_ += need;
                if (rbegin_ == rend_ && rbuf_.size() > kKeepReadBuffer) {
                    std::vector<uint8_t>().swap(rbuf_);
                    rbegin_ = rend_ = 0;
                }
                if (h.type == static_cast<uint16_t>(FrameType::Ping)) {
                    ++heartbeats_received_;
                    continue;
                }
                ++frames_received_;
                out.type = static_cast<FrameType>(h.type);
                return true;
            }
        }

        // Wake for the caller's deadline or for the dead-peer limit, whichever comes first, so that a long
        // timeout cannot hide a dead peer.
        const auto last = from_ticks(last_recv_);
        auto until = deadline;
        if (dead_check) until = std::min(until, last + opts_.dead_after);
        const auto wait = std::max(std::chrono::ceil<microseconds>(until - Clock::now()), microseconds(0));
        std::string why;
        const net::WaitStatus w = net::wait_readable(sock_, wait, &why);
        if (w == net::WaitStatus::Failed)
            return set_error(error, fail("receiving from " + peer_ + " failed: " + why));
        if (w == net::WaitStatus::Timeout) {
            const auto now = Clock::now();
            if (dead_check && now - last >= opts_.dead_after) {
                const auto silent = std::chrono::duration_cast<milliseconds>(now - last).count();
                return set_error(error, fail("no data from " + peer_ + " for " + std::to_string(silent) +
                                             " ms (peer dead?)"));
            }
            if (now >= deadline) {
                if (timed_out) *timed_out = true;
                return set_error(error, "timed out after " + std::to_string(timeout.count()) +
                                            " ms waiting for a frame from " + peer_);
            }
            continue;
        }

        // The buffer grows with what has arrived (at most doubling), never to what a header merely claims: a peer
        // that announces 1 GiB and sends 10 bytes costs 64 KiB, not 1 GiB of zeroed pages.
        reserve_read(std::min(need - avail, std::max(kReadChunk, avail)));
        size_t got = 0;
        switch (net::read_some(sock_, rbuf_.data() + rend_, rbuf_.size() - rend_, &got, &why)) {
        case net::IoStatus::Ok:
            rend_ += got;
            bytes_received_ += got;
            last_recv_ = ticks(Clock::now());
            break;
        case net::IoStatus::WouldBlock: break;
        case net::IoStatus::Closed:
            return set_error(error, fail(avail ? peer_ + " closed the connection in the middle of a frame"
                                               : peer_ + " closed the connection"));
        case net::IoStatus::Failed:
            return set_error(error, fail("receiving from " + peer_ + " failed: " + why));
        }
    }
}

void TcpConnection::record_to(const std::string& dir) {
    // One file per connection (a program has a command and a video connection); the fuzzers read them as seeds.
    static std::atomic<unsigned> counter{0};
    const auto now = std::chrono::system_clock::now().time_since_epoch().count();
    const std::string path = dir + "/session-" + std::to_string(now) + "-" + std::to_string(counter++) + ".frames";
    record_ = std::fopen(path.c_str(), "wb");
    if (!record_) LOG_WARN("ANARCHY_RECORD_DIR: cannot write %s", path.c_str());
}

void TcpConnection::heartbeat_loop() {
    std::unique_lock lock(hb_mu_);
    while (!stop_) {
        const auto idle = Clock::now() - from_ticks(last_send_);
        if (idle < opts_.heartbeat_interval) {
            hb_cv_.wait_for(lock, opts_.heartbeat_interval - idle);
            continue;
        }
        lock.unlock();
        const bool ok = send_frame(FrameType::Ping, nullptr, 0, nullptr, 0, nullptr);
        lock.lock();
        if (!ok) break;  // send_frame marked the link broken
    }
}

class TcpListener final : public Listener {
public:
    TcpListener(net::Socket socket, std::string where, const ConnectionOptions& options)
        : sock_(std::move(socket)), where_(std::move(where)), opts_(options) {}
    ~TcpListener() override { close(); }

    std::unique_ptr<Connection> accept(std::string* error) override {
        std::string why;
        while (!closed_) {
            const net::WaitStatus w = net::wait_readable(sock_, kAcceptSlice, &why);
            if (w == net::WaitStatus::Timeout) continue;
            net::Socket s;
            const net::IoStatus st = w == net::WaitStatus::Failed ? net::IoStatus::Failed : net::accept_tcp(sock_, s, &why);
            if (st == net::IoStatus::Failed) {
                set_error(error, "listening on " + where_ + ": " + why);
                return nullptr;
            }
            if (st != net::IoStatus::Ok) continue;  // spurious wake-up, or closed (the loop checks)
            std::string peer = net::peer_address(s);
            return std::make_unique<TcpConnection>(std::move(s), peer.empty() ? "unknown peer" : peer, opts_);
        }
        set_error(error, "listener on " + where_ + " was closed");
        return nullptr;
    }
    void close() override {
        closed_ = true;
        net::shutdown_both(sock_);
    }
    uint16_t port() const override { return net::local_port(sock_); }

private:
    net::Socket sock_;
    const std::string where_;
    const ConnectionOptions opts_;
    std::atomic<bool> closed_{false};
};

}  // namespace

bool parse_address(const std::string& text, std::string& host, uint16_t& port, std::string* error) {
    auto bad = [&](const std::string& why) {
        return set_error(error, "bad address '" + text + "': " + why + " (expected HOST:PORT or [IPv6]:PORT)");
    };
    std::string h, p;
    if (!text.empty() && text[0] == '[') {
        const size_t close = text.find(']');
        if (close == std::string::npos) return bad("missing ']'");
        h = text.substr(1, close - 1);
        if (close + 1 >= text.size() || text[close + 1] != ':') return bad("missing port");
        p = text.substr(close + 2);
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string::npos) return bad("missing port");
        h = text.substr(0, colon);
        if (h.find(':') != std::string::npos) return bad("an IPv6 address needs brackets");
        p = text.substr(colon + 1);
    }
    if (h.empty()) return bad("missing host");
    if (p.empty()) return bad("missing port");
    if (!std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return bad("port '" + p + "' is not a number");
    if (p.size() > 5 || std::stoul(p) > 65535) return bad("port " + p + " is out of range (0-65535)");
    host = h;
    port = static_cast<uint16_t>(std::stoul(p));
    return true;
}

std::unique_ptr<Connection> tcp_connect(const std::string& address, milliseconds timeout,
                                        const ConnectionOptions& options, std::string* error) {
    std::string host;
    uint16_t port = 0;
    if (!parse_address(address, host, port, error)) return nullptr;
    net::Socket s = net::connect_tcp(host, port, timeout, error);
    if (!s.valid()) return nullptr;
    std::string peer = net::peer_address(s);
    return std::make_unique<TcpConnection>(std::move(s), peer.empty() ? address : peer, options);
}

bool tcp_detach(Connection& c, DetachedSocket* out, std::string* error) {
    auto* tcp = dynamic_cast<TcpConnection*>(&c);
    if (!tcp) return set_error(error, "not a TCP connection");
    return tcp->detach(*out, error);
}

std::unique_ptr<Connection> tcp_adopt(DetachedSocket socket, const ConnectionOptions& options) {
    net::Socket s(socket.handle);
    // Sockets are handed over after the handshake (the server gives a client's socket to its session's worker).
    return std::make_unique<TcpConnection>(std::move(s), std::move(socket.peer), options, std::move(socket.unread),
                                           true);
}

std::unique_ptr<Listener> tcp_listen(const std::string& address, const ConnectionOptions& options,
                                     std::string* error) {
    std::string host;
    uint16_t port = 0;
    if (!parse_address(address, host, port, error)) return nullptr;
    net::Socket s = net::listen_tcp(host, port, error);
    if (!s.valid()) return nullptr;
    return std::make_unique<TcpListener>(std::move(s), address, options);
}

}  // namespace anarchy::transport
