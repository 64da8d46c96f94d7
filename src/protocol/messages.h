// Layout of a Commands frame and of replies, and the few hand-written messages beside the generated commands.
//
// A Commands frame is a sequence of commands, each:  u32 id_and_flags | u32 payload size | payload.
// When id_and_flags has kWantsReply, the payload starts with a u32 sequence number and the server answers
// with a Reply frame:  u32 seq | u32 reply flags | [memory updates if kReplyHasMemory] | body.
// Memory updates:  u32 count, then count times  u64 memory id | u64 offset | blob bytes.
#pragma once

#include <cstdint>

namespace anarchy::protocol {

constexpr uint32_t kWantsReply = 0x80000000u;
constexpr uint32_t kCommandIdMask = 0x7fffffffu;

/// Hand-written messages; generated commands use ids below kFirstCustomCommand.
enum class CustomCommand : uint32_t {
    /// u64 memory id, u32 range count, then per range u64 offset + blob. Program writes to mapped memory.
    WriteMemory = 0x10001,
    /// (reply) u64 memory id. The program mapped the memory: the reply carries its current contents.
    MapMemory = 0x10002,
    /// u64 memory id. The program unmapped it: the server stops sending its updates.
    UnmapMemory = 0x10003,
    /// (reply) u64 instance id. Reply: u32 count, count x u64 server-assigned physical-device ids.
    EnumeratePhysicalDevices = 0x10004,
    /// (reply) nothing. Measures a round trip.
    Ping = 0x10005,
    /// (reply) u64 instance id. Reply: u32 group count; per group u32 device count, ids, u32 subsetAllocation.
    EnumeratePhysicalDeviceGroups = 0x10006,
    /// (reply) u64 device memory id, VkDeviceSize offset, VkDeviceSize size. Reply carries updates (invalidate).
    InvalidateMemory = 0x10007,
    /// u64 device, u64 swapchain id, u32 VkFormat, u32 width, u32 height, u32 VkPresentModeKHR, u32 image count,
    /// image count x u64 image id (images the client created and bound), u64 retired swapchain id or 0.
    SwapchainCreate = 0x10008,
    /// u64 swapchain id. The server stops capturing it; the client destroys its images itself.
    SwapchainDestroy = 0x10009,
    /// u64 queue, u64 semaphore id or 0, u64 fence id or 0: signal them now (an image was acquired).
    AcquireSignal = 0x1000A,
    /// u64 queue, u32 queue family, u32 wait count, wait x u64 semaphore id, u32 swapchain count, then per
    /// swapchain u64 swapchain id, u32 image index, u64 present id. Captures and streams each image.
    QueuePresent = 0x1000B,
};
constexpr uint32_t kFirstCustomCommand = 0x10000;

constexpr uint32_t kReplyHasMemory = 1;

}  // namespace anarchy::protocol
