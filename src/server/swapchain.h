// Swapchains on the server: the client emulates them; these handlers tell the frame streamer which images to
// capture, signal acquires, and capture presents (protocol/swapchain_messages.h).
#pragma once

#include "protocol/wire_decoder.h"

namespace anarchy::server {

class Session;

[[nodiscard]] bool handle_swapchain_create(Session& s, protocol::WireDecoder& d);
[[nodiscard]] bool handle_swapchain_destroy(Session& s, protocol::WireDecoder& d);
[[nodiscard]] bool handle_acquire_signal(Session& s, protocol::WireDecoder& d);
[[nodiscard]] bool handle_queue_present(Session& s, protocol::WireDecoder& d);

}  // namespace anarchy::server
