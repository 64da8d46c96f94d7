#include <atomic>
#include <cstring>

#include "test_support.h"
#include "transport/frame_codec.h"

namespace anarchy::transport::test {
namespace {

using Clock = std::chrono::steady_clock;

// Upper bounds only guard against hangs; a slow machine must never fail these tests.
constexpr auto kPrompt = 5s;

struct Sent {
    FrameType type;
    std::vector<uint8_t> payload;
};

std::vector<Sent> mixed_sequence(uint64_t seed) {
    return {
        {FrameType::Commands, {'h', 'i'}},
        {FrameType::Reply, {}},
        {FrameType::Commands, compressible_bytes(8 << 20, seed)},
        {FrameType::Control, random_bytes(100, seed)},
        {FrameType::Video, random_bytes(6 << 20, seed)},
        {FrameType::Commands, compressible_bytes(5000, seed)},
        {FrameType::Bye, {'b', 'y', 'e'}},
    };
}

void expect_receives(Connection& c, const std::vector<Sent>& expected) {
    for (size_t i = 0; i < expected.size(); ++i) {
        Frame f;
        std::string error;
        ASSERT_TRUE(c.receive(f, 30s, &error)) << "frame " << i << ": " << error;
        EXPECT_EQ(f.type, expected[i].type) << "frame " << i;
        EXPECT_TRUE(f.payload == expected[i].payload) << "frame " << i << " differs (" << f.payload.size()
                                                      << " bytes, expected " << expected[i].payload.size() << ")";
    }
}

TEST(TcpConnection, SmallAndLargeFramesArriveIntactAndInOrderBothWays) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    const auto up = mixed_sequence(1), down = mixed_sequence(2);
    // Large frames need the peer to read while they are written, so senders get threads of their own.
    p.threads.emplace_back([&] { for (auto& s : up) EXPECT_TRUE(p.client->send(s.type, s.payload)); });
    p.threads.emplace_back([&] { for (auto& s : down) EXPECT_TRUE(p.server->send(s.type, s.payload)); });
    expect_receives(*p.server, up);
    expect_receives(*p.client, down);
    p.join();
    EXPECT_EQ(p.client->stats().frames_sent, up.size());
    EXPECT_EQ(p.server->stats().frames_received, up.size());
}

TEST(TcpConnection, SendPartsJoinsThePartsIntoOnePayload) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    const std::vector<uint8_t> head = {1, 2, 3, 4}, body = compressible_bytes(1 << 20, 3);
    std::vector<uint8_t> joined = head;
    joined.insert(joined.end(), body.begin(), body.end());
    p.threads.emplace_back([&] {
        EXPECT_TRUE(p.client->send_parts(FrameType::Commands, head.data(), head.size(), body.data(), body.size()));
        EXPECT_TRUE(p.client->send_parts(FrameType::Commands, head.data(), head.size(), nullptr, 0));
        EXPECT_TRUE(p.client->send_parts(FrameType::Commands, nullptr, 0, body.data(), body.size()));
    });
    expect_receives(*p.server, {{FrameType::Commands, joined}, {FrameType::Commands, head}, {FrameType::Commands, body}});
    p.join();
    EXPECT_EQ(p.client->stats().compressed_frames, 2u);
}

std::vector<uint8_t> thread_payload(uint32_t thread, uint32_t seq) {
    const uint64_t seed = uint64_t(thread) << 32 | seq;
    std::vector<uint8_t> v = seq % 5 == 0 ? compressible_bytes(20000 + seq, seed) : random_bytes(8 + (seed * 2654435761u) % 3000, seed);
    std::memcpy(v.data(), &thread, 4);
    std::memcpy(v.data() + 4, &seq, 4);
    return v;
}

