// libFuzzer target: the bytes a stranger sends to the server's port, through the real TCP connection, framing,
// LZ4 and handshake code. The input goes into a loopback socket; the accepting side runs the server's handshake
// and then reads frames until the stream ends or is refused. Each frame header is also checked directly.
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>

#include "transport/connection.h"
#include "transport/frame_codec.h"
#include "transport/handshake.h"
#include "transport/socket.h"
#include "vk_schema_autogen.h"

namespace {

using namespace anarchy::transport;
using namespace std::chrono_literals;

std::unique_ptr<Listener> listener;
uint16_t port = 0;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    ConnectionOptions o;
    o.heartbeat_interval = 0ms;  // no heartbeat thread per connection
    o.dead_after = 0ms;
    listener = tcp_listen("127.0.0.1:0", o);
    port = listener ? listener->port() : 0;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (!listener) return 0;
    // The codec on its own, as a receiver sees the first bytes.
    if (size >= kFrameHeaderBytes) {
        const FrameHeader h = decode_frame_header(data);
        std::vector<uint8_t> payload;
        if (check_frame_header(h, size, nullptr) && size - kFrameHeaderBytes >= h.length)
            (void)decode_payload(h, data + kFrameHeaderBytes, size_t(1) << 20, payload, nullptr);
    }
    // Then through a socket: everything the input holds, then end of stream (shutdown of the writing side only,
    // so that the server's answers never reset the connection before it has read the input).
    net::Socket client = net::connect_tcp("127.0.0.1", port, 1000ms, nullptr);
    if (!client.valid()) return 0;
    net::Buffer b{data, size};
    if (!net::write_all(client, &b, 1, 1000ms, nullptr)) return 0;
    ::shutdown(static_cast<int>(client.handle()), SHUT_WR);
    std::unique_ptr<Connection> server = listener->accept(nullptr);
    if (!server) return 0;
    PeerInfo mine, theirs;
    mine.schema_hash = anarchy::protocol::kSchemaHash;
    mine.software = "anarchy fuzz";
    mine.role = "vulkan";
    std::string error;
    if (server_handshake(*server, mine, &theirs, &error, 1000ms)) {
        Frame f;
        while (server->receive(f, 1000ms, &error)) {
        }
    }
    server->close();
    return 0;
}
