// stale_fetch: the GPU fills 8 MiB of a persistently mapped host-visible buffer (vkCmdFillBuffer, a different word
// every 4 KiB) several times. Rounds 0-2: the host reads only a few scattered bytes; round 3: all of it; round 4:
// the host writes into part of the buffer after the GPU's writes and before reading (what is written wins), then
// reads it all. Through the remote driver, large GPU-written ranges become stale and are fetched on first touch
// (DESIGN.md decision 8), so rounds 0-2 bring down far fewer bytes than the GPU wrote. Output: the bytes read in
// each round (all of them as a checksum in rounds 3 and 4).
#include "memory_util.h"
#include "programs.h"

#include <cstring>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr VkDeviceSize kBytes = VkDeviceSize(8) << 20;
constexpr VkDeviceSize kSegment = 4096;
constexpr uint32_t kRounds = 5;
constexpr uint32_t kFewReads = 12;
// Round 4: the host's write.
constexpr VkDeviceSize kHostAt = (VkDeviceSize(3) << 20) + 1000, kHostBytes = 300 * 1024 + 7;

uint32_t fill_word(uint32_t round, VkDeviceSize segment) {
    return uint32_t((segment * 2654435761u) ^ (round * 0x9e3779b9u) ^ 0x5bd1e995u);
}

uint8_t expected_byte(uint32_t round, VkDeviceSize at) {
    uint32_t w = fill_word(round, at / kSegment);
    return uint8_t(w >> (8 * (at % 4)));
}

uint8_t host_byte(VkDeviceSize i) { return uint8_t(i * 37 + 11); }

}  // namespace

Output run_stale_fetch(TestContext& ctx) {
    VkDevice device = ctx.device();
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = kBytes;
    info.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    VkBuffer buffer;
    VK_CHECK(vkCreateBuffer(device, &info, nullptr, &buffer));
    ctx.own(buffer, vkDestroyBuffer);
    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(device, buffer, &requirements);
    uint32_t type = choose_memory_type(
        ctx, requirements.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, 0,
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, "stale_fetch");
    VkMemoryPropertyFlags flags = ctx.memory_properties().memoryTypes[type].propertyFlags;
    bool coherent = (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = type;
    VkDeviceMemory memory;
    VK_CHECK(vkAllocateMemory(device, &alloc, nullptr, &memory));
    ctx.own(memory, vkFreeMemory);
    VK_CHECK(vkBindBufferMemory(device, buffer, memory, 0));
    void* mapped = nullptr;
    VK_CHECK(vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, &mapped));
    auto* bytes = static_cast<uint8_t*>(mapped);
    VkMappedMemoryRange whole{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, memory, 0, VK_WHOLE_SIZE};

    Output out;
    Rng rng(0x57a1e);
    for (uint32_t round = 0; round < kRounds; ++round) {
        ctx.submit_and_wait([&](VkCommandBuffer cmd) {
            for (VkDeviceSize s = 0; s < kBytes / kSegment; ++s)
                vkCmdFillBuffer(cmd, buffer, s * kSegment, kSegment, fill_word(round, s));
            transfer_to_host_barrier(cmd);
        });
        if (!coherent) VK_CHECK(vkInvalidateMappedMemoryRanges(device, 1, &whole));
        auto check = [&](VkDeviceSize at, uint8_t want) {
            require(bytes[at] == want, "stale_fetch: round " + std::to_string(round) + ": byte " + std::to_string(at) +
                                           " is " + std::to_string(bytes[at]) + ", expected " + std::to_string(want));
        };
        if (round < 3) {
            // A few bytes in three of the eight MiB.
            for (uint32_t i = 0; i < kFewReads; ++i) {
                VkDeviceSize mib = (i % 3) * 3;  // MiB 0, 3 and 6
                VkDeviceSize at = (mib << 20) + rng.range(0, (VkDeviceSize(1) << 20) - 1);
                check(at, expected_byte(round, at));
                out.push_back(bytes[at]);
            }
            continue;
        }
        if (round == 4) {
            // The host writes after the GPU did and before reading: its bytes win.
            for (VkDeviceSize i = 0; i < kHostBytes; ++i) bytes[kHostAt + i] = host_byte(i);
            if (!coherent) VK_CHECK(vkFlushMappedMemoryRanges(device, 1, &whole));
        }
        for (VkDeviceSize at = 0; at < kBytes; ++at) {
            bool host = round == 4 && at >= kHostAt && at < kHostAt + kHostBytes;
            check(at, host ? host_byte(at - kHostAt) : expected_byte(round, at));
        }
        uint32_t sum = fnv1a(bytes, kBytes);
        for (int i = 0; i < 4; ++i) out.push_back(uint8_t(sum >> (8 * i)));
    }
    return out;
}

}  // namespace anarchy::testprog
