#include "video/frame_packet_header.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace anarchy::video {
namespace {

FramePacketHeader sample() {
    FramePacketHeader h;
    h.codec = CodecKind::Lz4Delta;
    h.width = 97;
    h.height = 61;
    h.sequence = 7;
    h.reference = 6;
    h.first_row = 10;
    h.row_count = 5;
    return h;
}

TEST(FramePacketHeader, RoundTrips) {
    std::vector<uint8_t> bytes(kFramePacketHeaderBytes);
    write_frame_packet_header(sample(), bytes.data());
    FramePacketHeader h;
    ASSERT_TRUE(read_frame_packet_header(bytes.data(), bytes.size(), CodecKind::Lz4Delta, 97, 61, h));
    EXPECT_EQ(h.sequence, 7u);
    EXPECT_EQ(h.reference, 6u);
    EXPECT_EQ(h.first_row, 10u);
    EXPECT_EQ(h.row_count, 5u);
    EXPECT_EQ(h.payload_bytes, 0u);
    EXPECT_FALSE(h.keyframe());
}

TEST(FramePacketHeader, PayloadLengthMustMatchThePacket) {
    FramePacketHeader with_payload = sample();
    with_payload.payload_bytes = 10;
    std::vector<uint8_t> bytes(kFramePacketHeaderBytes + 10);
    write_frame_packet_header(with_payload, bytes.data());
    FramePacketHeader h;
    EXPECT_TRUE(read_frame_packet_header(bytes.data(), bytes.size(), CodecKind::Lz4Delta, 97, 61, h));
    const CodecStatus cut = read_frame_packet_header(bytes.data(), bytes.size() - 1, CodecKind::Lz4Delta, 97, 61, h);
    EXPECT_EQ(cut.error(), CodecError::CorruptData);
    EXPECT_NE(cut.message().find("cut short"), std::string::npos) << cut.message();
    bytes.push_back(0);
    EXPECT_FALSE(read_frame_packet_header(bytes.data(), bytes.size(), CodecKind::Lz4Delta, 97, 61, h));
}

TEST(FramePacketHeader, RejectsWhatNoEncoderWrites) {
    std::vector<uint8_t> good(kFramePacketHeaderBytes);
    write_frame_packet_header(sample(), good.data());
    FramePacketHeader h;
    EXPECT_FALSE(read_frame_packet_header(good.data(), good.size() - 1, CodecKind::Lz4Delta, 97, 61, h));
    EXPECT_EQ(read_frame_packet_header(good.data(), good.size(), CodecKind::Lz4, 97, 61, h).error(),
              CodecError::CorruptData);
    EXPECT_EQ(read_frame_packet_header(good.data(), good.size(), CodecKind::Lz4Delta, 98, 61, h).error(),
              CodecError::InvalidArgument);
    for (size_t byte : {0u, 4u, 6u, 7u}) {
        std::vector<uint8_t> bad = good;
        bad[byte] ^= 0x80;
        EXPECT_FALSE(read_frame_packet_header(bad.data(), bad.size(), CodecKind::Lz4Delta, 97, 61, h)) << byte;
    }
    FramePacketHeader past_end = sample();
    past_end.first_row = 60;
    past_end.row_count = 2;
    write_frame_packet_header(past_end, good.data());
    EXPECT_FALSE(read_frame_packet_header(good.data(), good.size(), CodecKind::Lz4Delta, 97, 61, h));
    FramePacketHeader partial_key = sample();
    partial_key.flags = kFramePacketKeyframe;
    write_frame_packet_header(partial_key, good.data());
    EXPECT_FALSE(read_frame_packet_header(good.data(), good.size(), CodecKind::Lz4Delta, 97, 61, h));
    FramePacketHeader overflow = sample();
    overflow.first_row = 0xffffffffu;
    overflow.row_count = 2;
    write_frame_packet_header(overflow, good.data());
    EXPECT_FALSE(read_frame_packet_header(good.data(), good.size(), CodecKind::Lz4Delta, 97, 61, h));
}

TEST(FramePacketHeader, SlicesOnlyForLz4TilesAndVideoBandsAndEndingAtTheLastRow) {
    std::vector<uint8_t> bytes(kFramePacketHeaderBytes);
    FramePacketHeader h = sample();
    h.codec = CodecKind::Lz4Tiles;
    h.flags = kFramePacketSlice | kFramePacketKeyframe;  // a key slice covers its band only
    write_frame_packet_header(h, bytes.data());
    FramePacketHeader out;
    EXPECT_TRUE(read_frame_packet_header(bytes.data(), bytes.size(), CodecKind::Lz4Tiles, 97, 61, out));
    EXPECT_TRUE(out.slice());
    EXPECT_FALSE(out.completes_frame());
    h.flags = kFramePacketSlice | kFramePacketLastSlice;  // rows 10-14 of 61: not the last rows
    write_frame_packet_header(h, bytes.data());
    EXPECT_EQ(read_frame_packet_header(bytes.data(), bytes.size(), CodecKind::Lz4Tiles, 97, 61, out).error(),
              CodecError::CorruptData);
    h.first_row = 56;
    write_frame_packet_header(h, bytes.data());
    EXPECT_TRUE(read_frame_packet_header(bytes.data(), bytes.size(), CodecKind::Lz4Tiles, 97, 61, out));
    EXPECT_TRUE(out.completes_frame());
    h.flags = kFramePacketLastSlice;  // the last slice of no sliced frame
    write_frame_packet_header(h, bytes.data());
    EXPECT_FALSE(read_frame_packet_header(bytes.data(), bytes.size(), CodecKind::Lz4Tiles, 97, 61, out));
    h.codec = CodecKind::Lz4Delta;  // the other codecs take whole frames only
    h.flags = kFramePacketSlice;
    write_frame_packet_header(h, bytes.data());
    EXPECT_FALSE(read_frame_packet_header(bytes.data(), bytes.size(), CodecKind::Lz4Delta, 97, 61, out));
    // A band of a banded video frame (banded_codec.h) is a slice; a decoder of whole frames refuses it, even one
    // covering every row.
    h.codec = CodecKind::H264;
    h.first_row = 0;
    h.row_count = 61;
    h.flags = kFramePacketSlice | kFramePacketLastSlice;
    write_frame_packet_header(h, bytes.data());
    EXPECT_TRUE(read_frame_packet_header(bytes.data(), bytes.size(), CodecKind::H264, 97, 61, out));
    EXPECT_EQ(read_video_packet_header(bytes.data(), bytes.size(), CodecKind::H264, 97, 61, false, 0, out).error(),
              CodecError::CorruptData);
}

}  // namespace
}  // namespace anarchy::video
