// transfer: every transfer command on buffers and RGBA8 images (copies with several regions and a row
// pitch, fills, updates, clears, NEAREST blits scaled up and down), all read back into one buffer and
// checked texel by texel against what the commands must produce.
#include "programs.h"

#include <cstring>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr VkFormat kFormat = VK_FORMAT_R8G8B8A8_UNORM;
constexpr VkDeviceSize kPatternBytes = 64 * 1024;
constexpr VkDeviceSize kCopiedBytes = 16 * 1024;
constexpr uint32_t kFillWord = 0xdeadbeefu;
constexpr uint32_t kTailFillWord = 0x01234567u;
constexpr VkDeviceSize kUpdateOffset = 12288, kTailFillOffset = 14336, kTailFillBytes = 1024;
constexpr VkBufferCopy kCopyRegions[3] = {{0, 256, 1024}, {4096, 2048, 512}, {10000, 8192, 3000}};
// Image A (64x64) is loaded from the pattern in two halves: the top with a row pitch of 80 texels, the
// bottom tightly packed from kBottomHalfOffset.
constexpr uint32_t kRowLength = 80;
constexpr VkDeviceSize kBottomHalfOffset = 32768;
// B (128x128) is cleared, then gets a 48x40 piece of A at (70, 80).
constexpr uint8_t kClearB[4] = {32, 96, 160, 255};
constexpr VkOffset2D kPieceAt{70, 80};
constexpr VkExtent2D kPiece{48, 40};
// C (64x64) is a 2x enlargement of B's 32x32 square at (60, 70); D (32x32) a 3x reduction of B's top-left 96x96.
constexpr VkOffset2D kEnlargedFrom{60, 70};

struct Texel {
    uint8_t c[4];
};

uint8_t pattern_byte(size_t i) {
    return uint8_t(i * 31 + (i >> 8));
}

VkClearColorValue clear_value(const uint8_t rgba[4]) {
    VkClearColorValue value;
    for (int i = 0; i < 4; ++i) value.float32[i] = rgba[i] / 255.0f;
    return value;
}

VkImageSubresourceLayers color_layers() {
    return {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
}

// The read-back buffer's layout: the copied buffer, then images A, B, C and D, tightly packed.
struct Layout {
    VkDeviceSize copied = 0, a = kCopiedBytes, b = a + 64 * 64 * 4, c = b + 128 * 128 * 4, d = c + 64 * 64 * 4,
                 total = d + 32 * 32 * 4;
};

std::vector<uint8_t> expected_bytes(const Layout& layout) {
    std::vector<uint8_t> out(layout.total);
    // The copied buffer: filled, then copy regions, the update and the tail fill on top.
    for (VkDeviceSize i = 0; i < kCopiedBytes; i += 4) std::memcpy(&out[i], &kFillWord, 4);
    for (const VkBufferCopy& region : kCopyRegions)
        for (VkDeviceSize i = 0; i < region.size; ++i) out[region.dstOffset + i] = pattern_byte(region.srcOffset + i);
    for (VkDeviceSize i = 0; i < 64; ++i) out[kUpdateOffset + i] = uint8_t(i * 3 + 1);
    for (VkDeviceSize i = 0; i < kTailFillBytes; i += 4) std::memcpy(&out[kTailFillOffset + i], &kTailFillWord, 4);

    auto texel = [&](VkDeviceSize base, uint32_t width, uint32_t x, uint32_t y) {
        return reinterpret_cast<Texel*>(&out[base + (size_t(y) * width + x) * 4]);
    };
    for (uint32_t y = 0; y < 64; ++y)
        for (uint32_t x = 0; x < 64; ++x) {
            size_t source = y < 32 ? (size_t(y) * kRowLength + x) * 4 : kBottomHalfOffset + ((y - 32) * 64 + x) * 4;
            for (int c = 0; c < 4; ++c) texel(layout.a, 64, x, y)->c[c] = pattern_byte(source + c);
        }
    for (uint32_t y = 0; y < 128; ++y)
        for (uint32_t x = 0; x < 128; ++x) {
            bool in_piece = x >= uint32_t(kPieceAt.x) && x < kPieceAt.x + kPiece.width && y >= uint32_t(kPieceAt.y) &&
                            y < kPieceAt.y + kPiece.height;
            *texel(layout.b, 128, x, y) = in_piece ? *texel(layout.a, 64, x - kPieceAt.x, y - kPieceAt.y)
                                                   : Texel{{kClearB[0], kClearB[1], kClearB[2], kClearB[3]}};
        }
    // NEAREST blits sample the source at ((x + 0.5) * scale), which never falls on a texel edge here.
    for (uint32_t y = 0; y < 64; ++y)
        for (uint32_t x = 0; x < 64; ++x)
            *texel(layout.c, 64, x, y) = *texel(layout.b, 128, kEnlargedFrom.x + x / 2, kEnlargedFrom.y + y / 2);
    for (uint32_t y = 0; y < 32; ++y)
        for (uint32_t x = 0; x < 32; ++x) *texel(layout.d, 32, x, y) = *texel(layout.b, 128, 3 * x + 1, 3 * y + 1);
    return out;
}

}  // namespace