TEST(TcpConnection, ConcurrentSendersNeverInterleaveFrames) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    constexpr uint32_t kThreads = 8, kFrames = 300;
    for (uint32_t t = 0; t < kThreads; ++t)
        p.threads.emplace_back([&, t] {
            for (uint32_t s = 0; s < kFrames; ++s) {
                const auto v = thread_payload(t, s);
                if (s % 2) {
                    ASSERT_TRUE(p.client->send(FrameType::Commands, v));
                } else {
                    ASSERT_TRUE(p.client->send_parts(FrameType::Commands, v.data(), 8, v.data() + 8, v.size() - 8));
                }
            }
        });
    std::vector<uint32_t> next(kThreads, 0);
    for (uint32_t i = 0; i < kThreads * kFrames; ++i) {
        Frame f;
        std::string error;
        ASSERT_TRUE(p.server->receive(f, 30s, &error)) << error;
        ASSERT_GE(f.payload.size(), 8u);
        uint32_t t = 0, s = 0;
        std::memcpy(&t, f.payload.data(), 4);
        std::memcpy(&s, f.payload.data() + 4, 4);
        ASSERT_LT(t, kThreads);
        ASSERT_EQ(s, next[t]) << "thread " << t << " frames out of order";
        ASSERT_TRUE(f.payload == thread_payload(t, s)) << "frame " << s << " of thread " << t << " corrupted";
        ++next[t];
    }
    p.join();
    EXPECT_GT(p.client->stats().compressed_frames, 0u);
}

TEST(TcpConnection, VideoChannelNeverCompressesOnEitherEnd) {
    // As the server hands a client's video channel to its session: detached after accept, adopted with the video
    // options. Frames are compressed by their codec already, so a payload LZ4 would shrink still travels whole.
    Pair p = connect_pair(video_connection_options());
    ASSERT_TRUE(p.client && p.server);
    DetachedSocket detached;
    std::string error;
    ASSERT_TRUE(tcp_detach(*p.server, &detached, &error)) << error;
    p.server = tcp_adopt(std::move(detached), video_connection_options());
    const std::vector<Sent> frames = {{FrameType::Video, compressible_bytes(1 << 20, 7)}};
    p.threads.emplace_back([&] { for (auto& f : frames) EXPECT_TRUE(p.server->send(f.type, f.payload)); });
    expect_receives(*p.client, frames);
    p.threads.emplace_back([&] { for (auto& f : frames) EXPECT_TRUE(p.client->send(f.type, f.payload)); });
    expect_receives(*p.server, frames);
    p.join();
    EXPECT_EQ(p.server->stats().compressed_frames, 0u);
    EXPECT_EQ(p.client->stats().compressed_frames, 0u);
    EXPECT_GT(p.server->stats().bytes_sent, 1u << 20);
}

TEST(TcpConnection, CompressesOnlyWhenItShrinksAndOnlyAboveThreshold) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    const std::vector<Sent> frames = {
        {FrameType::Commands, compressible_bytes(1 << 20, 4)},  // compressed
        {FrameType::Commands, random_bytes(1 << 20, 4)},        // random: sent as is
        {FrameType::Commands, compressible_bytes(1000, 4)},     // under the 4096-byte threshold
    };
    p.threads.emplace_back([&] { for (auto& s : frames) EXPECT_TRUE(p.client->send(s.type, s.payload)); });
    expect_receives(*p.server, frames);
    p.join();
    const ConnectionStats s = p.client->stats();
    EXPECT_EQ(s.compressed_frames, 1u);
    EXPECT_EQ(s.payload_bytes_sent, (2u << 20) + 1000);
    // The compressible MiB shrinks a lot; the random one and the small one travel whole.
    EXPECT_LT(s.bytes_sent, (1u << 20) + 1000 + (1u << 20) / 4);
    EXPECT_GT(s.bytes_sent, (1u << 20) + 1000);
    EXPECT_EQ(p.server->stats().bytes_received, s.bytes_sent);
}

