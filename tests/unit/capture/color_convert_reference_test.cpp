#include "server/capture/color_convert_reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "server/capture/capture_format.h"

namespace anarchy::server::capture::test {
namespace {

TEST(ColorConvertReference, KnownColours) {
    // BT.601 limited range: black and white span Y 16..235, greys have neutral chroma.
    EXPECT_EQ(rgb_to_y(0, 0, 0), 16);
    EXPECT_EQ(rgb_to_y(255, 255, 255), 235);
    EXPECT_EQ(rgb_to_u(0, 0, 0), 128);
    EXPECT_EQ(rgb_to_v(0, 0, 0), 128);
    EXPECT_EQ(rgb_to_u(255, 255, 255), 128);
    EXPECT_EQ(rgb_to_v(255, 255, 255), 128);
    // Pure primaries, worked by hand from the formula (>> rounds towards minus infinity).
    EXPECT_EQ(rgb_to_y(255, 0, 0), 82);
    EXPECT_EQ(rgb_to_u(255, 0, 0), 90);
    EXPECT_EQ(rgb_to_v(255, 0, 0), 240);
    EXPECT_EQ(rgb_to_y(0, 0, 255), 41);
    EXPECT_EQ(rgb_to_u(0, 0, 255), 240);
    EXPECT_EQ(rgb_to_v(0, 0, 255), 110);
    EXPECT_EQ(rgb_to_y(0, 255, 0), 144);
    EXPECT_EQ(rgb_to_u(0, 255, 0), 54);
    EXPECT_EQ(rgb_to_v(0, 255, 0), 34);
}

TEST(ColorConvertReference, EveryOutputStaysInLimitedRange) {
    for (int r = 0; r < 256; r += 5)
        for (int g = 0; g < 256; g += 5)
            for (int b = 0; b < 256; b += 5) {
                ASSERT_GE(rgb_to_y(r, g, b), 16);
                ASSERT_LE(rgb_to_y(r, g, b), 235);
                ASSERT_GE(rgb_to_u(r, g, b), 16);
                ASSERT_LE(rgb_to_u(r, g, b), 240);
                ASSERT_GE(rgb_to_v(r, g, b), 16);
                ASSERT_LE(rgb_to_v(r, g, b), 240);
            }
}

TEST(ColorConvertReference, AveragesEachBlockAndRepeatsTheEdgeOfOddSizes) {
    // 3x1 BGRA: red, blue, green. Luma is padded to 4x2; chroma is 2x1.
    const uint8_t bgra[] = {0, 0, 255, 255, 255, 0, 0, 255, 0, 255, 0, 255};
    std::vector<uint8_t> y(4 * 2, 0xee), u(2, 0xee), v(2, 0xee);
    bgra_to_i420_reference(bgra, sizeof bgra, 3, 1, {y.data(), 4, u.data(), 2, v.data(), 2});
    const std::vector<uint8_t> expected_row = {82, 41, 144, 144};  // the last column repeated
    EXPECT_EQ(std::vector<uint8_t>(y.begin(), y.begin() + 4), expected_row);
    EXPECT_EQ(std::vector<uint8_t>(y.begin() + 4, y.end()), expected_row);  // the last row repeated
    // Block 0: red, blue twice each -> mean (128, 0, 128) rounded from (255+255+0+0+2)/4 = 128.
    EXPECT_EQ(u[0], rgb_to_u(128, 0, 128));
    EXPECT_EQ(v[0], rgb_to_v(128, 0, 128));
    // Block 1: green four times (the repeated column and row).
    EXPECT_EQ(u[1], rgb_to_u(0, 255, 0));
    EXPECT_EQ(v[1], rgb_to_v(0, 255, 0));
}

TEST(ColorConvertReference, RoundsTheBlockMean) {
    // R values 0, 0, 0, 2: mean 0.5 rounds up to 1; 0, 0, 0, 1: 0.25 rounds down to 0.
    EXPECT_EQ(average4(0, 0, 0, 2), 1);
    EXPECT_EQ(average4(0, 0, 0, 1), 0);
    EXPECT_EQ(average4(255, 255, 255, 255), 255);
}

TEST(ColorConvertReference, RepacksSourceFormatsAsBgra) {
    const uint8_t rgba[] = {10, 20, 30, 40};
    uint8_t out[4] = {};
    ASSERT_TRUE(texels_to_bgra_reference(VK_FORMAT_R8G8B8A8_SRGB, rgba, 4, 1, 1, out, 4));
    EXPECT_EQ(out[0], 30);
    EXPECT_EQ(out[1], 20);
    EXPECT_EQ(out[2], 10);
    EXPECT_EQ(out[3], 40);
    ASSERT_TRUE(texels_to_bgra_reference(VK_FORMAT_B8G8R8A8_UNORM, rgba, 4, 1, 1, out, 4));
    EXPECT_EQ(out[0], 10);
    EXPECT_EQ(out[2], 30);

    // A2B10G10R10: R = 1023, G = 512, B = 0, A = 1.
    const uint32_t packed = 1023u | (512u << 10) | (0u << 20) | (1u << 30);
    ASSERT_TRUE(texels_to_bgra_reference(VK_FORMAT_A2B10G10R10_UNORM_PACK32, reinterpret_cast<const uint8_t*>(&packed),
                                         4, 1, 1, out, 4));
    EXPECT_EQ(out[0], 0);
    EXPECT_EQ(out[1], 128);  // 512 * 255 / 1023 = 127.6
    EXPECT_EQ(out[2], 255);
    EXPECT_EQ(out[3], 85);
    ASSERT_TRUE(texels_to_bgra_reference(VK_FORMAT_A2R10G10B10_UNORM_PACK32, reinterpret_cast<const uint8_t*>(&packed),
                                         4, 1, 1, out, 4));
    EXPECT_EQ(out[0], 255);
    EXPECT_EQ(out[2], 0);

    EXPECT_FALSE(texels_to_bgra_reference(VK_FORMAT_R16G16B16A16_SFLOAT, rgba, 8, 1, 1, out, 4));
}

TEST(ColorConvertReference, TenBitRoundingIsToNearest) {
    for (uint32_t v = 0; v < 1024; ++v) {
        const double exact = v * 255.0 / 1023.0;
        EXPECT_LE(std::abs(double(unorm10_to_unorm8(v)) - exact), 0.5) << v;
    }
}

}  // namespace
}  // namespace anarchy::server::capture::test
