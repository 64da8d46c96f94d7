// The hand-written video-channel messages both ways, and what a truncated one gives.
#include <gtest/gtest.h>

#include "protocol/arena.h"
#include "protocol/frame_messages.h"

namespace anarchy::protocol {
namespace {

TEST(VideoMessages, StreamSettingsRoundTripEveryField) {
    StreamSettings in;
    in.codec = "h264";
    in.bitrate_kbps = 40000;
    in.quality = 23;
    in.prefer_hardware = 0;
    in.captured_ahead = 2;  // not the default, so it must have travelled
    in.video_bands = 7;
    WireEncoder e;
    encode(e, in);
    Arena arena;
    WireDecoder d(e.bytes().data(), e.bytes().size(), &arena);
    VideoMessage kind{};
    ASSERT_TRUE(decode_kind(d, kind));
    EXPECT_EQ(kind, VideoMessage::StreamSettings);
    StreamSettings out;
    ASSERT_TRUE(decode(d, out));
    EXPECT_EQ(out.codec, "h264");
    EXPECT_EQ(out.bitrate_kbps, 40000u);
    EXPECT_EQ(out.quality, 23);
    EXPECT_EQ(out.prefer_hardware, 0u);
    EXPECT_EQ(out.captured_ahead, 2u);
    EXPECT_EQ(out.video_bands, 7u);

    // Cut anywhere, the message fails to decode instead of reading past its end.
    for (size_t cut = 0; cut < e.bytes().size(); ++cut) {
        WireDecoder t(e.bytes().data(), cut, &arena);
        StreamSettings partial;
        EXPECT_FALSE(decode_kind(t, kind) && decode(t, partial)) << "cut at " << cut;
    }
}

}  // namespace
}  // namespace anarchy::protocol
