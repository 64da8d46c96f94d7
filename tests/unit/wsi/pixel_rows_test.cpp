// Row copies: strides on either side and the byte swap for MSBFirst X servers.
#include "client/wsi/pixel_rows.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace anarchy::client::wsi::test {
namespace {

TEST(PixelRows, CopiesBetweenStrides) {
    std::vector<uint8_t> src(3 * 20), dst(3 * 12, 0xAA);
    for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i);
    copy_rows(dst.data(), 12, src.data(), 20, 8, 3);
    for (int y = 0; y < 3; ++y) {
        for (int x = 0; x < 8; ++x) EXPECT_EQ(dst[y * 12 + x], src[y * 20 + x]);
        for (int x = 8; x < 12; ++x) EXPECT_EQ(dst[y * 12 + x], 0xAA);  // past the row: untouched
    }
}

TEST(PixelRows, SwapsEachPixel) {
    const uint8_t src[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t dst[8] = {};
    copy_rows_swapped(dst, 8, src, 8, 8, 1);
    const uint8_t want[8] = {4, 3, 2, 1, 8, 7, 6, 5};
    EXPECT_EQ(std::memcmp(dst, want, 8), 0);
}

}  // namespace
}  // namespace anarchy::client::wsi::test
