// Host-visible device memory on the server: the driver's mapping, what the client is known to hold of it, and
// the messages that keep the two in step (protocol/memory_messages.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include <vulkan/vulkan_core.h>

#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"

namespace anarchy::server {

class Session;

/// One host-visible allocation. Both sides start from zeros: the server clears the memory when it is allocated.
struct MirroredMemory {
    MirroredMemory() = default;
    ~MirroredMemory();
    MirroredMemory(const MirroredMemory&) = delete;
    MirroredMemory& operator=(const MirroredMemory&) = delete;

    std::mutex mu;                       ///< guards the bytes of mapped and client_view, and the fields below
    uint8_t* mapped = nullptr;           ///< the host driver's persistent mapping
    uint64_t size = 0;
    uint8_t* client_view = nullptr;      ///< what the client holds (anonymous zero pages, touched where written)
    bool client_mapped = false;          ///< the program mapped it at least once: GPU writes go to the client
    /// GPU-written ranges not sent yet because the program never mapped the memory (offset -> end), merged.
    std::map<uint64_t, uint64_t> unsent;
    VkDevice device = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    bool coherent = true;
    bool cached = false;                 ///< HOST_CACHED: read in place (else through a staging copy)
    uint64_t atom = 1;                   ///< nonCoherentAtomSize, for flush and invalidate ranges
    /// Set (under mu) when the memory is freed: a waiter thread that found it just before must not read mapped.
    bool freed = false;
};

/// A FetchMemory request waiting for its reply's memory updates (session thread). memory null: nothing to send
/// (the memory is gone); active: the current command is a FetchMemory.
struct MemoryFetch {
    bool active = false;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    uint64_t id = 0;
    uint64_t offset = 0;
    uint64_t size = 0;
};

/// The session's host-visible allocations by driver handle. Thread-safe.
class HostMemories {
public:
    void add(VkDeviceMemory memory, std::shared_ptr<MirroredMemory> m);
    void remove(VkDeviceMemory memory);
    std::shared_ptr<MirroredMemory> find(VkDeviceMemory memory) const;
    void clear();

private:
    mutable std::mutex mu_;
    std::map<VkDeviceMemory, std::shared_ptr<MirroredMemory>> by_handle_;
};

/// CustomCommand::WriteMemory: applies the program's changed runs.
[[nodiscard]] bool handle_write_memory(Session& s, protocol::WireDecoder& d);
/// CustomCommand::MapMemory: the program maps memory for the first time; returns it so the reply brings its
/// unsent bytes.
[[nodiscard]] bool handle_map_memory(Session& s, protocol::WireDecoder& d, VkDeviceMemory& first_map);
/// CustomCommand::FetchMemory: checks the range and records it for the reply (memory null if it is gone).
[[nodiscard]] bool handle_fetch_memory(Session& s, protocol::WireDecoder& d, MemoryFetch& fetch,
                                       protocol::WireEncoder* reply);
/// Sends part of a reply's memory updates ahead of the reply: called with `out` holding, after the reply's header,
/// a complete update (runs | no stale | no fetched ranges); sends it as a kReplyMemoryOnly part (messages.h) and
/// leaves `out` holding a fresh header, for the next part or the reply.
using MemoryPartSink = std::function<void(protocol::WireEncoder& out)>;

/// Appends the memory updates of a synchronising reply (runs | stale | fetched, memory_messages.h): the bytes the
/// GPU changed in the ranges submitted work may have written (never a whole mapping unless tracking is off);
/// ranges larger than the session's stale threshold are named stale instead, unread. With first_map, only that
/// memory's unsent ranges; with an active fetch, only the fetched range. With `early`, large updates leave ahead of
/// the reply in parts of about 256 KiB. Returns the number of runs.
uint32_t collect_memory_updates(Session& s, protocol::WireEncoder& out, VkDeviceMemory first_map = VK_NULL_HANDLE,
                                const MemoryFetch* fetch = nullptr, const MemoryPartSink* early = nullptr);

}  // namespace anarchy::server
