#include "transport/handshake.h"

#include "test_support.h"

namespace anarchy::transport::test {
namespace {

PeerInfo info(uint64_t schema, const char* software = "anarchy 0.1.0") {
    PeerInfo p;
    p.schema_hash = schema;
    p.software = software;
    p.role = "vulkan";
    return p;
}

struct Outcome {
    bool ok = false;
    std::string error;
    PeerInfo other;
};

/// Runs both sides of the handshake on a fresh loopback pair.
void run_handshake(const PeerInfo& client, const PeerInfo& server, Outcome& c, Outcome& s) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    p.threads.emplace_back([&] { s.ok = server_handshake(*p.server, server, &s.other, &s.error, 10s); });
    c.ok = client_handshake(*p.client, client, &c.other, &c.error, 10s);
    p.join();
}

TEST(Handshake, MatchingPeersLearnAboutEachOther) {
    PeerInfo client = info(0x1234, "anarchy 0.1.0 (client)");
    client.role = "video";
    client.session_token = 0xfeedface12345678;
    Outcome c, s;
    run_handshake(client, info(0x1234, "anarchy 0.1.0 (server)"), c, s);
    ASSERT_TRUE(c.ok) << c.error;
    ASSERT_TRUE(s.ok) << s.error;
    EXPECT_EQ(c.other.software, "anarchy 0.1.0 (server)");
    EXPECT_EQ(c.other.schema_hash, 0x1234u);
    EXPECT_EQ(s.other.software, "anarchy 0.1.0 (client)");
    EXPECT_EQ(s.other.role, "video");
    EXPECT_EQ(s.other.session_token, 0xfeedface12345678u);
    EXPECT_EQ(s.other.protocol_version, kProtocolVersion);
}

TEST(Handshake, SchemaMismatchIsRefusedNamingBothSides) {
    Outcome c, s;
    run_handshake(info(0x1234), info(0xabcd), c, s);
    EXPECT_FALSE(s.ok);
    EXPECT_FALSE(c.ok);
    for (const std::string& e : {s.error, c.error}) {
        EXPECT_NE(e.find("schema mismatch"), std::string::npos) << e;
        EXPECT_NE(e.find("client anarchy 0.1.0 schema 0x0000000000001234"), std::string::npos) << e;
        EXPECT_NE(e.find("server anarchy 0.1.0 schema 0x000000000000abcd"), std::string::npos) << e;
    }
    EXPECT_NE(c.error.find("refused"), std::string::npos) << c.error;
}

TEST(Handshake, ProtocolVersionMismatchIsRefused) {
    PeerInfo client = info(0x1234);
    client.protocol_version = kProtocolVersion + 1;
    Outcome c, s;
    run_handshake(client, info(0x1234), c, s);
    EXPECT_FALSE(s.ok);
    EXPECT_FALSE(c.ok);
    EXPECT_NE(s.error.find("protocol mismatch"), std::string::npos) << s.error;
    EXPECT_NE(c.error.find("protocol " + std::to_string(kProtocolVersion + 1)), std::string::npos) << c.error;
}

/// Sends one frame as the client, runs the server side, and returns what the client got back.
void expect_refused_hello(FrameType type, const std::vector<uint8_t>& payload) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    ASSERT_TRUE(p.client->send(type, payload));
    std::string error;
    EXPECT_FALSE(server_handshake(*p.server, info(1), nullptr, &error, 10s));
    EXPECT_NE(error.find("is not an Anarchy client"), std::string::npos) << error;
    Frame f;
    ASSERT_TRUE(p.client->receive(f, 10s, &error)) << error;
    EXPECT_EQ(f.type, FrameType::Refuse);
    EXPECT_EQ(std::string(f.payload.begin(), f.payload.end()), "not an Anarchy client");
}

TEST(Handshake, GarbageHelloIsRefused) {
    expect_refused_hello(FrameType::Hello, {'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
}

TEST(Handshake, TruncatedHelloIsRefused) {
    // The right magic, then too little.
    expect_refused_hello(FrameType::Hello, {0x41, 0x4e, 0x41, 0x52, 1, 0});
}

TEST(Handshake, FirstFrameOtherThanHelloIsRefused) {
    expect_refused_hello(FrameType::Commands, {1, 2, 3});
}

TEST(Handshake, NonAnarchyBytesFailTheServerSide) {
    std::string error;
    auto l = tcp_listen("127.0.0.1:0", {}, &error);
    ASSERT_TRUE(l) << error;
    net::Socket raw = net::connect_tcp("127.0.0.1", l->port(), 10s, &error);
    ASSERT_TRUE(raw.valid()) << error;
    const std::string http = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    ASSERT_TRUE(raw_write(raw, std::vector<uint8_t>(http.begin(), http.end())));
    auto server = l->accept(&error);
    ASSERT_TRUE(server) << error;
    EXPECT_FALSE(server_handshake(*server, info(1), nullptr, &error, 10s));
    EXPECT_NE(error.find("bad frame"), std::string::npos) << error;
}

TEST(Handshake, LargeFramesAreRefusedBeforeTheHandshake) {
    Pair p = connect_pair({}, {}, /*handshake_limit=*/true);
    ASSERT_TRUE(p.client && p.server);
    ASSERT_TRUE(p.client->send(FrameType::Hello, random_bytes(1 << 20, 5)));
    std::string error;
    EXPECT_FALSE(server_handshake(*p.server, info(1), nullptr, &error, 10s));
    EXPECT_NE(error.find("exceeds the limit of 65536"), std::string::npos) << error;
}

TEST(Handshake, LargeFramesFlowAfterTheHandshake) {
    Pair p = connect_pair({}, {}, /*handshake_limit=*/true);
    ASSERT_TRUE(p.client && p.server);
    Outcome s;
    p.threads.emplace_back([&] { s.ok = server_handshake(*p.server, info(1), &s.other, &s.error, 10s); });
    std::string error;
    ASSERT_TRUE(client_handshake(*p.client, info(1), nullptr, &error, 10s)) << error;
    p.join();
    ASSERT_TRUE(s.ok) << s.error;
    const auto big = random_bytes(1 << 20, 6);
    ASSERT_TRUE(p.client->send(FrameType::Commands, big));
    ASSERT_TRUE(p.server->send(FrameType::Reply, big));
    Frame f;
    ASSERT_TRUE(p.server->receive(f, 10s, &error)) << error;
    EXPECT_EQ(f.payload, big);
    ASSERT_TRUE(p.client->receive(f, 10s, &error)) << error;
    EXPECT_EQ(f.payload, big);
}

TEST(Handshake, ClientTimesOutOnASilentServer) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    std::string error;
    EXPECT_FALSE(client_handshake(*p.client, info(1), nullptr, &error, 200ms));
    EXPECT_NE(error.find("no answer to the handshake from 127.0.0.1:"), std::string::npos) << error;
}

TEST(Handshake, ServerTimesOutOnASilentClient) {
    Pair p = connect_pair();
    ASSERT_TRUE(p.client && p.server);
    std::string error;
    EXPECT_FALSE(server_handshake(*p.server, info(1), nullptr, &error, 200ms));
    EXPECT_NE(error.find("no handshake from 127.0.0.1:"), std::string::npos) << error;
}

}  // namespace
}  // namespace anarchy::transport::test
