// Swapchain messages: the client emulates swapchains; the server only captures the images it is told about.
// Each message is one structure with one encoder and one decoder, used by both sides. Handles travel as the
// client's object ids; the server resolves and type-checks them after decoding.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/capture_families.h"
#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"

namespace anarchy::protocol {

/// Most images a swapchain may have.
constexpr uint32_t kMaxSwapchainImages = 16;

/// CustomCommand::SwapchainCreate: images the client created and bound, to be captured on present.
struct SwapchainCreateMessage {
    uint64_t device = 0;
    uint64_t swapchain = 0;       ///< the client's id for the swapchain
    uint32_t format = 0;          ///< VkFormat
    uint32_t width = 0, height = 0;
    uint32_t present_mode = 0;    ///< VkPresentModeKHR
    std::vector<uint64_t> images;
    uint64_t old_swapchain = 0;   ///< the retired swapchain or 0
    /// The capture families (protocol/capture_families.h) the images are shared with (VK_SHARING_MODE_CONCURRENT),
    /// so the server may capture them on queues of its own there; kNoFamily for one they are not shared with.
    uint32_t copy_family = kNoFamily;
    uint32_t compute_family = kNoFamily;

    void encode(WireEncoder& e) const {
        e.u64(device);
        e.u64(swapchain);
        e.u32(format);
        e.u32(width);
        e.u32(height);
        e.u32(present_mode);
        e.u32(static_cast<uint32_t>(images.size()));
        for (uint64_t i : images) e.u64(i);
        e.u64(old_swapchain);
        e.u32(copy_family);
        e.u32(compute_family);
    }
    [[nodiscard]] bool decode(WireDecoder& d) {
        uint32_t n = 0;
        if (!d.u64(device) || !d.u64(swapchain) || !d.u32(format) || !d.u32(width) || !d.u32(height) ||
            !d.u32(present_mode) || !d.count(n, 8))
            return false;
        if (n == 0 || n > kMaxSwapchainImages) return d.fail("swapchain image count out of range");
        images.resize(n);
        for (auto& i : images)
            if (!d.u64(i)) return false;
        return d.u64(old_swapchain) && d.u32(copy_family) && d.u32(compute_family);
    }
};

/// CustomCommand::SwapchainDestroy: the server stops capturing; the client destroys the images itself.
struct SwapchainDestroyMessage {
    uint64_t swapchain = 0;
    void encode(WireEncoder& e) const { e.u64(swapchain); }
    [[nodiscard]] bool decode(WireDecoder& d) { return d.u64(swapchain); }
};

/// CustomCommand::AcquireSignal: an image was acquired; signal the semaphore and/or fence (ids, 0 for none).
struct AcquireSignalMessage {
    uint64_t queue = 0;
    uint64_t semaphore = 0;
    uint64_t fence = 0;
    void encode(WireEncoder& e) const {
        e.u64(queue);
        e.u64(semaphore);
        e.u64(fence);
    }
    [[nodiscard]] bool decode(WireDecoder& d) { return d.u64(queue) && d.u64(semaphore) && d.u64(fence); }
};

/// CustomCommand::QueuePresent: capture and stream each named image after the wait semaphores.
struct QueuePresentMessage {
    struct Entry {
        uint64_t swapchain = 0;
        uint32_t image_index = 0;
        uint64_t present_id = 0;  ///< the client's number for this present (latency measurement)
        /// The swapchain's present mode from this present on (VK_KHR_swapchain_maintenance1 lets it change).
        uint32_t present_mode = 0;
    };
    uint64_t queue = 0;
    uint32_t queue_family = 0;
    std::vector<uint64_t> wait_semaphores;
    std::vector<Entry> entries;

    void encode(WireEncoder& e) const {
        e.u64(queue);
        e.u32(queue_family);
        e.u32(static_cast<uint32_t>(wait_semaphores.size()));
        for (uint64_t s : wait_semaphores) e.u64(s);
        e.u32(static_cast<uint32_t>(entries.size()));
        for (const Entry& en : entries) {
            e.u64(en.swapchain);
            e.u32(en.image_index);
            e.u64(en.present_id);
            e.u32(en.present_mode);
        }
    }
    [[nodiscard]] bool decode(WireDecoder& d) {
        uint32_t waits = 0, n = 0;
        if (!d.u64(queue) || !d.u32(queue_family) || !d.count(waits, 8)) return false;
        wait_semaphores.resize(waits);
        for (auto& s : wait_semaphores)
            if (!d.u64(s)) return false;
        if (!d.count(n, 24)) return false;
        entries.resize(n);
        for (auto& en : entries)
            if (!d.u64(en.swapchain) || !d.u32(en.image_index) || !d.u64(en.present_id) || !d.u32(en.present_mode))
                return false;
        return true;
    }
};

}  // namespace anarchy::protocol
