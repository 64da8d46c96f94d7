#include "client/decoder_choice.h"

#include <gtest/gtest.h>

namespace anarchy::client {
namespace {

TEST(DecoderChoice, TheVariableDecidesWhereSet) {
    EXPECT_FALSE(prefer_hardware_decoding("0", 1));
    EXPECT_FALSE(prefer_hardware_decoding("0", 64));
    EXPECT_TRUE(prefer_hardware_decoding("1", 1));
    EXPECT_TRUE(prefer_hardware_decoding("1", 64));
}

TEST(DecoderChoice, UnsetSoftwareFirstWithEnoughCpusOnLinux) {
#ifdef _WIN32
    EXPECT_TRUE(prefer_hardware_decoding(nullptr, 64));
#else
    EXPECT_TRUE(prefer_hardware_decoding(nullptr, 1));
    EXPECT_TRUE(prefer_hardware_decoding(nullptr, kSoftwareFirstCpus - 1));
    EXPECT_FALSE(prefer_hardware_decoding(nullptr, kSoftwareFirstCpus));
    EXPECT_FALSE(prefer_hardware_decoding(nullptr, 16));
#endif
}

TEST(DecoderChoice, VideoBandsOnePerDecodingThreadWhereSoftwareDecodes) {
    EXPECT_EQ(video_bands_wanted(nullptr, false, 7), 7u);
    EXPECT_EQ(video_bands_wanted(nullptr, false, 1), 1u);
    EXPECT_EQ(video_bands_wanted(nullptr, false, 63), 16u);  // video::kMaxBands
    EXPECT_EQ(video_bands_wanted(nullptr, true, 7), 1u);     // a hardware decoder takes one stream
    EXPECT_EQ(video_bands_wanted("3", true, 7), 3u);
    EXPECT_EQ(video_bands_wanted("1", false, 7), 1u);
    // Not a number of bands: the default.
    EXPECT_EQ(video_bands_wanted("0", false, 7), 7u);
    EXPECT_EQ(video_bands_wanted("17", false, 7), 7u);
    EXPECT_EQ(video_bands_wanted("4x", true, 7), 1u);
}

}  // namespace
}  // namespace anarchy::client
