// Video frames in bands (banded_codec.h): the layout, a round trip through the factory's banded H.264 encoder and
// band-aware decoder, and what a decoder does with lost, reordered, abandoned or damaged bands.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "test_scene.h"
#include "video/banded_codec.h"
#include "video/codec_factory.h"
#include "video/frame_packet_header.h"

namespace anarchy::video {
namespace {

std::unique_ptr<Encoder> make_banded(CodecKind kind, uint32_t w, uint32_t h, uint32_t bands, std::string* reason) {
    EncoderSettings s;
    s.codec = kind;
    s.width = w;
    s.height = h;
    s.threads = 2;
    s.bands = bands;
    s.quality = 12;  // as video_codec_test.cpp: well above the colour conversion's 45 dB ceiling
    s.prefer_hardware = false;
    EncoderCreation c = create_encoder(s);
    EXPECT_TRUE(c.encoder) << c.reason;
    *reason = c.reason;
    return std::move(c.encoder);
}

std::unique_ptr<Decoder> make_decoder(CodecKind kind, uint32_t w, uint32_t h) {
    DecoderSettings s;
    s.codec = kind;
    s.width = w;
    s.height = h;
    s.prefer_hardware = false;
    s.threads = 2;
    DecoderCreation c = create_decoder(s);
    EXPECT_TRUE(c.decoder) << c.reason;
    return std::move(c.decoder);
}

// The packets encode_slices() hands over for one frame of the test scene; only the last is marked last.
std::vector<EncodedFrame> encode(Encoder& enc, uint32_t w, uint32_t h, uint32_t t) {
    const test::I420Image i420 = test::to_i420(test::make_scene_bgra(w, h, t), w, h);
    std::vector<EncodedFrame> packets;
    bool ended = false;
    const CodecStatus s = enc.encode_slices(i420.view(), [&](EncodedFrame& p, bool last) {
        EXPECT_FALSE(ended) << "a packet after the last one";
        ended = last;
        packets.push_back(p);
        return true;
    });
    EXPECT_TRUE(s) << s.message();
    EXPECT_TRUE(ended);
    return packets;
}

FramePacketHeader header_of(const EncodedFrame& p, CodecKind kind, uint32_t w, uint32_t h) {
    FramePacketHeader out;
    EXPECT_TRUE(read_frame_packet_header(p.bytes.data(), p.bytes.size(), kind, w, h, out));
    return out;
}

TEST(BandLayout, CoversEveryRowInBandsOfWholeMacroblocks) {
    for (uint32_t height : {61u, 100u, 240u, 480u, 720u, 1080u, 1600u, 2161u}) {
        for (uint32_t wanted : {1u, 2u, 3u, 4u, 7u, 8u, 16u, 40u}) {
            const std::vector<Band> layout = band_layout(height, wanted);
            ASSERT_FALSE(layout.empty());
            EXPECT_LE(layout.size(), std::min(wanted, kMaxBands)) << height << "/" << wanted;
            uint32_t row = 0;
            for (size_t i = 0; i < layout.size(); ++i) {
                EXPECT_EQ(layout[i].first_row, row) << height << "/" << wanted;
                if (layout.size() > 1) {
                    EXPECT_GE(layout[i].rows, kMinBandRows) << height << "/" << wanted;
                }
                if (i + 1 < layout.size()) {
                    EXPECT_EQ(layout[i].rows % 16, 0u) << height << "/" << wanted;
                }
                row += layout[i].rows;
            }
            EXPECT_EQ(row, height) << height << "/" << wanted;
        }
    }
    EXPECT_EQ(band_layout(1600, 7).size(), 7u);  // 6 x 240 + 160
    EXPECT_EQ(band_layout(1600, 8).size(), 8u);  // 7 x 208 + 144
    EXPECT_EQ(band_layout(100, 4).size(), 1u);   // too low to cut: whole frames
}

TEST(BandedVideo, FramesComeInBandsAndDecodeSideBySide) {
    const CodecKind kind = CodecKind::H264;
    const uint32_t w = 320, h = 240;
    std::string reason;
    auto enc = make_banded(kind, w, h, 3, &reason);
    ASSERT_TRUE(enc);
    EXPECT_NE(reason.find("in 3 bands of 80 rows"), std::string::npos) << reason;
    auto dec = make_decoder(kind, w, h);
    ASSERT_TRUE(dec);
    std::vector<uint8_t> picture(size_t(w) * h * 4);
    const PictureTarget target{picture.data(), size_t(w) * 4};
    for (uint32_t t = 0; t < 8; ++t) {
        const std::vector<EncodedFrame> packets = encode(*enc, w, h, t);
        ASSERT_EQ(packets.size(), 3u) << t;
        for (size_t i = 0; i < packets.size(); ++i) {
            const FramePacketHeader fh = header_of(packets[i], kind, w, h);
            EXPECT_TRUE(fh.slice());
            EXPECT_EQ(fh.first_row, 80u * i);
            EXPECT_EQ(fh.row_count, 80u);
            EXPECT_EQ(fh.completes_frame(), i == 2);
            EXPECT_EQ(fh.keyframe(), t == 0) << "band " << i << " frame " << t;
            DecodedFrame out;
            ASSERT_TRUE(dec->decode_into(packets[i].bytes.data(), packets[i].bytes.size(), target, out))
                << "band " << i << " frame " << t;
            if (i == 2) {
                EXPECT_EQ(out.keyframe, t == 0);
            }
        }
        EXPECT_GE(test::psnr_bgr(picture, test::make_scene_bgra(w, h, t)), 40.0) << t;
    }
    EXPECT_NE(std::string(dec->name()).find("in bands"), std::string::npos) << dec->name();
    // A banded frame is several packets: encode() says so instead of giving one.
    EncodedFrame one;
    const test::I420Image i420 = test::to_i420(test::make_scene_bgra(w, h, 9), w, h);
    const CodecStatus s = enc->encode(i420.view(), one);
    EXPECT_EQ(s.error(), CodecError::InvalidArgument);
    EXPECT_NE(s.message().find("encode_slices"), std::string::npos) << s.message();
}

TEST(BandedVideo, BitrateIsSharedByRows) {
    EncoderSettings s;
    s.codec = CodecKind::H264;
    s.width = 640;
    s.height = 480;
    s.bands = 3;  // 160 rows each
    s.bitrate_kbps = 9000;
    s.prefer_hardware = false;
    EncoderCreation c = create_encoder(s);
    ASSERT_TRUE(c.encoder) << c.reason;
    EXPECT_EQ(c.encoder->bitrate_kbps(), 9000u);
    EXPECT_TRUE(c.encoder->set_bitrate_kbps(6000));
    EXPECT_EQ(c.encoder->bitrate_kbps(), 6000u);
    // Automatic: the frame's rate, not three times a small frame's floor.
    s.bitrate_kbps = 0;
    EncoderCreation automatic = create_encoder(s);
    ASSERT_TRUE(automatic.encoder) << automatic.reason;
    EXPECT_LE(automatic.encoder->bitrate_kbps(), automatic_bitrate_kbps(CodecKind::H264, 640, 480, 60));
    EXPECT_GE(automatic.encoder->bitrate_kbps(), automatic_bitrate_kbps(CodecKind::H264, 640, 480, 60) - 3);
}

TEST(BandedVideo, FramesTooLowToCutAndOtherEncodersStayWhole) {
    std::string reason;
    auto enc = make_banded(CodecKind::H264, 160, 100, 4, &reason);
    ASSERT_TRUE(enc);
    EXPECT_NE(reason.find("whole frames"), std::string::npos) << reason;
    const std::vector<EncodedFrame> packets = encode(*enc, 160, 100, 0);
    ASSERT_EQ(packets.size(), 1u);
    EXPECT_FALSE(header_of(packets[0], CodecKind::H264, 160, 100).slice());
    // libx265 is quicker on whole frames with threads of its own.
    auto hevc = make_banded(CodecKind::Hevc, 320, 240, 3, &reason);
    ASSERT_TRUE(hevc);
    EXPECT_NE(reason.find("whole frames (bands are for libx264)"), std::string::npos) << reason;
    EXPECT_EQ(encode(*hevc, 320, 240, 0).size(), 1u);
}

// Gives the frame's packets to the decoder; the status of the last one given.
CodecStatus give(Decoder& dec, const std::vector<EncodedFrame>& packets, const PictureTarget& target,
                 std::vector<size_t> which = {}) {
    if (which.empty())
        for (size_t i = 0; i < packets.size(); ++i) which.push_back(i);
    CodecStatus s = CodecStatus::success();
    for (size_t i : which) {
        DecodedFrame out;
        s = dec.decode_into(packets[i].bytes.data(), packets[i].bytes.size(), target, out);
        if (!s) return s;
    }
    return s;
}

TEST(BandedVideo, LostAbandonedAndDamagedBandsAreErrorsUntilAKeyFrame) {
    const uint32_t w = 320, h = 240;
    std::string reason;
    auto enc = make_banded(CodecKind::H264, w, h, 3, &reason);
    ASSERT_TRUE(enc);
    auto dec = make_decoder(CodecKind::H264, w, h);
    ASSERT_TRUE(dec);
    std::vector<uint8_t> picture(size_t(w) * h * 4);
    const PictureTarget target{picture.data(), size_t(w) * 4};
    ASSERT_TRUE(give(*dec, encode(*enc, w, h, 0), target));
    ASSERT_TRUE(give(*dec, encode(*enc, w, h, 1), target));

    // A band lost on the way: the next one is out of order.
    CodecStatus s = give(*dec, encode(*enc, w, h, 2), target, {0, 2});
    EXPECT_EQ(s.error(), CodecError::CorruptData) << s.message();
    EXPECT_NE(s.message().find("was due"), std::string::npos) << s.message();
    // The decoder starts over: predicted bands are refused until the encoder sends key bands.
    s = give(*dec, encode(*enc, w, h, 3), target);
    EXPECT_EQ(s.error(), CodecError::MissingReference) << s.message();
    enc->request_keyframe();
    ASSERT_TRUE(give(*dec, encode(*enc, w, h, 4), target));
    EXPECT_GE(test::psnr_bgr(picture, test::make_scene_bgra(w, h, 4)), 40.0);

    // A frame abandoned after two bands (the server dropped it): the next frame builds on one its bands never saw.
    ASSERT_TRUE(give(*dec, encode(*enc, w, h, 5), target, {0, 1}));
    s = give(*dec, encode(*enc, w, h, 6), target);
    EXPECT_EQ(s.error(), CodecError::MissingReference) << s.message();
    enc->request_keyframe();
    ASSERT_TRUE(give(*dec, encode(*enc, w, h, 7), target));

    // A damaged band: its decoder fails, the frame fails, nothing crashes; a key frame recovers.
    std::vector<EncodedFrame> damaged = encode(*enc, w, h, 8);
    std::vector<uint8_t>& middle = damaged[1].bytes;
    for (size_t i = kFramePacketHeaderBytes * 2 + 8; i < middle.size(); i += 3) middle[i] ^= 0x5a;
    EXPECT_FALSE(give(*dec, damaged, target));
    enc->request_keyframe();
    ASSERT_TRUE(give(*dec, encode(*enc, w, h, 9), target));
    EXPECT_GE(test::psnr_bgr(picture, test::make_scene_bgra(w, h, 9)), 40.0);
}

// A stream that keeps inventing bands (16-row slices of a 320x288 frame, 18 of them) is refused after
// kMaxBands, before it costs more decoders.
TEST(BandedVideo, AStreamOfTooManyBandsIsRefused) {
    const uint32_t w = 320, h = 288;
    auto dec = make_decoder(CodecKind::H264, w, h);
    ASSERT_TRUE(dec);
    std::vector<uint8_t> picture(size_t(w) * h * 4);
    const PictureTarget target{picture.data(), size_t(w) * 4};
    CodecStatus s = CodecStatus::success();
    uint32_t given = 0;
    for (uint32_t row = 0; row < h && s; row += 16, ++given) {
        FramePacketHeader fh;
        fh.codec = CodecKind::H264;
        fh.flags = kFramePacketSlice | (row + 16 == h ? kFramePacketLastSlice : 0);
        fh.width = w;
        fh.height = h;
        fh.first_row = row;
        fh.row_count = 16;
        fh.payload_bytes = 4;
        std::vector<uint8_t> packet(kFramePacketHeaderBytes + 4, 0);
        write_frame_packet_header(fh, packet.data());
        DecodedFrame out;
        s = dec->decode_into(packet.data(), packet.size(), target, out);
    }
    EXPECT_FALSE(s);
    EXPECT_EQ(given, kMaxBands + 1);
    EXPECT_NE(s.message().find("more than 16 bands"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace anarchy::video