TEST(TcpConnection, HeartbeatsKeepAnIdleLinkAlivePastDeadAfter) {
    // A heartbeat would have to be 20 intervals late for this to fail on a loaded machine.
    ConnectionOptions o;
    o.heartbeat_interval = 50ms;
    o.dead_after = 1000ms;
    Pair p = connect_pair(o, o);
    ASSERT_TRUE(p.client && p.server);
    Frame f;
    std::string error;
    bool timed_out = false;
    EXPECT_FALSE(p.client->receive(f, 2500ms, &error, &timed_out));
    EXPECT_TRUE(timed_out) << error;
    EXPECT_TRUE(p.client->is_open()) << error;
    EXPECT_GT(p.client->stats().heartbeats_received, 0u);
    EXPECT_EQ(p.client->stats().frames_received, 0u);
    // The server did not read for 2.5 s, but the client's heartbeats are waiting for it: not dead.
    timed_out = false;
    EXPECT_FALSE(p.server->receive(f, 100ms, &error, &timed_out));
    EXPECT_TRUE(timed_out) << error;
    EXPECT_TRUE(p.server->is_open()) << error;
    // And frames still flow.
    EXPECT_TRUE(p.server->send(FrameType::Reply, std::vector<uint8_t>{7}));
    ASSERT_TRUE(p.client->receive(f, 10s, &error)) << error;
    EXPECT_EQ(f.type, FrameType::Reply);
}

TEST(TcpConnection, SilentPeerIsDeclaredDeadEvenDuringALongReceive) {
    RawServer raw;
    ConnectionOptions o;
    o.heartbeat_interval = 100ms;
    o.dead_after = 600ms;
    std::string error;
    auto c = tcp_connect(raw.address(), 10s, o, &error);
    ASSERT_TRUE(c) << error;
    net::Socket silent = raw.accept();
    ASSERT_TRUE(silent.valid());
    Frame f;
    bool timed_out = true;
    const auto start = Clock::now();
    EXPECT_FALSE(c->receive(f, 60s, &error, &timed_out));
    EXPECT_LT(Clock::now() - start, 600ms + kPrompt);
    EXPECT_FALSE(timed_out);
    EXPECT_NE(error.find("no data from 127.0.0.1:" + std::to_string(raw.port)), std::string::npos) << error;
    EXPECT_NE(error.find("peer dead?"), std::string::npos) << error;
    EXPECT_FALSE(c->is_open());
    std::string send_error;
    EXPECT_FALSE(c->send(FrameType::Commands, std::vector<uint8_t>{1}, &send_error));
    EXPECT_EQ(send_error, error);
}

/// Connects to a raw server that sends bytes, and expects receive to fail cleanly.
void expect_rejected(const std::vector<uint8_t>& bytes, const char* why, size_t max_frame_bytes = size_t(1) << 30) {
    RawServer raw;
    ConnectionOptions o;
    o.max_frame_bytes = max_frame_bytes;
    std::string error;
    auto c = tcp_connect(raw.address(), 10s, o, &error);
    ASSERT_TRUE(c) << error;
    net::Socket s = raw.accept();
    ASSERT_TRUE(raw_write(s, bytes));
    Frame f;
    bool timed_out = true;
    const auto start = Clock::now();
    EXPECT_FALSE(c->receive(f, 30s, &error, &timed_out));
    EXPECT_LT(Clock::now() - start, kPrompt);
    EXPECT_FALSE(timed_out);
    EXPECT_NE(error.find("bad frame from 127.0.0.1:"), std::string::npos) << error;
    EXPECT_NE(error.find(why), std::string::npos) << error;
    EXPECT_FALSE(c->is_open());
}

std::vector<uint8_t> header(uint32_t length, FrameType type, uint16_t flags) {
    std::vector<uint8_t> h(kFrameHeaderBytes);
    encode_frame_header({length, static_cast<uint16_t>(type), flags}, h.data());
    return h;
}

