#include "transport/handshake.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <vector>

#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"

namespace anarchy::transport {
namespace {

// A refusal reason is shown to a person; anything longer is not a reason.
constexpr size_t kMaxReasonBytes = 4096;

bool set_error(std::string* error, std::string text) {
    if (error) *error = std::move(text);
    return false;
}

// Layout: magic u32, protocol_version u32, schema_hash u64, software string, then (for this protocol version)
// role string and session_token u64. The first four never move, so that a peer of any version can still
// read whom it is talking to and say why they do not match.
std::vector<uint8_t> encode_hello(const PeerInfo& info) {
    protocol::WireEncoder enc;
    enc.u32(kHelloMagic);
    enc.u32(info.protocol_version);
    enc.u64(info.schema_hash);
    enc.string(info.software.c_str());
    enc.string(info.role.c_str());
    enc.u64(info.session_token);
    return std::move(enc.bytes());
}

/// Reads a string written by WireEncoder::string straight into a std::string. (WireDecoder::string, as of
/// this writing, never stores the pointer it decodes; this also needs no arena.)
bool read_string(protocol::WireDecoder& dec, std::string& out) {
    uint32_t n = 0;
    out.clear();
    if (!dec.u32(n) || n == 0) return dec.ok();
    if (n - 1 > dec.remaining()) return dec.fail("string longer than the message");
    out.assign(reinterpret_cast<const char*>(dec.cursor()), n - 1);
    return dec.skip(n - 1);
}

bool decode_hello(const std::vector<uint8_t>& payload, PeerInfo& out, std::string* why) {
    protocol::WireDecoder dec(payload.data(), payload.size(), nullptr);
    uint32_t magic = 0;
    dec.u32(magic);
    if (dec.ok() && magic != kHelloMagic) return set_error(why, "wrong magic");
    dec.u32(out.protocol_version);
    dec.u64(out.schema_hash);
    read_string(dec, out.software);
    if (!dec.ok()) return set_error(why, "malformed hello: " + dec.error());
    if (out.protocol_version != kProtocolVersion) return true;  // the rest may differ; the caller refuses

    read_string(dec, out.role);
    dec.u64(out.session_token);
    if (!dec.ok()) return set_error(why, "malformed hello: " + dec.error());
    if (dec.remaining() != 0) return set_error(why, "malformed hello: trailing bytes");
    return true;
}

std::string hex64(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%016" PRIx64, v);
    return b;
}

std::string name_of(const PeerInfo& p) { return p.software.empty() ? "(unknown software)" : p.software; }

/// Empty if client and server can talk; otherwise a message naming both sides.
std::string mismatch(const PeerInfo& client, const PeerInfo& server) {
    if (client.protocol_version != server.protocol_version)
        return "protocol mismatch: client " + name_of(client) + " protocol " + std::to_string(client.protocol_version) +
               ", server " + name_of(server) + " protocol " + std::to_string(server.protocol_version) +
               "; update one side";
    if (client.schema_hash != server.schema_hash)
        return "schema mismatch: client " + name_of(client) + " schema " + hex64(client.schema_hash) + ", server " +
               name_of(server) + " schema " + hex64(server.schema_hash) + "; update one side";
    return {};
}

void refuse(Connection& c, const std::string& reason) {
    c.send(FrameType::Refuse, reinterpret_cast<const uint8_t*>(reason.data()), reason.size());
}

}  // namespace

bool client_handshake(Connection& c, const PeerInfo& mine, PeerInfo* server, std::string* error,
                      std::chrono::milliseconds timeout) {
    std::string why;
    if (!c.send(FrameType::Hello, encode_hello(mine), &why))
        return set_error(error, "cannot send the handshake to " + c.peer() + ": " + why);
    Frame f;
    bool timed_out = false;
    if (!c.receive(f, timeout, &why, &timed_out))
        return set_error(error, timed_out ? "no answer to the handshake from " + c.peer() + " within " +
                                                std::to_string(timeout.count()) + " ms (is it an Anarchy server?)"
                                          : "handshake with " + c.peer() + " failed: " + why);
    if (f.type == FrameType::Refuse) {
        std::string reason(f.payload.begin(), f.payload.begin() + std::min(f.payload.size(), kMaxReasonBytes));
        return set_error(error, "server " + c.peer() + " refused the connection: " + reason);
    }
    if (f.type != FrameType::HelloAck)
        return set_error(error, "unexpected frame type " + std::to_string(static_cast<unsigned>(f.type)) + " from " +
                                    c.peer() + " during the handshake");
    PeerInfo theirs;
    if (!decode_hello(f.payload, theirs, &why))
        return set_error(error, c.peer() + " is not an Anarchy server (" + why + ")");
    // The server checks too; checking here as well covers a server that accepts what it should not.
    if (std::string m = mismatch(mine, theirs); !m.empty()) return set_error(error, m);
    c.lift_handshake_limit();
    if (server) *server = std::move(theirs);
    return true;
}

bool server_handshake(Connection& c, const PeerInfo& mine, PeerInfo* client, std::string* error,
                      std::chrono::milliseconds timeout) {
    std::string why;
    Frame f;
    bool timed_out = false;
    if (!c.receive(f, timeout, &why, &timed_out))
        return set_error(error, timed_out ? "no handshake from " + c.peer() + " within " +
                                                std::to_string(timeout.count()) + " ms"
                                          : "handshake with " + c.peer() + " failed: " + why);
    PeerInfo theirs;
    if (f.type != FrameType::Hello) why = "first frame is not a hello";
    if (f.type != FrameType::Hello || !decode_hello(f.payload, theirs, &why)) {
        refuse(c, "not an Anarchy client");
        return set_error(error, c.peer() + " is not an Anarchy client (" + why + ")");
    }
    if (std::string m = mismatch(theirs, mine); !m.empty()) {
        refuse(c, m);
        return set_error(error, m);
    }
    if (!c.send(FrameType::HelloAck, encode_hello(mine), &why))
        return set_error(error, "cannot answer the handshake of " + c.peer() + ": " + why);
    c.lift_handshake_limit();
    if (client) *client = std::move(theirs);
    return true;
}

}  // namespace anarchy::transport
