// threads_writing: two threads write one persistently mapped buffer at the same time. The bytes are split
// between them in 16-byte chunks (even chunks to one thread, odd to the other), so every 4 KiB page is
// written by both at once; each makes many small writes (1-16 bytes) at random places in its own chunks.
// Then one submission copies the whole buffer into a read-back buffer, which the host checks against what
// the threads wrote. 20 rounds. Output: a checksum per round.
#include "memory_util.h"
#include "programs.h"
#include "start_latch.h"

#include <cstring>
#include <thread>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr VkDeviceSize kBytes = 4 << 20;
constexpr VkDeviceSize kChunk = 16;
constexpr uint32_t kRounds = 20;
constexpr uint32_t kWritesPerThread = 20000;

// Thread `t`'s writes of round `round` into `dst` (the mapping, or the model: same bytes either way).
void write_half(uint8_t* dst, uint32_t round, uint32_t t) {
    Rng rng(0x74687264ull * (round + 1) + t);
    const VkDeviceSize chunks = kBytes / kChunk / 2;
    for (uint32_t w = 0; w < kWritesPerThread; ++w) {
        VkDeviceSize chunk = rng.range(0, chunks - 1) * 2 + t;
        VkDeviceSize size = rng.range(1, kChunk);
        VkDeviceSize offset = chunk * kChunk + rng.range(0, kChunk - size);
        uint8_t bytes[kChunk];
        for (VkDeviceSize b = 0; b < size; ++b) bytes[b] = rng.byte();
        std::memcpy(dst + offset, bytes, size);
    }
}

}  // namespace

Output run_threads_writing(TestContext& ctx) {
    const VkMemoryPropertyFlags coherent = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    Buffer shared = ctx.create_buffer(kBytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                      coherent);
    Buffer readback = ctx.create_buffer(kBytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT, coherent);
    std::memset(shared.mapped, 0, kBytes);
    std::vector<uint8_t> model(kBytes, 0);
    std::vector<uint32_t> checksums;
    for (uint32_t round = 0; round < kRounds; ++round) {
        StartLatch start(2);
        std::vector<std::thread> threads;
        for (uint32_t t = 0; t < 2; ++t)
            threads.emplace_back([&, t] {
                start.arrive_and_wait();
                write_half(shared.as<uint8_t>(), round, t);
            });
        for (auto& thread : threads) thread.join();
        for (uint32_t t = 0; t < 2; ++t) write_half(model.data(), round, t);

        ctx.submit_and_wait([&](VkCommandBuffer cmd) {
            VkBufferCopy whole{0, 0, kBytes};
            vkCmdCopyBuffer(cmd, shared.buffer, readback.buffer, 1, &whole);
            transfer_to_host_barrier(cmd);
        });
        const auto* got = readback.as<const uint8_t>();
        if (std::memcmp(got, model.data(), kBytes) != 0) {
            VkDeviceSize first = 0;
            while (got[first] == model[first]) ++first;
            throw TestFailure("threads_writing: round " + std::to_string(round) + ": read-back byte " +
                              std::to_string(first) + " is " + std::to_string(got[first]) + ", expected " +
                              std::to_string(model[first]) + " (written by thread " +
                              std::to_string(first / kChunk % 2) + ")");
        }
        checksums.push_back(fnv1a(got, kBytes));
    }
    return bytes_of(checksums.data(), checksums.size() * sizeof(uint32_t));
}

}  // namespace anarchy::testprog