std::vector<uint8_t> operator+(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

TEST(TcpConnection, RejectsGarbageBytes) {
    const std::string http = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    expect_rejected(std::vector<uint8_t>(http.begin(), http.end()), "unknown flags");
}

TEST(TcpConnection, RejectsOversizedLengthBeforeReadingIt) {
    expect_rejected(header(2 << 20, FrameType::Commands, 0), "exceeds the limit", 1 << 20);
}

TEST(TcpConnection, RejectsCorruptCompressedPayload) {
    expect_rejected(header(12, FrameType::Commands, kFlagLz4) + std::vector<uint8_t>{0xe8, 0x03, 0, 0, 0xff, 0xff,
                                                                                       0xff, 0xff, 1, 2, 3, 4},
                    "corrupt compressed frame");
}

TEST(TcpConnection, RejectsCompressedPayloadClaimingTooMuch) {
    expect_rejected(header(8, FrameType::Commands, kFlagLz4) + std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0},
                    "over the limit", 1 << 20);
}

TEST(TcpConnection, PeerCloseEndsAReceivePromptly) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    std::thread closer([&] {
        std::this_thread::sleep_for(50ms);
        p.server.reset();
    });
    Frame f;
    std::string error;
    bool timed_out = true;
    const auto start = Clock::now();
    EXPECT_FALSE(p.client->receive(f, 60s, &error, &timed_out));
    EXPECT_LT(Clock::now() - start, kPrompt);
    EXPECT_FALSE(timed_out);
    EXPECT_NE(error.find("closed the connection"), std::string::npos) << error;
    closer.join();
}

TEST(TcpConnection, FramesSentBeforeACloseAreStillDelivered) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    ASSERT_TRUE(p.server->send(FrameType::Error, std::vector<uint8_t>{'x'}));
    p.server->close();
    Frame f;
    std::string error;
    ASSERT_TRUE(p.client->receive(f, 10s, &error)) << error;
    EXPECT_EQ(f.type, FrameType::Error);
    EXPECT_FALSE(p.client->receive(f, 10s, &error));
}

TEST(TcpConnection, LocalCloseUnblocksAReceiveOnAnotherThread) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    std::atomic<bool> returned{false};
    std::string error;
    std::thread reader([&] {
        Frame f;
        EXPECT_FALSE(p.client->receive(f, 60s, &error));
        returned = true;
    });
    std::this_thread::sleep_for(50ms);
    const auto start = Clock::now();
    p.client->close();
    reader.join();
    EXPECT_LT(Clock::now() - start, kPrompt);
    EXPECT_TRUE(returned);
    EXPECT_NE(error.find("closed locally"), std::string::npos) << error;
    EXPECT_FALSE(p.client->send(FrameType::Commands, std::vector<uint8_t>{1}));
}

TEST(TcpConnection, OversizedSendIsRefusedAndTheLinkSurvives) {
    ConnectionOptions o;
    o.max_frame_bytes = 1000;
    Pair p = connect_pair(o, o);
    ASSERT_TRUE(p.client && p.server);
    std::string error;
    EXPECT_FALSE(p.client->send(FrameType::Commands, std::vector<uint8_t>(1001), &error));
    EXPECT_NE(error.find("exceeds the limit"), std::string::npos) << error;
    EXPECT_TRUE(p.client->is_open());
    EXPECT_TRUE(p.client->send(FrameType::Commands, std::vector<uint8_t>(1000), &error)) << error;
    Frame f;
    ASSERT_TRUE(p.server->receive(f, 10s, &error)) << error;
    EXPECT_EQ(f.payload.size(), 1000u);
}

