#include "transport/frame_codec.h"

#include <cstring>
#include <random>

#include "test_support.h"

namespace anarchy::transport::test {
namespace {

TEST(FrameCodec, HeaderIsLittleEndianAndRoundTrips) {
    uint8_t b[kFrameHeaderBytes];
    encode_frame_header({0x01020304, 0x0506, 0x0001}, b);
    const uint8_t expected[] = {4, 3, 2, 1, 6, 5, 1, 0};
    EXPECT_EQ(0, std::memcmp(b, expected, sizeof b));
    const FrameHeader h = decode_frame_header(b);
    EXPECT_EQ(h.length, 0x01020304u);
    EXPECT_EQ(h.type, 0x0506);
    EXPECT_EQ(h.flags, 0x0001);
}

TEST(FrameCodec, HeaderChecks) {
    std::string error;
    EXPECT_TRUE(check_frame_header({100, 4, 0}, 100, &error)) << error;
    EXPECT_TRUE(check_frame_header({100, 4, kFlagLz4}, 100, &error)) << error;
    EXPECT_FALSE(check_frame_header({101, 4, 0}, 100, &error));
    EXPECT_NE(error.find("exceeds the limit"), std::string::npos) << error;
    EXPECT_FALSE(check_frame_header({10, 4, 0x0002}, 100, &error));
    EXPECT_NE(error.find("unknown flags 0x0002"), std::string::npos) << error;
    EXPECT_FALSE(check_frame_header({4, 4, kFlagLz4}, 100, &error));
    EXPECT_NE(error.find("too short"), std::string::npos) << error;
}

TEST(FrameCodec, CompressesWhatShrinksAndRoundTrips) {
    const auto data = compressible_bytes(100000, 1);
    std::vector<uint8_t> packed, back;
    ASSERT_TRUE(compress_payload(data.data(), data.size(), packed));
    EXPECT_LT(packed.size(), data.size() / 4);
    const FrameHeader h{static_cast<uint32_t>(packed.size()), 4, kFlagLz4};
    std::string error;
    ASSERT_TRUE(decode_payload(h, packed.data(), data.size(), back, &error)) << error;
    EXPECT_TRUE(back == data);
    // The receiver's limit applies to the decompressed size, not the wire size.
    EXPECT_FALSE(decode_payload(h, packed.data(), data.size() - 1, back, &error));
    EXPECT_NE(error.find("over the limit"), std::string::npos) << error;
}

TEST(FrameCodec, LeavesIncompressibleAndEmptyDataAlone) {
    std::vector<uint8_t> packed;
    const auto noise = random_bytes(100000, 2);
    EXPECT_FALSE(compress_payload(noise.data(), noise.size(), packed));
    EXPECT_FALSE(compress_payload(nullptr, 0, packed));
}

TEST(FrameCodec, UncompressedPayloadIsCopied) {
    const std::vector<uint8_t> data = {1, 2, 3};
    std::vector<uint8_t> out;
    EXPECT_TRUE(decode_payload({3, 4, 0}, data.data(), 3, out, nullptr));
    EXPECT_TRUE(out == data);
}

TEST(FrameCodec, CorruptCompressedPayloadsFailWithoutCrashing) {
    const auto data = compressible_bytes(50000, 3);
    std::vector<uint8_t> packed;
    ASSERT_TRUE(compress_payload(data.data(), data.size(), packed));
    std::mt19937 rng(7);
    int rejected = 0;
    for (int i = 0; i < 3000; ++i) {
        std::vector<uint8_t> bad = packed;
        switch (i % 3) {
        case 0: bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255); break;
        case 1: bad.resize(5 + rng() % (bad.size() - 5)); break;
        case 2: for (int k = 0; k < 8; ++k) bad[4 + rng() % (bad.size() - 4)] = uint8_t(rng()); break;
        }
        std::vector<uint8_t> out;
        std::string error;
        const FrameHeader h{static_cast<uint32_t>(bad.size()), 4, kFlagLz4};
        if (!decode_payload(h, bad.data(), 1 << 20, out, &error)) {
            ++rejected;
            EXPECT_FALSE(error.empty());
        } else {
            EXPECT_LE(out.size(), size_t(1) << 20);
        }
    }
    EXPECT_GT(rejected, 1000);
}

TEST(FrameCodec, ClaimBeyondWhatLz4CanExpandIsRejected) {
    // 9 bytes of block cannot become 1 MiB: refused before a buffer of that size is made.
    const std::vector<uint8_t> bad = {0, 0, 0x10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    std::vector<uint8_t> out;
    std::string error;
    EXPECT_FALSE(decode_payload({13, 4, kFlagLz4}, bad.data(), 1 << 30, out, &error));
    EXPECT_NE(error.find("more than LZ4 can expand to"), std::string::npos) << error;
    EXPECT_EQ(out.capacity(), 0u);
}

TEST(FrameCodec, ZeroClaimedSizeIsRejected) {
    const std::vector<uint8_t> bad = {0, 0, 0, 0, 0};
    std::vector<uint8_t> out;
    std::string error;
    EXPECT_FALSE(decode_payload({5, 4, kFlagLz4}, bad.data(), 100, out, &error));
    EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace anarchy::transport::test
