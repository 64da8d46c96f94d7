// The versioned handshake that opens every connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "transport/connection.h"

namespace anarchy::transport {

/// Bumped when the framing or handshake changes (the command schema has its own hash).
constexpr uint32_t kProtocolVersion = 1;
constexpr uint32_t kHelloMagic = 0x52414E41;  // "ANAR"

/// What each side says about itself.
struct PeerInfo {
    uint32_t protocol_version = kProtocolVersion;
    uint64_t schema_hash = 0;     ///< hash of the generated command schema
    std::string software;         ///< e.g. "anarchy 0.1.0"
    std::string role;             ///< "vulkan" for a command session, "video" for a frame channel
    uint64_t session_token = 0;   ///< for a video channel: the command session it belongs to
};

/// Client side: sends Hello, waits for HelloAck or Refuse. On refusal or mismatch returns false with an error
/// naming both sides' versions. On success fills *server.
bool client_handshake(Connection& c, const PeerInfo& mine, PeerInfo* server, std::string* error,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
/// Server side: waits for Hello; if the protocol version or schema hash differ, sends Refuse (naming both)
/// and returns false. Otherwise sends HelloAck and fills *client.
bool server_handshake(Connection& c, const PeerInfo& mine, PeerInfo* client, std::string* error,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace anarchy::transport