Output run_transfer(TestContext& ctx) {
    ctx.require_format_features(kFormat, VK_FORMAT_FEATURE_TRANSFER_SRC_BIT | VK_FORMAT_FEATURE_TRANSFER_DST_BIT |
                                             VK_FORMAT_FEATURE_BLIT_SRC_BIT | VK_FORMAT_FEATURE_BLIT_DST_BIT);
    const Layout layout;
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    const VkBufferUsageFlags both = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    const VkImageUsageFlags image_usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;

    Buffer pattern = ctx.create_buffer(kPatternBytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, host);
    for (VkDeviceSize i = 0; i < kPatternBytes; ++i) pattern.as<uint8_t>()[i] = pattern_byte(i);
    Buffer copied = ctx.create_buffer(kCopiedBytes, both, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    Buffer readback = ctx.create_buffer(layout.total, VK_BUFFER_USAGE_TRANSFER_DST_BIT, host);
    Image a = ctx.create_image({kFormat, {64, 64}, image_usage});
    Image b = ctx.create_image({kFormat, {128, 128}, image_usage});
    Image c = ctx.create_image({kFormat, {64, 64}, image_usage});
    Image d = ctx.create_image({kFormat, {32, 32}, image_usage});

    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        const VkPipelineStageFlags2 transfer = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT;
        const VkAccessFlags2 write = VK_ACCESS_2_TRANSFER_WRITE_BIT;
        const VkAccessFlags2 read_write = VK_ACCESS_2_TRANSFER_READ_BIT | VK_ACCESS_2_TRANSFER_WRITE_BIT;

        // Buffers: a fill of the whole buffer, then disjoint copies, an update and a second fill over it.
        vkCmdFillBuffer(cmd, copied.buffer, 0, VK_WHOLE_SIZE, kFillWord);
        memory_barrier(cmd, transfer, write, transfer, write);
        vkCmdCopyBuffer(cmd, pattern.buffer, copied.buffer, 3, kCopyRegions);
        uint8_t update[64];
        for (int i = 0; i < 64; ++i) update[i] = uint8_t(i * 3 + 1);
        vkCmdUpdateBuffer(cmd, copied.buffer, kUpdateOffset, sizeof update, update);
        vkCmdFillBuffer(cmd, copied.buffer, kTailFillOffset, kTailFillBytes, kTailFillWord);

        // A from the pattern buffer, in two regions with different row pitches.
        for (const Image* image : {&a, &b, &c, &d})
            image_barrier(cmd, *image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                          VK_PIPELINE_STAGE_2_NONE, 0, transfer, write);
        VkBufferImageCopy halves[2] = {};
        halves[0].bufferRowLength = kRowLength;
        halves[0].imageSubresource = color_layers();
        halves[0].imageExtent = {64, 32, 1};
        halves[1].bufferOffset = kBottomHalfOffset;
        halves[1].imageSubresource = color_layers();
        halves[1].imageOffset = {0, 32, 0};
        halves[1].imageExtent = {64, 32, 1};
        vkCmdCopyBufferToImage(cmd, pattern.buffer, a.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 2, halves);

        // B: cleared, then a piece of A copied into it.
        VkClearColorValue clear_b = clear_value(kClearB);
        VkImageSubresourceRange whole{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        vkCmdClearColorImage(cmd, b.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &clear_b, 1, &whole);
        image_barrier(cmd, a, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, transfer,
                      write, transfer, VK_ACCESS_2_TRANSFER_READ_BIT);
        memory_barrier(cmd, transfer, write, transfer, read_write);  // the clear of B before the copy into it
        VkImageCopy piece{};
        piece.srcSubresource = color_layers();
        piece.dstSubresource = color_layers();
        piece.dstOffset = {kPieceAt.x, kPieceAt.y, 0};
        piece.extent = {kPiece.width, kPiece.height, 1};
        vkCmdCopyImage(cmd, a.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, b.image,
                       VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &piece);
        image_barrier(cmd, b, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, transfer,
                      write, transfer, VK_ACCESS_2_TRANSFER_READ_BIT);

        // C and D: NEAREST blits of B, enlarged and reduced.
        VkImageBlit enlarge{};
        enlarge.srcSubresource = color_layers();
        enlarge.srcOffsets[0] = {kEnlargedFrom.x, kEnlargedFrom.y, 0};
        enlarge.srcOffsets[1] = {kEnlargedFrom.x + 32, kEnlargedFrom.y + 32, 1};
        enlarge.dstSubresource = color_layers();
        enlarge.dstOffsets[1] = {64, 64, 1};
        vkCmdBlitImage(cmd, b.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, c.image,
                       VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &enlarge, VK_FILTER_NEAREST);
        VkImageBlit reduce{};
        reduce.srcSubresource = color_layers();
        reduce.srcOffsets[1] = {96, 96, 1};
        reduce.dstSubresource = color_layers();
        reduce.dstOffsets[1] = {32, 32, 1};
        vkCmdBlitImage(cmd, b.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, d.image,
                       VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &reduce, VK_FILTER_NEAREST);
        for (const Image* image : {&c, &d})
            image_barrier(cmd, *image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                          transfer, write, transfer, VK_ACCESS_2_TRANSFER_READ_BIT);

        // Everything into the read-back buffer.
        memory_barrier(cmd, transfer, write, transfer, VK_ACCESS_2_TRANSFER_READ_BIT);
        VkBufferCopy whole_copied{0, layout.copied, kCopiedBytes};
        vkCmdCopyBuffer(cmd, copied.buffer, readback.buffer, 1, &whole_copied);
        copy_image_to_buffer(cmd, a, readback.buffer, layout.a);
        copy_image_to_buffer(cmd, b, readback.buffer, layout.b);
        copy_image_to_buffer(cmd, c, readback.buffer, layout.c);
        copy_image_to_buffer(cmd, d, readback.buffer, layout.d);
        memory_barrier(cmd, transfer, write, VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
    });

    const auto* bytes = readback.as<const uint8_t>();
    std::vector<uint8_t> expected = expected_bytes(layout);
    const struct {
        const char* name;
        VkDeviceSize begin, end;
    } parts[] = {{"copied buffer", layout.copied, layout.a},
                 {"image A", layout.a, layout.b},
                 {"image B", layout.b, layout.c},
                 {"image C (enlarged blit)", layout.c, layout.d},
                 {"image D (reduced blit)", layout.d, layout.total}};
    for (const auto& part : parts)
        for (VkDeviceSize i = part.begin; i < part.end; ++i)
            require(bytes[i] == expected[i], std::string("transfer: ") + part.name + " byte " +
                                                 std::to_string(i - part.begin) + " is " + std::to_string(bytes[i]) +
                                                 ", expected " + std::to_string(expected[i]));
    return bytes_of(bytes, layout.total);
}

}  // namespace anarchy::testprog