TEST(TcpConnection, ReceiveTimesOutWithoutClosing) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    Frame f;
    std::string error;
    bool timed_out = false;
    EXPECT_FALSE(p.client->receive(f, 0ms, &error, &timed_out));
    EXPECT_TRUE(timed_out);
    EXPECT_FALSE(p.client->receive(f, 20ms, &error, &timed_out));
    EXPECT_TRUE(timed_out);
    EXPECT_NE(error.find("timed out"), std::string::npos) << error;
    EXPECT_TRUE(p.client->is_open());
}

TEST(TcpConnection, ConnectToAClosedPortNamesTheAddress) {
    uint16_t port = 0;
    {
        RawServer raw;  // take a free port, then free it again
        port = raw.port;
    }
    const std::string address = "127.0.0.1:" + std::to_string(port);
    std::string error;
    EXPECT_FALSE(tcp_connect(address, 10s, {}, &error));
    EXPECT_NE(error.find("cannot connect to " + address), std::string::npos) << error;
}

TEST(TcpConnection, ConnectRejectsABadAddress) {
    std::string error;
    EXPECT_FALSE(tcp_connect("127.0.0.1", 1s, {}, &error));
    EXPECT_NE(error.find("missing port"), std::string::npos) << error;
}

TEST(TcpListener, CloseUnblocksAccept) {
    std::string error;
    auto l = tcp_listen("127.0.0.1:0", {}, &error);
    ASSERT_TRUE(l) << error;
    EXPECT_NE(l->port(), 0);
    std::unique_ptr<Connection> got;
    std::thread acceptor([&] { got = l->accept(&error); });
    std::this_thread::sleep_for(50ms);
    const auto start = Clock::now();
    l->close();
    acceptor.join();
    EXPECT_LT(Clock::now() - start, kPrompt);
    EXPECT_FALSE(got);
}

TEST(TcpListener, ReportsThePeerAddress) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    EXPECT_EQ(p.client->peer(), "127.0.0.1:" + std::to_string(p.listener->port()));
    EXPECT_EQ(p.server->peer().rfind("127.0.0.1:", 0), 0u) << p.server->peer();
}

struct AddressCase {
    const char* text;
    const char* host;
    uint16_t port;
};

TEST(ParseAddress, AcceptsHostPortForms) {
    const AddressCase good[] = {
        {"127.0.0.1:7400", "127.0.0.1", 7400}, {"localhost:1", "localhost", 1},
        {"[::1]:7400", "::1", 7400},           {"gpu-box.local:65535", "gpu-box.local", 65535},
        {"0.0.0.0:0", "0.0.0.0", 0},           {"[fe80::1%eth0]:80", "fe80::1%eth0", 80},
    };
    for (const auto& c : good) {
        std::string host, error;
        uint16_t port = 1234;
        EXPECT_TRUE(parse_address(c.text, host, port, &error)) << c.text << ": " << error;
        EXPECT_EQ(host, c.host) << c.text;
        EXPECT_EQ(port, c.port) << c.text;
    }
}

TEST(ParseAddress, RejectsBadInputWithAReason) {
    const std::pair<const char*, const char*> bad[] = {
        {"", "missing port"},
        {"127.0.0.1", "missing port"},
        {"127.0.0.1:", "missing port"},
        {":7400", "missing host"},
        {"host:65536", "out of range"},
        {"host:99999999999999999999", "out of range"},
        {"host:-1", "not a number"},
        {"host:12a", "not a number"},
        {"host: 80", "not a number"},
        {"::1:7400", "needs brackets"},
        {"[::1", "missing ']'"},
        {"[::1]7400", "missing port"},
        {"[::1]", "missing port"},
        {"[]:80", "missing host"},
    };
    for (const auto& [text, why] : bad) {
        std::string host, error;
        uint16_t port = 0;
        EXPECT_FALSE(parse_address(text, host, port, &error)) << text;
        EXPECT_NE(error.find(why), std::string::npos) << text << ": " << error;
        EXPECT_NE(error.find(std::string("'") + text + "'"), std::string::npos) << error;
    }
}

}  // namespace
}  // namespace anarchy::transport::test
