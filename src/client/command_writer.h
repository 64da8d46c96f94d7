// What generated client code uses to send commands: find the runtime of a handle, encode, send or call.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <vulkan/vulkan_core.h>

#include "protocol/arena.h"
#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"
#include "vk_schema_autogen.h"

namespace anarchy::client {

class Runtime;

Runtime* runtime_of(VkInstance h);
Runtime* runtime_of(VkPhysicalDevice h);
Runtime* runtime_of(VkDevice h);
Runtime* runtime_of(VkQueue h);
Runtime* runtime_of(VkCommandBuffer h);

/// A reply's body, decodable once; owns the bytes and the arena decoded structures live in.
class Reply {
public:
    protocol::WireDecoder& decoder();
    std::vector<uint8_t> bytes;

private:
    protocol::Arena arena_;
    std::unique_ptr<protocol::WireDecoder> decoder_;
};

/// Encodes one command for the runtime's stream: async ones are batched, sync ones wait for their reply.
class CommandWriter {
public:
    CommandWriter(Runtime& rt, uint32_t id, bool sync);
    CommandWriter(Runtime& rt, protocol::CommandId id, bool sync) : CommandWriter(rt, static_cast<uint32_t>(id), sync) {}
    protocol::WireEncoder& enc() { return enc_; }
    /// Queues an async command. False if the connection is lost.
    bool send();
    /// Sends a sync command and waits for its reply (answered from the cache for cacheable queries).
    bool call(Reply& reply);

private:
    Runtime& rt_;
    uint32_t id_;
    bool sync_;
    uint32_t seq_ = 0;
    size_t payload_at_ = 0;
    protocol::WireEncoder enc_;
};

/// Starts recording one vkCmd* into the command buffer's stream.
protocol::WireEncoder& recording_begin(VkCommandBuffer cb, protocol::CommandId id);
/// Finishes the command started by recording_begin.
void recording_end(VkCommandBuffer cb);
/// Logs a malformed reply and marks the connection lost (the server broke the protocol).
void reply_error(protocol::WireDecoder& d, const char* command);

}  // namespace anarchy::client
