// Nv12ToBgra (the Windows client's converter) against YuvToBgra (libswscale, the Linux client's): the same decoded
// picture must look the same on both clients.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "test_scene.h"
#include "video/nv12_to_bgra.h"
#include "video/yuv_to_bgra.h"

namespace anarchy::video {
namespace {

struct Nv12Image {
    uint32_t coded_w = 0, coded_h = 0;
    std::vector<uint8_t> y, uv;  // coded_w x coded_h and its interleaved half, with kSwsRowAlign slack
};

// The scene as I420 (test::to_i420), padded to the even coded size a decoder hands out, with chroma interleaved.
Nv12Image make_nv12(const test::I420Image& i420) {
    Nv12Image n;
    n.coded_w = i420.width + (i420.width & 1);
    n.coded_h = i420.height + (i420.height & 1);
    const uint32_t cw = n.coded_w / 2, ch = n.coded_h / 2;
    n.y.resize(size_t(n.coded_w) * n.coded_h + kSwsSlack);
    n.uv.resize(size_t(n.coded_w) * ch + kSwsSlack);
    for (uint32_t r = 0; r < n.coded_h; ++r)
        for (uint32_t x = 0; x < n.coded_w; ++x)
            n.y[size_t(r) * n.coded_w + x] =
                i420.y[size_t(std::min(r, i420.height - 1)) * i420.width + std::min(x, i420.width - 1)];
    for (uint32_t r = 0; r < ch; ++r)
        for (uint32_t x = 0; x < cw; ++x) {
            n.uv[size_t(r) * n.coded_w + 2 * x] = i420.u[size_t(r) * cw + x];
            n.uv[size_t(r) * n.coded_w + 2 * x + 1] = i420.v[size_t(r) * cw + x];
        }
    return n;
}

std::vector<uint8_t> with_libswscale(const Nv12Image& n, uint32_t w, uint32_t h) {
    PlaneRefs src;
    src.format = AV_PIX_FMT_NV12;
    src.data[0] = n.y.data();
    src.data[1] = n.uv.data();
    src.strides[0] = src.strides[1] = int(n.coded_w);
    std::vector<uint8_t> out(size_t(w) * h * 4);
    YuvToBgra converter;
    EXPECT_TRUE(converter.convert(src, int(n.coded_w), int(n.coded_h), YuvEncoding{}, out.data(), w, h).ok());
    return out;
}

std::vector<uint8_t> with_nv12_to_bgra(const Nv12Image& n, uint32_t w, uint32_t h, uint32_t threads) {
    std::vector<uint8_t> out(size_t(w) * h * 4);
    Nv12ToBgra converter(threads);
    converter.convert(Nv12Planes{n.y.data(), n.coded_w, n.uv.data(), n.coded_w}, w, h, YuvMatrix::Bt601, false,
                      out.data(), size_t(w) * 4);
    return out;
}

class Nv12ToBgraTest : public ::testing::TestWithParam<std::pair<uint32_t, uint32_t>> {};

TEST_P(Nv12ToBgraTest, MatchesLibswscale) {
    const auto [w, h] = GetParam();
    const Nv12Image nv12 = make_nv12(test::to_i420(test::make_scene_bgra(w, h, 5), w, h));
    const std::vector<uint8_t> reference = with_libswscale(nv12, w, h);
    const std::vector<uint8_t> ours = with_nv12_to_bgra(nv12, w, h, 1);
    EXPECT_TRUE(test::all_opaque(ours));
    int worst = 0;
    for (size_t i = 0; i < ours.size(); ++i) worst = std::max(worst, std::abs(int(ours[i]) - int(reference[i])));
    // libswscale's fast path truncates where we round: a level or two apart, never a different colour.
    EXPECT_LE(worst, 3);
    EXPECT_GE(test::psnr_bgr(ours, reference), 45.0);
}

TEST_P(Nv12ToBgraTest, ThreadsGiveTheSamePicture) {
    const auto [w, h] = GetParam();
    const Nv12Image nv12 = make_nv12(test::to_i420(test::make_scene_bgra(w, h, 9), w, h));
    EXPECT_EQ(with_nv12_to_bgra(nv12, w, h, 1), with_nv12_to_bgra(nv12, w, h, 4));
}

INSTANTIATE_TEST_SUITE_P(Sizes, Nv12ToBgraTest,
                         ::testing::Values(std::make_pair(97u, 61u), std::make_pair(320u, 240u),
                                           std::make_pair(1281u, 721u)));

TEST(Nv12ToBgra, FullRangeAndBt709Extremes) {
    // Y 235 / 16 with neutral chroma are white / black in limited range; 255 / 0 in full range. Pure red in
    // BT.709 limited range is Y 63, U 102, V 240.
    const uint8_t y[4] = {235, 16, 255, 0};
    const uint8_t uv[4] = {128, 128, 128, 128};
    uint8_t out[16];
    Nv12ToBgra converter(1);
    converter.convert(Nv12Planes{y, 4, uv, 4}, 2, 1, YuvMatrix::Bt601, false, out, 16);
    EXPECT_EQ(std::vector<uint8_t>(out, out + 8), (std::vector<uint8_t>{255, 255, 255, 255, 0, 0, 0, 255}));
    converter.convert(Nv12Planes{y + 2, 4, uv, 4}, 2, 1, YuvMatrix::Bt601, true, out, 16);
    EXPECT_EQ(std::vector<uint8_t>(out, out + 8), (std::vector<uint8_t>{255, 255, 255, 255, 0, 0, 0, 255}));
    const uint8_t red_y[2] = {63, 63}, red_uv[2] = {102, 240};
    converter.convert(Nv12Planes{red_y, 2, red_uv, 2}, 2, 1, YuvMatrix::Bt709, false, out, 8);
    EXPECT_LE(out[0], 2);
    EXPECT_LE(out[1], 2);
    EXPECT_GE(out[2], 253);
}

}  // namespace
}  // namespace anarchy::video
