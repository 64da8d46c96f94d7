// mapped_ring: a 256 MiB HOST_VISIBLE|HOST_COHERENT upload buffer mapped once for the whole run, the way
// engines keep upload heaps. Each of 30 frames the host makes ~200 small writes (8-256 bytes) at random
// offsets spread over all 256 MiB; one vkCmdCopyBuffer gathers those ranges into a device-local buffer and
// a second scatters them back to the same offsets of a 256 MiB host-visible read-back buffer, also mapped
// for the whole run. After the frame's fence the host checks every range and the bytes around it, so a
// write the driver missed, or a stale page it brought back, fails the frame. Output: a checksum per frame.
#include "memory_util.h"
#include "programs.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr VkDeviceSize kMapped = 256ull << 20;
constexpr uint32_t kFrames = 30;
constexpr uint32_t kWritesPerFrame = 200;
constexpr VkDeviceSize kGuard = 8;  // bytes checked on each side of a range
constexpr VkDeviceSize kStratum = kMapped / kWritesPerFrame;

}  // namespace

Output run_mapped_ring(TestContext& ctx) {
    const VkMemoryPropertyFlags coherent = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    Buffer upload = ctx.create_buffer(kMapped, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, coherent);
    Buffer readback = ctx.create_buffer(kMapped, VK_BUFFER_USAGE_TRANSFER_DST_BIT, coherent);
    Buffer gathered = ctx.create_buffer(kWritesPerFrame * 256,
                                        VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                        VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    // What the read-back buffer must hold: zero (filled below) except where frames wrote. calloc leaves the
    // untouched pages unbacked, so this costs what the frames touch.
    std::unique_ptr<uint8_t, decltype(&std::free)> model(static_cast<uint8_t*>(std::calloc(kMapped, 1)), &std::free);
    require(model != nullptr, "mapped_ring: out of host memory for the model");
    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        vkCmdFillBuffer(cmd, readback.buffer, 0, VK_WHOLE_SIZE, 0);
        transfer_to_host_barrier(cmd);
    });

    VkCommandPool pool = ctx.create_command_pool(VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT);
    VkCommandBuffer cmd = ctx.allocate_command_buffer(pool);
    VkFence fence = ctx.create_fence();
    Rng rng(0x6d617070u);
    auto* up = upload.as<uint8_t>();
    auto* back = readback.as<const uint8_t>();
    std::vector<uint32_t> checksums;
    std::vector<VkBufferCopy> gather(kWritesPerFrame), scatter(kWritesPerFrame);
    for (uint32_t frame = 0; frame < kFrames; ++frame) {
        // One range per stratum of the mapping, so ranges never overlap and cover all 256 MiB.
        VkDeviceSize packed = 0;
        for (uint32_t i = 0; i < kWritesPerFrame; ++i) {
            VkDeviceSize size = rng.range(8, 256);
            VkDeviceSize offset = i * kStratum + rng.range(kGuard, kStratum - size - kGuard);
            for (VkDeviceSize b = 0; b < size; ++b) up[offset + b] = model.get()[offset + b] = rng.byte();
            gather[i] = {offset, packed, size};
            scatter[i] = {packed, offset, size};
            packed += size;
        }
        begin_command_buffer(cmd);
        vkCmdCopyBuffer(cmd, upload.buffer, gathered.buffer, kWritesPerFrame, gather.data());
        transfer_barrier(cmd);
        vkCmdCopyBuffer(cmd, gathered.buffer, readback.buffer, kWritesPerFrame, scatter.data());
        transfer_to_host_barrier(cmd);
        VK_CHECK(vkEndCommandBuffer(cmd));
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd;
        VK_CHECK(vkQueueSubmit(ctx.queue(), 1, &submit, fence));
        VK_CHECK(vkWaitForFences(ctx.device(), 1, &fence, VK_TRUE, UINT64_MAX));
        VK_CHECK(vkResetFences(ctx.device(), 1, &fence));

        uint32_t checksum = 0x811c9dc5u;
        for (const VkBufferCopy& range : scatter) {
            VkDeviceSize begin = range.dstOffset - kGuard, end = range.dstOffset + range.size + kGuard;
            for (VkDeviceSize b = begin; b < end; ++b)
                if (back[b] != model.get()[b])
                    throw TestFailure("mapped_ring: frame " + std::to_string(frame) + ": read-back byte at " +
                                      std::to_string(b) + " is " + std::to_string(back[b]) + ", expected " +
                                      std::to_string(model.get()[b]) + " (range at " +
                                      std::to_string(range.dstOffset) + ", " + std::to_string(range.size) +
                                      " bytes)");
            checksum = fnv1a(back + range.dstOffset, range.size, checksum);
        }
        checksums.push_back(checksum);
    }
    return bytes_of(checksums.data(), checksums.size() * sizeof(uint32_t));
}

}  // namespace anarchy::testprog
