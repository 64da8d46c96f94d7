// Layout of a Commands frame and of replies, and the few hand-written messages beside the generated commands.
//
// A Commands frame is a sequence of commands, each:  u32 id_and_flags | u32 payload size | payload.
// When id_and_flags has kWantsReply, the payload starts with a u32 sequence number and the server answers
// with a Reply frame:  u32 seq | u32 reply flags | [memory updates if kReplyHasMemory] | body.
// Memory updates: a list of runs, laid out and coded by protocol/memory_messages.h. Large updates travel ahead of
// their reply in parts: Reply frames flagged kReplyHasMemory | kReplyMemoryOnly, each a complete update (runs, no
// stale, no fetched ranges) and no body, which the client applies as they arrive; the reply itself comes last.
#pragma once

#include <cstdint>

namespace anarchy::protocol {

constexpr uint32_t kWantsReply = 0x80000000u;
constexpr uint32_t kCommandIdMask = 0x7fffffffu;

/// Hand-written messages; generated commands use ids below kFirstCustomCommand.
enum class CustomCommand : uint32_t {
    /// A list of memory runs (memory_messages.h): bytes the program changed in host-visible memory.
    WriteMemory = 0x10001,
    /// (reply) MapMemoryMessage: the program maps this memory for the first time; the reply's memory updates
    /// bring what the GPU wrote into it before.
    MapMemory = 0x10002,
    /// (reply) EnumeratePhysicalDevicesMessage; reply: PhysicalDeviceList (physical_device_messages.h).
    EnumeratePhysicalDevices = 0x10004,
    /// (reply) nothing. Measures a round trip.
    Ping = 0x10005,
    /// SwapchainCreateMessage (swapchain_messages.h), and likewise for the next three.
    SwapchainCreate = 0x10008,
    SwapchainDestroy = 0x10009,
    AcquireSignal = 0x1000A,
    QueuePresent = 0x1000B,
    /// (reply) FetchMemoryMessage (memory_messages.h): the client touched a stale range; the reply's memory
    /// updates bring its bytes.
    FetchMemory = 0x1000C,
    /// MemoryOptionsMessage (memory_messages.h): the session's stale threshold.
    MemoryOptions = 0x1000D,
};
constexpr uint32_t kFirstCustomCommand = 0x10000;

constexpr uint32_t kReplyHasMemory = 1;
/// With kReplyHasMemory: a part of the next reply's memory updates, sent ahead of it; no body follows.
constexpr uint32_t kReplyMemoryOnly = 2;

}  // namespace anarchy::protocol
