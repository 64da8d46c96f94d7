// noncoherent: explicit flushes and invalidates of sub-ranges on a non-coherent host-visible type (coherent
// where the device has none, said on stderr). Each round the host writes a few sub-ranges of a mapped upload
// buffer aligned to nonCoherentAtomSize and flushes only those (one with VK_WHOLE_SIZE to the end); the GPU
// copies them through a device-local buffer into a mapped read-back buffer at other offsets; the host
// invalidates only those sub-ranges and reads them. Only flushed bytes are read by the GPU and only
// invalidated bytes by the host, so the result is the same on any memory type. Output: the bytes read.
#include "memory_util.h"
#include "programs.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr VkDeviceSize kBytes = 1 << 20;
constexpr uint32_t kRounds = 12;
constexpr uint32_t kRangesPerRound = 6;

struct HostBuffer {
    VkBuffer buffer;
    VkDeviceMemory memory;
    uint8_t* mapped;
};

HostBuffer create_host_buffer(TestContext& ctx, VkBufferUsageFlags usage, const char* what) {
    VkDevice device = ctx.device();
    HostBuffer b;
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = kBytes;
    info.usage = usage;
    VK_CHECK(vkCreateBuffer(device, &info, nullptr, &b.buffer));
    ctx.own(b.buffer, vkDestroyBuffer);
    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(device, b.buffer, &requirements);
    uint32_t type = choose_memory_type(ctx, requirements.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                                       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                                       "noncoherent");
    std::fprintf(stderr, "noncoherent: %s on memory type %u (%s)\n", what, type,
                 (ctx.memory_properties().memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)
                     ? "coherent"
                     : "non-coherent");
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = type;
    VK_CHECK(vkAllocateMemory(device, &alloc, nullptr, &b.memory));
    ctx.own(b.memory, vkFreeMemory);
    VK_CHECK(vkBindBufferMemory(device, b.buffer, b.memory, 0));
    void* mapped;
    VK_CHECK(vkMapMemory(device, b.memory, 0, VK_WHOLE_SIZE, 0, &mapped));
    b.mapped = static_cast<uint8_t*>(mapped);
    return b;
}

}  // namespace

Output run_noncoherent(TestContext& ctx) {
    VkDevice device = ctx.device();
    const VkDeviceSize atom = std::max<VkDeviceSize>(ctx.limits().nonCoherentAtomSize, 1);
    require(kBytes % atom == 0, "noncoherent: nonCoherentAtomSize does not divide 1 MiB");
    const VkDeviceSize atoms = kBytes / atom;
    HostBuffer upload = create_host_buffer(ctx, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, "upload");
    HostBuffer readback = create_host_buffer(ctx, VK_BUFFER_USAGE_TRANSFER_DST_BIT, "read-back");
    Buffer middle = ctx.create_buffer(kBytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                      VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    Rng rng(0x6e6f6e63u);
    Output out;
    for (uint32_t round = 0; round < kRounds; ++round) {
        // Ranges in atoms, in disjoint slices of the buffer so they never overlap; the last one runs to the
        // end of the buffer and is flushed with VK_WHOLE_SIZE.
        const VkDeviceSize slice = atoms / kRangesPerRound;
        std::vector<VkMappedMemoryRange> flushed, invalidated;
        std::vector<VkBufferCopy> to_middle, to_readback;
        std::vector<std::vector<uint8_t>> written;
        for (uint32_t i = 0; i < kRangesPerRound; ++i) {
            const bool last = i == kRangesPerRound - 1;
            VkDeviceSize first = i * slice + rng.range(0, slice / 2);
            VkDeviceSize count = last ? atoms - first : rng.range(1, std::min<VkDeviceSize>(slice / 2, 64));
            VkDeviceSize offset = first * atom, size = count * atom;
            std::vector<uint8_t> bytes(size);
            for (auto& b : bytes) b = rng.byte();
            std::memcpy(upload.mapped + offset, bytes.data(), size);
            flushed.push_back({VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, upload.memory, offset,
                               last ? VK_WHOLE_SIZE : size});
            // Into the read-back buffer's mirror slice: range i of round r lands in slice (i + r + 1) % n.
            VkDeviceSize mirror_first = ((i + round + 1) % kRangesPerRound) * slice + (first - i * slice);
            if (mirror_first + count > atoms) mirror_first = atoms - count;
            to_middle.push_back({offset, offset, size});
            to_readback.push_back({offset, mirror_first * atom, size});
            invalidated.push_back(
                {VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, readback.memory, mirror_first * atom, size});
            written.push_back(std::move(bytes));
        }
        // Ranges mirrored into one slice may overlap in the read-back buffer: copy them one region at a time
        // in order, so the later wins on every driver.
        VK_CHECK(vkFlushMappedMemoryRanges(device, uint32_t(flushed.size()), flushed.data()));
        ctx.submit_and_wait([&](VkCommandBuffer cmd) {
            vkCmdCopyBuffer(cmd, upload.buffer, middle.buffer, uint32_t(to_middle.size()), to_middle.data());
            transfer_barrier(cmd);
            for (const VkBufferCopy& region : to_readback) {
                vkCmdCopyBuffer(cmd, middle.buffer, readback.buffer, 1, &region);
                transfer_barrier(cmd);
            }
            transfer_to_host_barrier(cmd);
        });
        VK_CHECK(vkInvalidateMappedMemoryRanges(device, uint32_t(invalidated.size()), invalidated.data()));
        // The model: the ranges in order, later ones overwriting earlier ones where they overlap.
        std::vector<uint8_t> model(kBytes);
        for (size_t i = 0; i < written.size(); ++i)
            for (VkDeviceSize b = 0; b < to_readback[i].size; ++b)
                model[to_readback[i].dstOffset + b] = written[i][b];
        for (const VkMappedMemoryRange& range : invalidated) {
            for (VkDeviceSize b = range.offset; b < range.offset + range.size; ++b)
                require(readback.mapped[b] == model[b],
                        "noncoherent: round " + std::to_string(round) + ": read-back byte " + std::to_string(b) +
                            " is " + std::to_string(readback.mapped[b]) + ", expected " + std::to_string(model[b]));
            out.insert(out.end(), readback.mapped + range.offset, readback.mapped + range.offset + range.size);
        }
    }
    return out;
}

}  // namespace anarchy::testprog
