#include "video/codec_kind.h"

#include <gtest/gtest.h>

#include <string>

namespace anarchy::video {
namespace {

TEST(CodecKind, NamesRoundTrip) {
    for (CodecKind k : {CodecKind::Raw, CodecKind::Lz4, CodecKind::Lz4Delta, CodecKind::H264, CodecKind::Hevc,
                        CodecKind::Av1, CodecKind::Lz4Tiles}) {
        const auto parsed = parse_codec_kind(to_string(k));
        ASSERT_TRUE(parsed.has_value()) << to_string(k);
        EXPECT_EQ(*parsed, k);
    }
    EXPECT_EQ(std::string(to_string(CodecKind::Lz4Delta)), "lz4-delta");
    EXPECT_EQ(std::string(to_string(CodecKind::Hevc)), "hevc");
    EXPECT_EQ(std::string(to_string(CodecKind::Lz4Tiles)), "lz4-tiles");
    EXPECT_EQ(kLastCodecKind, CodecKind::Lz4Tiles);
}

TEST(CodecKind, RejectsUnknownNames) {
    EXPECT_FALSE(parse_codec_kind(""));
    EXPECT_FALSE(parse_codec_kind("H264"));
    EXPECT_FALSE(parse_codec_kind("lz4delta"));
    EXPECT_FALSE(parse_codec_kind("h265"));
}

TEST(CodecKind, VideoCodecs) {
    EXPECT_FALSE(is_video_codec(CodecKind::Raw));
    EXPECT_FALSE(is_video_codec(CodecKind::Lz4Delta));
    EXPECT_FALSE(is_video_codec(CodecKind::Lz4Tiles));
    EXPECT_TRUE(is_video_codec(CodecKind::H264));
    EXPECT_TRUE(is_video_codec(CodecKind::Av1));
}

}  // namespace
}  // namespace anarchy::video
