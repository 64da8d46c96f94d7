// readback_cached: the GPU writes host-visible HOST_CACHED memory (read-back heaps) with vkCmdFillBuffer,
// vkCmdUpdateBuffer, vkCmdCopyBuffer and vkCmdCopyImageToBuffer; the host reads after the fence. Three
// rounds over the same mapping, each changing the bytes, so a host copy left over from the round before
// shows. Falls back to any host-visible type (said on stderr only). Output: the bytes of every round.
#include "memory_util.h"
#include "programs.h"

#include <cstring>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr uint32_t kRounds = 3;
constexpr VkDeviceSize kSourceBytes = 96 * 1024;
constexpr uint32_t kImageSize = 64;  // RGBA8, 16 KiB
// The read-back buffer: [fill | update | copy | image], with gaps the GPU never writes.
constexpr VkDeviceSize kFillAt = 0, kFillBytes = 40000;  // multiple of 4
constexpr VkDeviceSize kUpdateAt = 40960, kUpdateBytes = 4096;
constexpr VkDeviceSize kCopyAt = 49152 + 16, kCopyBytes = 70000;
constexpr VkDeviceSize kImageAt = 122880 + 4096, kImageBytes = kImageSize * kImageSize * 4;
constexpr VkDeviceSize kTotal = kImageAt + kImageBytes + 4096;

uint8_t source_byte(uint32_t round, size_t i) {
    return uint8_t((i * 131 + (i >> 9) + round * 77) ^ 0x5a);
}

}  // namespace

Output run_readback_cached(TestContext& ctx) {
    VkDevice device = ctx.device();
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = kTotal;
    info.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    VkBuffer readback;
    VK_CHECK(vkCreateBuffer(device, &info, nullptr, &readback));
    ctx.own(readback, vkDestroyBuffer);
    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(device, readback, &requirements);
    uint32_t type = choose_memory_type(
        ctx, requirements.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0,
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, "readback_cached");
    VkMemoryPropertyFlags flags = ctx.memory_properties().memoryTypes[type].propertyFlags;
    std::fprintf(stderr, "readback_cached: memory type %u, %s, %s\n", type,
                 (flags & VK_MEMORY_PROPERTY_HOST_CACHED_BIT) ? "cached" : "uncached",
                 (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) ? "coherent" : "non-coherent");
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = type;
    VkDeviceMemory memory;
    VK_CHECK(vkAllocateMemory(device, &alloc, nullptr, &memory));
    ctx.own(memory, vkFreeMemory);
    VK_CHECK(vkBindBufferMemory(device, readback, memory, 0));
    void* mapped = nullptr;
    VK_CHECK(vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, &mapped));
    auto* bytes = static_cast<uint8_t*>(mapped);

    Buffer staging = ctx.create_buffer(kSourceBytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    Buffer source = ctx.create_buffer(kSourceBytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                      VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    Image image = ctx.create_image({VK_FORMAT_R8G8B8A8_UNORM, {kImageSize, kImageSize},
                                    VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT});

    // The gaps between the regions: the host writes them once; the GPU never touches them.
    std::vector<uint8_t> expected(kTotal);
    for (VkDeviceSize i = 0; i < kTotal; ++i) expected[i] = uint8_t(i * 7 + 3);
    std::memcpy(bytes, expected.data(), kTotal);
    if (!(flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)) {
        VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, memory, 0, VK_WHOLE_SIZE};
        VK_CHECK(vkFlushMappedMemoryRanges(device, 1, &range));
    }

    Output out;
    for (uint32_t round = 0; round < kRounds; ++round) {
        for (VkDeviceSize i = 0; i < kSourceBytes; ++i) staging.as<uint8_t>()[i] = source_byte(round, i);
        const uint32_t fill_word = 0x01020304u * (round + 1) ^ 0xa5a5a5a5u;
        uint8_t update[kUpdateBytes];
        for (VkDeviceSize i = 0; i < kUpdateBytes; ++i) update[i] = uint8_t(i * 13 + round * 29);
        const uint8_t clear[4] = {uint8_t(10 + round * 80), uint8_t(200 - round * 50), uint8_t(round * 33), 255};

        ctx.submit_and_wait([&](VkCommandBuffer cmd) {
            VkBufferCopy whole{0, 0, kSourceBytes};
            vkCmdCopyBuffer(cmd, staging.buffer, source.buffer, 1, &whole);
            image_barrier(cmd, image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                          VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT,
                          VK_ACCESS_2_TRANSFER_WRITE_BIT);
            VkClearColorValue color;
            for (int c = 0; c < 4; ++c) color.uint32[c] = 0;
            for (int c = 0; c < 4; ++c) color.float32[c] = clear[c] / 255.0f;
            VkImageSubresourceRange all{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
            vkCmdClearColorImage(cmd, image.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &color, 1, &all);
            // A stripe of the source buffer over the cleared image: rows 16..31.
            VkBufferImageCopy stripe{};
            stripe.bufferOffset = 1024;
            stripe.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
            stripe.imageOffset = {0, 16, 0};
            stripe.imageExtent = {kImageSize, 16, 1};
            transfer_barrier(cmd);
            vkCmdCopyBufferToImage(cmd, source.buffer, image.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &stripe);
            image_barrier(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                          VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                          VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT, VK_ACCESS_2_TRANSFER_READ_BIT);
            vkCmdFillBuffer(cmd, readback, kFillAt, kFillBytes, fill_word);
            vkCmdUpdateBuffer(cmd, readback, kUpdateAt, kUpdateBytes / 2, update);
            vkCmdUpdateBuffer(cmd, readback, kUpdateAt + kUpdateBytes / 2, kUpdateBytes / 2, update + kUpdateBytes / 2);
            VkBufferCopy copy{3, kCopyAt, kCopyBytes};  // unaligned on both sides
            vkCmdCopyBuffer(cmd, source.buffer, readback, 1, &copy);
            copy_image_to_buffer(cmd, image, readback, kImageAt);
            transfer_to_host_barrier(cmd);
        });
        if (!(flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)) {
            VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, memory, 0, VK_WHOLE_SIZE};
            VK_CHECK(vkInvalidateMappedMemoryRanges(device, 1, &range));
        }

        for (VkDeviceSize i = 0; i < kFillBytes; i += 4) std::memcpy(&expected[kFillAt + i], &fill_word, 4);
        std::memcpy(&expected[kUpdateAt], update, kUpdateBytes);
        for (VkDeviceSize i = 0; i < kCopyBytes; ++i) expected[kCopyAt + i] = source_byte(round, 3 + i);
        for (uint32_t y = 0; y < kImageSize; ++y)
            for (uint32_t x = 0; x < kImageSize; ++x)
                for (uint32_t c = 0; c < 4; ++c) {
                    size_t texel = (size_t(y) * kImageSize + x) * 4 + c;
                    expected[kImageAt + texel] =
                        (y >= 16 && y < 32) ? source_byte(round, 1024 + (size_t(y - 16) * kImageSize + x) * 4 + c)
                                            : clear[c];
                }
        for (VkDeviceSize i = 0; i < kTotal; ++i)
            require(bytes[i] == expected[i], "readback_cached: round " + std::to_string(round) + ": byte " +
                                                 std::to_string(i) + " is " + std::to_string(bytes[i]) +
                                                 ", expected " + std::to_string(expected[i]));
        out.insert(out.end(), bytes, bytes + kTotal);
    }
    return out;
}

}  // namespace anarchy::testprog
