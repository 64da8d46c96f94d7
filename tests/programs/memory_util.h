// Small pieces the mapped-memory programs share: a seeded generator, a checksum, memory-type choice by
// property flags with a fallback the program reports, and one-off host-visible allocations that the program
// maps, unmaps and frees itself (TestContext's buffers stay mapped until the end).
#pragma once

#include "test_context.h"

#include <cstdint>
#include <cstdio>

namespace anarchy::testprog {

/// splitmix64: the same numbers on every platform and standard library.
class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    /// Uniform in [lo, hi] (the slight modulo bias does not matter here).
    uint64_t range(uint64_t lo, uint64_t hi) { return lo + next() % (hi - lo + 1); }
    uint8_t byte() { return uint8_t(next() >> 56); }

private:
    uint64_t state_;
};

/// FNV-1a over `size` bytes, continuing from `hash`.
inline uint32_t fnv1a(const void* data, size_t size, uint32_t hash = 0x811c9dc5u) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < size; ++i) hash = (hash ^ p[i]) * 0x01000193u;
    return hash;
}

/// The first memory type allowed by `type_bits` with all of `wanted`; failing that, the first with all of
/// `fallback`. Says on stderr (never in the output: the remote driver may offer other types) when it falls back.
inline uint32_t choose_memory_type(const TestContext& ctx, uint32_t type_bits, VkMemoryPropertyFlags wanted,
                                   VkMemoryPropertyFlags avoid, VkMemoryPropertyFlags fallback, const char* who) {
    const VkPhysicalDeviceMemoryProperties& props = ctx.memory_properties();
    for (uint32_t i = 0; i < props.memoryTypeCount; ++i) {
        VkMemoryPropertyFlags flags = props.memoryTypes[i].propertyFlags;
        if ((type_bits & (1u << i)) && (flags & wanted) == wanted && !(flags & avoid)) return i;
    }
    for (uint32_t i = 0; i < props.memoryTypeCount; ++i) {
        VkMemoryPropertyFlags flags = props.memoryTypes[i].propertyFlags;
        if ((type_bits & (1u << i)) && (flags & fallback) == fallback) {
            std::fprintf(stderr, "%s: no memory type with flags 0x%x without 0x%x; using type %u (flags 0x%x)\n", who,
                         unsigned(wanted), unsigned(avoid), i, unsigned(flags));
            return i;
        }
    }
    throw TestFailure(std::string(who) + ": no host-visible memory type");
}

/// A buffer bound at offset 0 of memory of its own, neither owned by the context nor mapped: for programs
/// that map, unmap and free memory themselves.
struct LooseBuffer {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkDeviceSize size = 0;
    VkMemoryPropertyFlags memory_flags = 0;
};

inline LooseBuffer create_loose_buffer(TestContext& ctx, VkDeviceSize size, VkBufferUsageFlags usage,
                                       VkMemoryPropertyFlags flags) {
    LooseBuffer b;
    b.size = size;
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = size;
    info.usage = usage;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VK_CHECK(vkCreateBuffer(ctx.device(), &info, nullptr, &b.buffer));
    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(ctx.device(), b.buffer, &requirements);
    uint32_t type = ctx.find_memory_type(requirements.memoryTypeBits, flags);
    b.memory_flags = ctx.memory_properties().memoryTypes[type].propertyFlags;
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = type;
    VK_CHECK(vkAllocateMemory(ctx.device(), &alloc, nullptr, &b.memory));
    VK_CHECK(vkBindBufferMemory(ctx.device(), b.buffer, b.memory, 0));
    return b;
}

/// Destroys the buffer and frees its memory (which unmaps it if it is mapped).
inline void destroy_loose_buffer(TestContext& ctx, LooseBuffer& b) {
    vkDestroyBuffer(ctx.device(), b.buffer, nullptr);
    vkFreeMemory(ctx.device(), b.memory, nullptr);
    b = {};
}

/// A barrier from transfer writes to host reads, the last command of a read-back submission.
inline void transfer_to_host_barrier(VkCommandBuffer cmd) {
    memory_barrier(cmd, VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                   VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
}

/// A barrier between transfer commands (write then read or write).
inline void transfer_barrier(VkCommandBuffer cmd) {
    memory_barrier(cmd, VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                   VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT,
                   VK_ACCESS_2_TRANSFER_READ_BIT | VK_ACCESS_2_TRANSFER_WRITE_BIT);
}

}  // namespace anarchy::testprog
