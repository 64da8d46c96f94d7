// raw, lz4, lz4-delta and lz4-tiles: exact round trips, delta behaviour, and rejection of bad packets.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "test_scene.h"
#include "video/codec_factory.h"
#include "video/frame_packet_header.h"

namespace anarchy::video {
namespace {

std::unique_ptr<Encoder> make_encoder(CodecKind kind, uint32_t w, uint32_t h,
                                      std::optional<uint32_t> keyframe_interval = std::nullopt) {
    EncoderSettings s;
    s.codec = kind;
    s.width = w;
    s.height = h;
    s.keyframe_interval = keyframe_interval;
    EncoderCreation c = create_encoder(s);
    EXPECT_TRUE(c.encoder) << c.reason;
    return std::move(c.encoder);
}

std::unique_ptr<Decoder> make_decoder(CodecKind kind, uint32_t w, uint32_t h) {
    DecoderCreation c = create_decoder(kind, w, h);
    EXPECT_TRUE(c.decoder) << c.reason;
    return std::move(c.decoder);
}

FrameView bgra_view(const std::vector<uint8_t>& pixels, uint32_t w, uint32_t h) {
    return FrameView::packed(PixelFormat::Bgra8, pixels.data(), w, h);
}

class LosslessRoundTrip : public ::testing::TestWithParam<std::tuple<CodecKind, uint32_t, uint32_t>> {};

TEST_P(LosslessRoundTrip, ChangingFramesComeBackByteForByte) {
    const auto [kind, w, h] = GetParam();
    auto enc = make_encoder(kind, w, h);
    auto dec = make_decoder(kind, w, h);
    ASSERT_TRUE(enc && dec);
    EXPECT_EQ(enc->input_format(), PixelFormat::Bgra8);
    EncodedFrame packet;
    DecodedFrame picture;
    for (uint32_t t = 0; t < 6; ++t) {
        const auto frame = test::make_scene_bgra(w, h, t);
        ASSERT_TRUE(enc->encode(bgra_view(frame, w, h), packet)) << t;
        EXPECT_EQ(packet.codec, kind);
        EXPECT_EQ(packet.width, w);
        EXPECT_EQ(packet.height, h);
        EXPECT_EQ(packet.keyframe, t == 0 || (kind != CodecKind::Lz4Delta && kind != CodecKind::Lz4Tiles));
        const CodecStatus s = dec->decode(packet.bytes.data(), packet.bytes.size(), picture);
        ASSERT_TRUE(s) << s.message();
        EXPECT_EQ(picture.width, w);
        EXPECT_EQ(picture.height, h);
        ASSERT_EQ(picture.bgra, frame) << "frame " << t;
    }
}

TEST_P(LosslessRoundTrip, AlphaIsForcedOpaqueAndOtherFormatsAreAccepted) {
    const auto [kind, w, h] = GetParam();
    auto enc = make_encoder(kind, w, h);
    auto dec = make_decoder(kind, w, h);
    ASSERT_TRUE(enc && dec);
    auto frame = test::make_scene_bgra(w, h, 1);
    std::vector<uint8_t> rgba = frame;
    for (size_t i = 0; i < rgba.size(); i += 4) {
        std::swap(rgba[i], rgba[i + 2]);
        rgba[i + 3] = uint8_t(i);  // garbage alpha, as swapchains often have
    }
    EncodedFrame packet;
    DecodedFrame picture;
    ASSERT_TRUE(enc->encode(FrameView::packed(PixelFormat::Rgba8, rgba.data(), w, h), packet));
    ASSERT_TRUE(dec->decode(packet.bytes.data(), packet.bytes.size(), picture));
    EXPECT_EQ(picture.bgra, frame);

    const test::I420Image yuv = test::to_i420(frame, w, h);
    ASSERT_TRUE(enc->encode(yuv.view(), packet));
    ASSERT_TRUE(dec->decode(packet.bytes.data(), packet.bytes.size(), picture));
    EXPECT_TRUE(test::all_opaque(picture.bgra));
    EXPECT_GE(test::psnr_bgr(picture.bgra, frame), 38.0);
}

TEST_P(LosslessRoundTrip, RejectsDamagedPacketsWithoutCrashing) {
    const auto [kind, w, h] = GetParam();
    auto enc = make_encoder(kind, w, h);
    ASSERT_TRUE(enc);
    std::vector<EncodedFrame> packets(3);
    for (uint32_t t = 0; t < packets.size(); ++t) {
        const auto frame = test::make_scene_bgra(w, h, t);
        ASSERT_TRUE(enc->encode(bgra_view(frame, w, h), packets[t]));
    }
    DecodedFrame picture;
    auto dec = make_decoder(kind, w, h);
    // Truncated anywhere: header, payload, last byte.
    for (size_t cut : {size_t(0), size_t(1), size_t(20), kFramePacketHeaderBytes, packets[0].bytes.size() / 2,
                       packets[0].bytes.size() - 1}) {
        const CodecStatus s = dec->decode(packets[0].bytes.data(), cut, picture);
        EXPECT_FALSE(s) << "cut at " << cut;
    }
    // A packet with bytes appended is not a valid packet either.
    std::vector<uint8_t> longer = packets[0].bytes;
    longer.resize(longer.size() + 16, 0);
    EXPECT_FALSE(dec->decode(longer.data(), longer.size(), picture));
    // Garbage.
    std::mt19937 rng(1);
    std::vector<uint8_t> garbage(4096);
    for (auto& b : garbage) b = uint8_t(rng());
    EXPECT_EQ(dec->decode(garbage.data(), garbage.size(), picture).error(), CodecError::CorruptData);
    EXPECT_FALSE(dec->decode(nullptr, 0, picture));
    // Flipped bytes: either rejected or decoded to some picture of the right size, never a crash.
    for (int i = 0; i < 200; ++i) {
        auto dec2 = make_decoder(kind, w, h);
        std::vector<uint8_t> bad = packets[0].bytes;
        bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255);
        if (dec2->decode(bad.data(), bad.size(), picture)) {
            EXPECT_EQ(picture.bgra.size(), size_t(w) * h * 4);
            EXPECT_TRUE(test::all_opaque(picture.bgra));
        }
    }
    // And the real stream still decodes afterwards.
    auto fresh = make_decoder(kind, w, h);
    for (const EncodedFrame& p : packets) EXPECT_TRUE(fresh->decode(p.bytes.data(), p.bytes.size(), picture));
}

TEST_P(LosslessRoundTrip, RejectsWrongSizes) {
    const auto [kind, w, h] = GetParam();
    auto enc = make_encoder(kind, w, h);
    auto other = make_decoder(kind, w + 2, h);
    ASSERT_TRUE(enc && other);
    const auto frame = test::make_scene_bgra(w, h, 0);
    EncodedFrame packet;
    ASSERT_TRUE(enc->encode(bgra_view(frame, w, h), packet));
    DecodedFrame picture;
    EXPECT_EQ(other->decode(packet.bytes.data(), packet.bytes.size(), picture).error(), CodecError::InvalidArgument);
    // An encoder fed a frame of another size refuses it.
    const auto small = test::make_scene_bgra(w - 1, h, 0);
    const CodecStatus s = enc->encode(bgra_view(small, w - 1, h), packet);
    EXPECT_EQ(s.error(), CodecError::InvalidArgument) << s.message();
}

INSTANTIATE_TEST_SUITE_P(AllLossless, LosslessRoundTrip,
                         ::testing::Combine(::testing::Values(CodecKind::Raw, CodecKind::Lz4, CodecKind::Lz4Delta, CodecKind::Lz4Tiles),
                                            ::testing::Values(97u), ::testing::Values(61u)),
                         [](const auto& info) {
                             std::string n = to_string(std::get<0>(info.param));
                             for (char& c : n)
                                 if (c == '-') c = '_';
                             return n + "_" + std::to_string(std::get<1>(info.param)) + "x" +
                                    std::to_string(std::get<2>(info.param));
                         });
INSTANTIATE_TEST_SUITE_P(AllLosslessVga, LosslessRoundTrip,
                         ::testing::Combine(::testing::Values(CodecKind::Raw, CodecKind::Lz4, CodecKind::Lz4Delta, CodecKind::Lz4Tiles),
                                            ::testing::Values(320u), ::testing::Values(240u)),
                         [](const auto& info) {
                             std::string n = to_string(std::get<0>(info.param));
                             for (char& c : n)
                                 if (c == '-') c = '_';
                             return n + "_" + std::to_string(std::get<1>(info.param)) + "x" +
                                    std::to_string(std::get<2>(info.param));
                         });

TEST(Lz4Delta, UnchangedFrameIsABareHeader) {
    const uint32_t w = 320, h = 240;
    auto enc = make_encoder(CodecKind::Lz4Delta, w, h);
    auto dec = make_decoder(CodecKind::Lz4Delta, w, h);
    const auto frame = test::make_scene_bgra(w, h, 5);
    EncodedFrame key, same;
    DecodedFrame picture;
    ASSERT_TRUE(enc->encode(bgra_view(frame, w, h), key));
    ASSERT_TRUE(enc->encode(bgra_view(frame, w, h), same));
    EXPECT_FALSE(same.keyframe);
    EXPECT_EQ(same.bytes.size(), kFramePacketHeaderBytes);
    ASSERT_TRUE(dec->decode(key.bytes.data(), key.bytes.size(), picture));
    ASSERT_TRUE(dec->decode(same.bytes.data(), same.bytes.size(), picture));
    EXPECT_EQ(picture.bgra, frame);
}

TEST(Lz4Delta, SmallChangeCostsAFewRows) {
    const uint32_t w = 320, h = 240;
    auto enc = make_encoder(CodecKind::Lz4Delta, w, h);
    auto dec = make_decoder(CodecKind::Lz4Delta, w, h);
    auto frame = test::make_scene_bgra(w, h, 5);
    EncodedFrame key, delta;
    DecodedFrame picture;
    ASSERT_TRUE(enc->encode(bgra_view(frame, w, h), key));
    for (uint32_t y = 100; y < 104; ++y)
        for (uint32_t x = 10; x < 20; ++x) frame[(y * w + x) * 4 + 1] ^= 0x5a;  // a blinking cursor
    ASSERT_TRUE(enc->encode(bgra_view(frame, w, h), delta));
    EXPECT_LT(delta.bytes.size(), 200u);
    ASSERT_TRUE(dec->decode(key.bytes.data(), key.bytes.size(), picture));
    ASSERT_TRUE(dec->decode(delta.bytes.data(), delta.bytes.size(), picture));
    EXPECT_EQ(picture.bgra, frame);
}

TEST(Lz4Delta, DeltaWithoutItsReferenceIsRejected) {
    const uint32_t w = 97, h = 61;
    auto enc = make_encoder(CodecKind::Lz4Delta, w, h);
    std::vector<EncodedFrame> p(4);
    std::vector<std::vector<uint8_t>> frames;
    for (uint32_t t = 0; t < p.size(); ++t) {
        frames.push_back(test::make_scene_bgra(w, h, t));
        ASSERT_TRUE(enc->encode(bgra_view(frames[t], w, h), p[t]));
    }
    DecodedFrame picture;
    // A decoder that joins mid-stream.
    auto late = make_decoder(CodecKind::Lz4Delta, w, h);
    EXPECT_EQ(late->decode(p[1].bytes.data(), p[1].bytes.size(), picture).error(), CodecError::MissingReference);
    // A decoder that lost a packet: frame 2 is a delta on frame 1, which it never saw.
    auto lossy = make_decoder(CodecKind::Lz4Delta, w, h);
    ASSERT_TRUE(lossy->decode(p[0].bytes.data(), p[0].bytes.size(), picture));
    EXPECT_EQ(lossy->decode(p[2].bytes.data(), p[2].bytes.size(), picture).error(), CodecError::MissingReference);
    // request_keyframe recovers both.
    enc->request_keyframe();
    EncodedFrame key;
    const auto next = test::make_scene_bgra(w, h, 9);
    ASSERT_TRUE(enc->encode(bgra_view(next, w, h), key));
    EXPECT_TRUE(key.keyframe);
    ASSERT_TRUE(late->decode(key.bytes.data(), key.bytes.size(), picture));
    EXPECT_EQ(picture.bgra, next);
    ASSERT_TRUE(lossy->decode(key.bytes.data(), key.bytes.size(), picture));
    EXPECT_EQ(picture.bgra, next);
    // And the frame after the requested key frame is a delta again.
    EncodedFrame after;
    ASSERT_TRUE(enc->encode(bgra_view(frames[0], w, h), after));
    EXPECT_FALSE(after.keyframe);
}

TEST(Lz4Delta, PeriodicKeyFrames) {
    const uint32_t w = 97, h = 61;
    auto enc = make_encoder(CodecKind::Lz4Delta, w, h, 3);
    std::vector<bool> keys;
    EncodedFrame p;
    for (uint32_t t = 0; t < 7; ++t) {
        const auto frame = test::make_scene_bgra(w, h, t);
        ASSERT_TRUE(enc->encode(bgra_view(frame, w, h), p));
        keys.push_back(p.keyframe);
    }
    EXPECT_EQ(keys, (std::vector<bool>{true, false, false, true, false, false, true}));
}

}  // namespace
}  // namespace anarchy::video
