// Helpers shared by the transport tests: loopback connection pairs, a raw socket peer that speaks no protocol,
// and deterministic payloads.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "transport/connection.h"
#include "transport/socket.h"

namespace anarchy::transport::test {

using namespace std::chrono_literals;

/// A client and the server side of the same loopback connection, plus the test's helper threads.
struct Pair {
    std::unique_ptr<Listener> listener;
    std::unique_ptr<Connection> client, server;
    std::vector<std::thread> threads;

    Pair() = default;
    Pair(Pair&&) = default;
    /// Closing first unblocks helpers stuck in send when a failed assertion left the test early.
    ~Pair() {
        if (client) client->close();
        if (server) server->close();
        join();
    }
    void join() {
        for (auto& t : threads)
            if (t.joinable()) t.join();
    }
};

/// Connects a client to a fresh listener on 127.0.0.1; check both pointers before use. Unless handshake_limit,
/// both sides take full-sized frames at once, as after a handshake.
inline Pair connect_pair(const ConnectionOptions& client_options = {}, const ConnectionOptions& server_options = {},
                         bool handshake_limit = false) {
    Pair p;
    std::string error;
    p.listener = tcp_listen("127.0.0.1:0", server_options, &error);
    EXPECT_TRUE(p.listener) << error;
    if (!p.listener) return p;
    std::string accept_error;
    std::thread t([&] { p.server = p.listener->accept(&accept_error); });
    p.client = tcp_connect("127.0.0.1:" + std::to_string(p.listener->port()), 10s, client_options, &error);
    EXPECT_TRUE(p.client) << error;
    if (!p.client) p.listener->close();
    t.join();
    EXPECT_TRUE(p.server) << accept_error;
    if (!handshake_limit && p.client) p.client->lift_handshake_limit();
    if (!handshake_limit && p.server) p.server->lift_handshake_limit();
    return p;
}

/// A listening socket with none of the protocol: accepts and then does only what the test says.
struct RawServer {
    net::Socket listener;
    uint16_t port = 0;

    RawServer() {
        std::string error;
        listener = net::listen_tcp("127.0.0.1", 0, &error);
        EXPECT_TRUE(listener.valid()) << error;
        port = net::local_port(listener);
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port); }
    /// Waits (up to 10 s) for one connection.
    net::Socket accept() {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (net::wait_readable(listener, 100ms, nullptr) != net::WaitStatus::Ready) continue;
            net::Socket s;
            if (net::accept_tcp(listener, s, nullptr) == net::IoStatus::Ok) return s;
        }
        ADD_FAILURE() << "no connection arrived";
        return {};
    }
};

/// Writes raw bytes to a socket.
inline bool raw_write(const net::Socket& s, const std::vector<uint8_t>& bytes) {
    net::Buffer b{bytes.data(), bytes.size()};
    std::string error;
    bool ok = net::write_all(s, &b, 1, 10s, &error);
    EXPECT_TRUE(ok) << error;
    return ok;
}

/// Bytes LZ4 cannot shrink.
inline std::vector<uint8_t> random_bytes(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = rng();
        for (size_t j = 0; j < 8 && i + j < n; ++j) v[i + j] = uint8_t(x >> (8 * j));
    }
    return v;
}

/// Bytes LZ4 shrinks a lot, but not trivially (not one repeated byte).
inline std::vector<uint8_t> compressible_bytes(size_t n, uint64_t seed) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = uint8_t((i / 64 + seed) % 7 == 0 ? (i * 31 + seed) : (i % 16));
    return v;
}

}  // namespace anarchy::transport::test
