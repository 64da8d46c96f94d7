#include "video/bgra_packer.h"

#include <gtest/gtest.h>

#include <vector>

#include "test_scene.h"

namespace anarchy::video {
namespace {

TEST(BgraPacker, CopiesStridedBgraAndForcesAlpha) {
    const uint32_t w = 5, h = 3, stride = 32;
    std::vector<uint8_t> src(stride * h, 0);
    for (uint32_t y = 0; y < h; ++y)
        for (uint32_t x = 0; x < w * 4; ++x) src[y * stride + x] = uint8_t(y * 40 + x);
    std::vector<uint8_t> out(w * h * 4);
    BgraPacker packer;
    ASSERT_TRUE(packer.pack(FrameView::packed(PixelFormat::Bgra8, src.data(), w, h, stride), out.data()));
    for (uint32_t y = 0; y < h; ++y)
        for (uint32_t x = 0; x < w; ++x)
            for (uint32_t c = 0; c < 4; ++c)
                EXPECT_EQ(out[(y * w + x) * 4 + c], c == 3 ? 255 : src[y * stride + x * 4 + c]);
}

TEST(BgraPacker, SwizzlesRgba) {
    const uint8_t rgba[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t out[8];
    BgraPacker packer;
    ASSERT_TRUE(packer.pack(FrameView::packed(PixelFormat::Rgba8, rgba, 2, 1), out));
    const uint8_t want[8] = {3, 2, 1, 255, 7, 6, 5, 255};
    for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], want[i]) << i;
}

TEST(BgraPacker, ConvertsI420CloseToTheOriginal) {
    for (auto [w, h] : {std::pair{97u, 61u}, std::pair{64u, 48u}}) {
        const auto bgra = test::make_scene_bgra(w, h, 3);
        const test::I420Image yuv = test::to_i420(bgra, w, h);
        std::vector<uint8_t> out(size_t(w) * h * 4);
        BgraPacker packer;
        ASSERT_TRUE(packer.pack(yuv.view(), out.data()));
        EXPECT_TRUE(test::all_opaque(out));
        // Limited range and 4:2:0 cost a little; a wrong matrix or range costs far more than this bound.
        EXPECT_GE(test::psnr_bgr(bgra, out), 38.0) << w << "x" << h;
    }
}

}  // namespace
}  // namespace anarchy::video
