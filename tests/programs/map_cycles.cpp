// map_cycles: 200 cycles of vkMapMemory / write / vkUnmapMemory over four host-visible allocations of
// different sizes, mapping windows at random offsets (VK_WHOLE_SIZE or an explicit size). Between cycles the
// GPU copies, fills and updates into an allocation that is not mapped, then the host maps it afresh and
// checks the window it mapped against the CPU's model, so bytes written by the GPU while the memory was
// unmapped must appear in a new mapping, and bytes written through an old mapping must have reached the GPU.
// Output: a checksum of each verified window.
#include "memory_util.h"
#include "programs.h"

#include <cstring>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr uint32_t kCycles = 200;
constexpr VkDeviceSize kSizes[] = {64 * 1024, 256 * 1024 + 4096, 1 << 20, 3 * 1024 * 1024 + 512};
constexpr uint32_t kAllocations = sizeof kSizes / sizeof kSizes[0];

struct Allocation {
    LooseBuffer buffer;
    std::vector<uint8_t> model;
};

// Maps [offset, offset + size) (size may be VK_WHOLE_SIZE) and returns the pointer to `offset`.
uint8_t* map(TestContext& ctx, Allocation& a, VkDeviceSize offset, VkDeviceSize size) {
    void* mapped = nullptr;
    VK_CHECK(vkMapMemory(ctx.device(), a.buffer.memory, offset, size, 0, &mapped));
    require(mapped != nullptr, "map_cycles: vkMapMemory returned a null pointer");
    return static_cast<uint8_t*>(mapped);
}

}  // namespace

Output run_map_cycles(TestContext& ctx) {
    const VkMemoryPropertyFlags coherent = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    std::vector<Allocation> allocations(kAllocations);
    for (uint32_t i = 0; i < kAllocations; ++i) {
        allocations[i].buffer = create_loose_buffer(
            ctx, kSizes[i], VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT, coherent);
        allocations[i].model.assign(kSizes[i], 0);
    }
    struct Cleanup {
        TestContext& ctx;
        std::vector<Allocation>& allocations;
        ~Cleanup() {
            vkDeviceWaitIdle(ctx.device());
            for (Allocation& a : allocations) destroy_loose_buffer(ctx, a.buffer);
        }
    } cleanup{ctx, allocations};
    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        for (Allocation& a : allocations) vkCmdFillBuffer(cmd, a.buffer.buffer, 0, VK_WHOLE_SIZE, 0);
        transfer_to_host_barrier(cmd);
    });

    Rng rng(0x6d617063u);
    std::vector<uint32_t> checksums;
    for (uint32_t cycle = 0; cycle < kCycles; ++cycle) {
        // 1. The host writes through a fresh mapping of a window of allocation `w`, then unmaps.
        const uint32_t w = uint32_t(rng.range(0, kAllocations - 1));
        Allocation& written = allocations[w];
        const VkDeviceSize size = kSizes[w];
        VkDeviceSize map_offset = rng.range(0, size - 1);
        const bool whole = rng.range(0, 1) == 0;
        VkDeviceSize map_size = whole ? size - map_offset : rng.range(1, size - map_offset);
        uint8_t* window = map(ctx, written, map_offset, whole ? VK_WHOLE_SIZE : map_size);
        for (uint32_t n = uint32_t(rng.range(1, 40)); n > 0; --n) {
            VkDeviceSize len = rng.range(1, std::min<VkDeviceSize>(map_size, 2048));
            VkDeviceSize at = rng.range(0, map_size - len);
            for (VkDeviceSize b = 0; b < len; ++b) window[at + b] = written.model[map_offset + at + b] = rng.byte();
        }
        vkUnmapMemory(ctx.device(), written.buffer.memory);

        // 2. The GPU copies a piece of it into another allocation `t` (unmapped), fills and updates `t`.
        const uint32_t t = (w + 1 + uint32_t(rng.range(0, kAllocations - 2))) % kAllocations;
        Allocation& target = allocations[t];
        VkDeviceSize copy_size = rng.range(1, std::min(size, kSizes[t]) / 2);
        VkBufferCopy copy{rng.range(0, size - copy_size), rng.range(0, kSizes[t] - copy_size), copy_size};
        VkDeviceSize fill_size = rng.range(1, 4096) * 4;
        VkDeviceSize fill_offset = rng.range(0, (kSizes[t] - fill_size) / 4) * 4;
        uint32_t fill_word = uint32_t(rng.next());
        uint8_t update[256];
        for (auto& b : update) b = rng.byte();
        VkDeviceSize update_offset = rng.range(0, (kSizes[t] - sizeof update) / 4) * 4;
        ctx.submit_and_wait([&](VkCommandBuffer cmd) {
            vkCmdCopyBuffer(cmd, written.buffer.buffer, target.buffer.buffer, 1, &copy);
            transfer_barrier(cmd);
            vkCmdFillBuffer(cmd, target.buffer.buffer, fill_offset, fill_size, fill_word);
            transfer_barrier(cmd);
            vkCmdUpdateBuffer(cmd, target.buffer.buffer, update_offset, sizeof update, update);
            transfer_to_host_barrier(cmd);
        });
        std::memcpy(&target.model[copy.dstOffset], &written.model[copy.srcOffset], copy_size);
        for (VkDeviceSize b = 0; b < fill_size; b += 4) std::memcpy(&target.model[fill_offset + b], &fill_word, 4);
        std::memcpy(&target.model[update_offset], update, sizeof update);

        // 3. The host maps a window of `t` afresh and checks it against the model.
        VkDeviceSize check_offset = rng.range(0, kSizes[t] / 2);
        const bool check_whole = rng.range(0, 1) == 0;
        VkDeviceSize check_size = check_whole ? kSizes[t] - check_offset : rng.range(1, kSizes[t] - check_offset);
        const uint8_t* seen = map(ctx, target, check_offset, check_whole ? VK_WHOLE_SIZE : check_size);
        if (std::memcmp(seen, &target.model[check_offset], check_size) != 0) {
            VkDeviceSize first = 0;
            while (seen[first] == target.model[check_offset + first]) ++first;
            throw TestFailure("map_cycles: cycle " + std::to_string(cycle) + ": allocation " + std::to_string(t) +
                              " byte " + std::to_string(check_offset + first) + " is " + std::to_string(seen[first]) +
                              ", expected " + std::to_string(target.model[check_offset + first]));
        }
        checksums.push_back(fnv1a(seen, check_size));
        vkUnmapMemory(ctx.device(), target.buffer.memory);
    }
    return bytes_of(checksums.data(), checksums.size() * sizeof(uint32_t));
}

}  // namespace anarchy::testprog
