// Measures Anarchy's blocking round trip (a synchronous command through the server's session loop) against a raw
// TCP ping-pong of the same size on the same machine, side by side in one run. Prints p50/p99 and the ratio.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>
#include <string>
#include <vector>

#include "protocol/messages.h"
#include "protocol/wire_encoder.h"
#include "server/server.h"
#include "transport/connection.h"
#include "transport/handshake.h"
#include "vk_schema_autogen.h"

using Clock = std::chrono::steady_clock;

static double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(p * (v.size() - 1))];
}

/// Reads exactly n bytes; false when the peer closed.
static bool read_exactly(int fd, uint8_t* p, size_t n) {
    while (n > 0) {
        ssize_t got = read(fd, p, n);
        if (got <= 0) return false;
        p += got;
        n -= static_cast<size_t>(got);
    }
    return true;
}

static bool write_all(int fd, const uint8_t* p, size_t n) {
    while (n > 0) {
        ssize_t put = write(fd, p, n);
        if (put <= 0) return false;
        p += put;
        n -= static_cast<size_t>(put);
    }
    return true;
}

/// A raw TCP exchange over loopback: `up` bytes one way, `down` bytes back once they all arrived (24 and 24: a
/// ping-pong the size of a small command; a MiB and 24: what moving a MiB of writes and hearing back costs at the
/// least on this machine's loopback, without Vulkan, copies of ours or framing).
static std::vector<double> raw_tcp(int iterations, size_t up = 24, size_t down = 24) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(ls, 1);
    socklen_t len = sizeof a;
    getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len);
    std::thread echo([ls, up, down]() {
        int c = accept(ls, nullptr, nullptr);
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::vector<uint8_t> in(up), out(down);
        while (read_exactly(c, in.data(), up) && write_all(c, out.data(), down)) {
        }
        close(c);
    });
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    std::vector<double> us;
    std::vector<uint8_t> msg(up, 1), back(down);
    for (int i = 0; i < iterations; ++i) {
        auto t0 = Clock::now();
        if (!write_all(s, msg.data(), up) || !read_exactly(s, back.data(), down)) break;
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    close(s);
    echo.join();
    close(ls);
    return us;
}

static std::vector<double> anarchy_sync(const std::string& address, int iterations) {
    std::string err;
    auto c = anarchy::transport::tcp_connect(address, std::chrono::milliseconds(3000), {}, &err);
    anarchy::transport::PeerInfo mine, theirs;
    mine.schema_hash = anarchy::protocol::kSchemaHash;
    mine.software = "anarchy bench";
    mine.role = "vulkan";
    if (!c || !anarchy::transport::client_handshake(*c, mine, &theirs, &err)) {
        std::fprintf(stderr, "bench: %s\n", err.c_str());
        return {};
    }
    std::vector<double> us;
    for (int i = 0; i < iterations; ++i) {
        anarchy::protocol::WireEncoder e;
        e.u32(static_cast<uint32_t>(anarchy::protocol::CustomCommand::Ping) | anarchy::protocol::kWantsReply);
        e.u32(4);
        e.u32(static_cast<uint32_t>(i));
        auto t0 = Clock::now();
        c->send(anarchy::transport::FrameType::Commands, e.bytes());
        anarchy::transport::Frame f;
        if (!c->receive(f, std::chrono::milliseconds(5000), &err)) break;
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    c->send(anarchy::transport::FrameType::Bye, nullptr, 0);
    return us;
}

int main(int argc, char** argv) {
    int iterations = argc > 1 ? std::atoi(argv[1]) : 20000;
    anarchy::server::ServerOptions so;
    so.listen = "127.0.0.1:0";
    // Sessions run in worker processes of the `anarchy` program (`anarchy serve-worker`), not of this one: the
    // build's, one folder up (build/bench/.. = build). Without it they run on threads of this process.
    const std::string self = argv[0];
    const size_t slash = self.rfind('/');
    const std::string anarchy_path = (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/../anarchy";
    if (access(anarchy_path.c_str(), X_OK) == 0) {
        so.worker_executable = anarchy_path;
        std::printf("sessions in worker processes of %s\n", anarchy_path.c_str());
    } else {
        so.session_mode = anarchy::server::SessionMode::Thread;
        std::printf("sessions on threads of this process (%s not found)\n", anarchy_path.c_str());
    }
    anarchy::server::Server srv(so);
    std::string err;
    if (!srv.start(&err)) {
        std::fprintf(stderr, "bench: %s\n", err.c_str());
        return 1;
    }
    srv.serve_in_background();
    std::string address = "127.0.0.1:" + std::to_string(srv.port());
    // Interleave the two in rounds so machine noise hits both alike.
    std::vector<double> raw, ours;
    for (int round = 0; round < 4; ++round) {
        auto r = raw_tcp(iterations / 4);
        auto o = anarchy_sync(address, iterations / 4);
        raw.insert(raw.end(), r.begin(), r.end());
        ours.insert(ours.end(), o.begin(), o.end());
    }
    srv.stop();
    if (raw.empty() || ours.empty()) return 1;
    std::printf("round trip over loopback, %zu samples each (microseconds)\n", raw.size());
    std::printf("  raw TCP ping-pong      p50 %7.1f  p99 %7.1f\n", pct(raw, 0.5), pct(raw, 0.99));
    std::printf("  anarchy sync command   p50 %7.1f  p99 %7.1f\n", pct(ours, 0.5), pct(ours, 0.99));
    std::printf("  ratio (p50)            %.2fx\n", pct(ours, 0.5) / pct(raw, 0.5));
    // The least a MiB written (or read) per frame can add over loopback: the MiB across and an answer back.
    constexpr size_t kMiB = size_t(1) << 20;
    const int big = std::max(50, iterations / 20);
    auto mib_up = raw_tcp(big, kMiB, 24), mib_down = raw_tcp(big, 24, kMiB);
    if (!mib_up.empty() && !mib_down.empty()) {
        std::printf("  raw TCP 1 MiB up, 24 B back    p50 %7.1f  p99 %7.1f\n", pct(mib_up, 0.5), pct(mib_up, 0.99));
        std::printf("  raw TCP 24 B up, 1 MiB back    p50 %7.1f  p99 %7.1f\n", pct(mib_down, 0.5), pct(mib_down, 0.99));
    }
    return 0;
}
