#include "client/command_writer.h"

#include <cstring>
#include <string>

#include "client/objects.h"
#include "client/runtime.h"
#include "common/log.h"
#include "protocol/messages.h"

namespace anarchy::client {

namespace {

/// Dispatchable handles travel as the id stored in the client object.
class ObjectIds : public protocol::HandleEncoder {
public:
    uint64_t dispatchable_id(uint64_t raw) const override {
        return reinterpret_cast<const DispatchableObject*>(raw)->id;
    }
};
const ObjectIds kObjectIds;

/// Queries whose answers never change for a physical device: asked once, then answered locally.
bool is_cacheable(uint32_t id) {
    using protocol::CommandId;
    switch (static_cast<CommandId>(id)) {
    case CommandId::vkGetPhysicalDeviceProperties:
    case CommandId::vkGetPhysicalDeviceProperties2:
    case CommandId::vkGetPhysicalDeviceFeatures:
    case CommandId::vkGetPhysicalDeviceFeatures2:
    case CommandId::vkGetPhysicalDeviceMemoryProperties:
    case CommandId::vkGetPhysicalDeviceMemoryProperties2:
    case CommandId::vkGetPhysicalDeviceQueueFamilyProperties:
    case CommandId::vkGetPhysicalDeviceQueueFamilyProperties2:
    case CommandId::vkGetPhysicalDeviceFormatProperties:
    case CommandId::vkGetPhysicalDeviceFormatProperties2:
    case CommandId::vkGetPhysicalDeviceImageFormatProperties:
    case CommandId::vkGetPhysicalDeviceImageFormatProperties2:
    case CommandId::vkGetPhysicalDeviceSparseImageFormatProperties:
    case CommandId::vkGetPhysicalDeviceSparseImageFormatProperties2:
    case CommandId::vkEnumerateDeviceExtensionProperties:
    case CommandId::vkGetPhysicalDeviceExternalBufferProperties:
    case CommandId::vkGetPhysicalDeviceExternalFenceProperties:
    case CommandId::vkGetPhysicalDeviceExternalSemaphoreProperties:
    case CommandId::vkGetDeviceBufferMemoryRequirements:
    case CommandId::vkGetDeviceImageMemoryRequirements:
    case CommandId::vkGetDeviceImageSparseMemoryRequirements:
        return true;
    default:
        return false;
    }
}

}  // namespace

Runtime* runtime_of(VkInstance h) { return h ? object_of<DispatchableObject>(h)->rt : nullptr; }
Runtime* runtime_of(VkPhysicalDevice h) { return h ? object_of<DispatchableObject>(h)->rt : nullptr; }
Runtime* runtime_of(VkDevice h) { return h ? object_of<DispatchableObject>(h)->rt : nullptr; }
Runtime* runtime_of(VkQueue h) { return h ? object_of<DispatchableObject>(h)->rt : nullptr; }
Runtime* runtime_of(VkCommandBuffer h) { return h ? object_of<DispatchableObject>(h)->rt : nullptr; }

protocol::WireDecoder& Reply::decoder() {
    if (!decoder_) decoder_ = std::make_unique<protocol::WireDecoder>(bytes.data(), bytes.size(), &arena_);
    return *decoder_;
}

CommandWriter::CommandWriter(Runtime& rt, uint32_t id, bool sync) : rt_(rt), id_(id), sync_(sync), enc_(&kObjectIds) {
    enc_.u32(sync ? (id | protocol::kWantsReply) : id);
    enc_.u32(0);
    if (sync) {
        seq_ = rt.next_seq();
        enc_.u32(seq_);
    }
    payload_at_ = enc_.size_bytes();
}

bool CommandWriter::send() {
    enc_.patch_u32(4, static_cast<uint32_t>(enc_.size_bytes() - 8));
    return rt_.enqueue(enc_.bytes().data(), enc_.size_bytes());
}

bool CommandWriter::call(Reply& reply) {
    enc_.patch_u32(4, static_cast<uint32_t>(enc_.size_bytes() - 8));
    std::string key;
    if (is_cacheable(id_)) {
        key.assign(reinterpret_cast<const char*>(&id_), sizeof id_);
        key.append(reinterpret_cast<const char*>(enc_.bytes().data() + payload_at_), enc_.size_bytes() - payload_at_);
        if (rt_.cached(key, reply.bytes)) return true;
    }
    if (!rt_.call(enc_.bytes().data(), enc_.size_bytes(), seq_, reply.bytes)) return false;
    if (!key.empty()) rt_.remember(key, reply.bytes);
    return true;
}

protocol::WireEncoder& recording_begin(VkCommandBuffer cb, protocol::CommandId id) {
    auto* o = object_of<CommandBufferObject>(cb);
    if (!o->stream.handle_encoder()) o->stream.set_handle_encoder(&kObjectIds);
    o->stream.u32(static_cast<uint32_t>(id));
    o->open_command = o->stream.reserve_u32();
    return o->stream;
}

void recording_end(VkCommandBuffer cb) {
    auto* o = object_of<CommandBufferObject>(cb);
    o->stream.patch_u32(o->open_command, static_cast<uint32_t>(o->stream.size_bytes() - o->open_command - 4));
}

void reply_error(protocol::WireDecoder& d, const char* command) {
    LOG_ERROR("malformed reply to %s: %s", command, d.error().c_str());
}

const protocol::HandleEncoder* object_id_encoder() { return &kObjectIds; }

}  // namespace anarchy::client
