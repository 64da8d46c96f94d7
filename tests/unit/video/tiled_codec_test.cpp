// lz4-tiles: byte-exact round trips on random, still, scrolling and partly changed frames, sizes that are not
// multiples of the tile, damaged tiles caught by their checksums, the same bytes whatever the thread count,
// decoding straight into a caller's picture, and frames sent as slices of tile rows.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "test_scene.h"
#include "video/codec_factory.h"
#include "video/frame_packet_header.h"
#include "video/tiled_codec.h"

namespace anarchy::video {
namespace {

std::unique_ptr<Encoder> tiled_encoder(uint32_t w, uint32_t h, uint32_t threads, uint32_t tile = 128,
                                       uint32_t keyframe_interval = 0) {
    TiledEncoderOptions o;
    o.width = w;
    o.height = h;
    o.tile_width = o.tile_height = tile;
    o.threads = threads;
    o.keyframe_interval = keyframe_interval;
    return make_tiled_encoder(o);
}

FrameView view_of(const std::vector<uint8_t>& pixels, uint32_t w, uint32_t h) {
    return FrameView::packed(PixelFormat::Bgra8, pixels.data(), w, h);
}

std::vector<uint8_t> random_frame(uint32_t w, uint32_t h, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> f(size_t(w) * h * 4);
    for (size_t i = 0; i < f.size(); i += 4) {
        const uint32_t v = rng();
        std::memcpy(&f[i], &v, 4);
        f[i + 3] = 255;
    }
    return f;
}

// The number of tiles a packet carries (the payload's tile count).
uint32_t tiles_in(const EncodedFrame& p) {
    const uint8_t* c = p.bytes.data() + kFramePacketHeaderBytes + 8;
    return c[0] | c[1] << 8 | c[2] << 16 | uint32_t(c[3]) << 24;
}

// Encodes each frame and decodes it again, checking every picture byte for byte.
void round_trip(Encoder& enc, Decoder& dec, const std::vector<std::vector<uint8_t>>& frames, uint32_t w, uint32_t h,
                std::vector<EncodedFrame>* packets = nullptr) {
    DecodedFrame picture;
    for (size_t t = 0; t < frames.size(); ++t) {
        EncodedFrame p;
        ASSERT_TRUE(enc.encode(view_of(frames[t], w, h), p)) << t;
        const CodecStatus s = dec.decode(p.bytes.data(), p.bytes.size(), picture);
        ASSERT_TRUE(s) << "frame " << t << ": " << s.message();
        ASSERT_EQ(picture.bgra, frames[t]) << "frame " << t;
        if (packets) packets->push_back(std::move(p));
    }
}

// An lz4-tiles encoder from the factory, as the frame streamer makes it.
EncoderCreation factory_encoder(uint32_t w, uint32_t h, uint32_t threads) {
    EncoderSettings s;
    s.codec = CodecKind::Lz4Tiles;
    s.width = w;
    s.height = h;
    s.threads = threads;
    return create_encoder(s);
}

TEST(TiledCodec, TheFactoryMakesItAndNamesItsThreads) {
    EncoderCreation e = factory_encoder(200, 100, 3);
    ASSERT_TRUE(e.encoder) << e.reason;
    EXPECT_EQ(std::string(e.encoder->name()), "lz4-tiles");
    EXPECT_NE(e.reason.find("3 threads"), std::string::npos) << e.reason;
    DecoderSettings d;
    d.codec = CodecKind::Lz4Tiles;
    d.width = 200;
    d.height = 100;
    d.threads = 2;
    DecoderCreation dc = create_decoder(d);
    ASSERT_TRUE(dc.decoder) << dc.reason;
    EXPECT_EQ(std::string(dc.decoder->name()), "lz4-tiles");
    EXPECT_EQ(parse_codec_kind("lz4-tiles"), CodecKind::Lz4Tiles);
}

TEST(TiledCodec, LargeFramesTradeSomeBytesForSpeed) {
    // The default acceleration follows the frame size; ANARCHY_LZ4_ACCELERATION overrides it.
    const char* was = std::getenv("ANARCHY_LZ4_ACCELERATION");
    const std::string saved = was ? was : "";
    unsetenv("ANARCHY_LZ4_ACCELERATION");
    EXPECT_EQ(default_lz4_acceleration(1920, 1080), 1);
    EXPECT_EQ(default_lz4_acceleration(1280, 720), 1);
    EXPECT_EQ(default_lz4_acceleration(2560, 1600), 16);
    EncoderCreation e = factory_encoder(2560, 1600, 2);
    ASSERT_TRUE(e.encoder) << e.reason;
    EXPECT_NE(e.reason.find("acceleration 16"), std::string::npos) << e.reason;
    setenv("ANARCHY_LZ4_ACCELERATION", "4", 1);
    EXPECT_EQ(default_lz4_acceleration(2560, 1600), 4);
    EXPECT_EQ(default_lz4_acceleration(640, 480), 4);
    if (was) setenv("ANARCHY_LZ4_ACCELERATION", saved.c_str(), 1);
    else unsetenv("ANARCHY_LZ4_ACCELERATION");

    // Faster compression is still lossless: a moving scene round-trips byte for byte, a little larger.
    const uint32_t w = 640, h = 360;
    std::vector<std::vector<uint8_t>> frames;
    for (uint32_t t = 0; t < 4; ++t) frames.push_back(test::make_scene_bgra(w, h, t));
    size_t bytes[2] = {0, 0};
    for (int fast = 0; fast < 2; ++fast) {
        TiledEncoderOptions o;
        o.width = w;
        o.height = h;
        o.threads = 2;
        o.lz4_acceleration = fast ? 16 : 1;
        auto enc = make_tiled_encoder(o);
        auto dec = make_tiled_decoder(w, h, 2);
        std::vector<EncodedFrame> packets;
        round_trip(*enc, *dec, frames, w, h, &packets);
        for (const EncodedFrame& p : packets) bytes[fast] += p.bytes.size();
    }
    EXPECT_GE(bytes[1], bytes[0]);
}

TEST(TiledCodec, RandomFramesRoundTrip) {
    const uint32_t w = 300, h = 170;  // neither a multiple of 128
    auto enc = tiled_encoder(w, h, 2);
    auto dec = make_tiled_decoder(w, h, 2);
    std::vector<std::vector<uint8_t>> frames;
    for (uint32_t t = 0; t < 4; ++t) frames.push_back(random_frame(w, h, t));
    std::vector<EncodedFrame> packets;
    round_trip(*enc, *dec, frames, w, h, &packets);
    // Noise does not shrink: stored, so a packet is the pixels plus headers and 16 bytes a tile.
    for (const EncodedFrame& p : packets) EXPECT_LE(p.bytes.size(), size_t(w) * h * 4 + 36 + 12 + 6 * 16);
}

TEST(TiledCodec, StillFrameCarriesNoTiles) {
    const uint32_t w = 320, h = 240;
    auto enc = tiled_encoder(w, h, 2);
    auto dec = make_tiled_decoder(w, h, 2);
    const auto frame = test::make_scene_bgra(w, h, 3);
    std::vector<EncodedFrame> packets;
    round_trip(*enc, *dec, {frame, frame, frame}, w, h, &packets);
    EXPECT_TRUE(packets[0].keyframe);
    EXPECT_EQ(tiles_in(packets[0]), 3u * 2u);
    for (size_t i = 1; i < packets.size(); ++i) {
        EXPECT_FALSE(packets[i].keyframe);
        EXPECT_EQ(tiles_in(packets[i]), 0u);
        EXPECT_EQ(packets[i].bytes.size(), kFramePacketHeaderBytes + 12);
    }
}

TEST(TiledCodec, ScrollingFramesRoundTrip) {
    const uint32_t w = 333, h = 201;
    auto enc = tiled_encoder(w, h, 3, 64);
    auto dec = make_tiled_decoder(w, h, 3);
    // A tall page scrolled up 7 rows a frame: every tile changes, and the XOR is no help.
    const uint32_t page_h = h + 7 * 8;
    const auto page = test::make_scene_bgra(w, page_h, 1);
    std::vector<std::vector<uint8_t>> frames;
    for (uint32_t t = 0; t < 8; ++t)
        frames.emplace_back(page.begin() + size_t(7 * t) * w * 4, page.begin() + size_t(7 * t + h) * w * 4);
    round_trip(*enc, *dec, frames, w, h);
}

TEST(TiledCodec, PartlyChangedFrameCarriesOnlyItsTiles) {
    const uint32_t w = 640, h = 360;  // 5 x 3 tiles of 128, the bottom row 104 high
    auto enc = tiled_encoder(w, h, 2);
    auto dec = make_tiled_decoder(w, h, 2);
    auto first = test::make_scene_bgra(w, h, 2);
    auto second = first;
    for (uint32_t y = 130; y < 140; ++y)  // a cursor inside tile (1, 1)
        for (uint32_t x = 140; x < 150; ++x) second[(size_t(y) * w + x) * 4] ^= 0x33;
    auto third = second;
    for (uint32_t y = 300; y < 360; ++y)  // a widget along the bottom edge, across tiles (3, 2) and (4, 2)
        for (uint32_t x = 500; x < 640; ++x) third[(size_t(y) * w + x) * 4 + 1] += 9;
    std::vector<EncodedFrame> packets;
    round_trip(*enc, *dec, {first, second, third}, w, h, &packets);
    EXPECT_EQ(tiles_in(packets[1]), 1u);
    EXPECT_LT(packets[1].bytes.size(), 500u);  // the XOR of a 64 KiB tile: mostly zeros
    EXPECT_EQ(tiles_in(packets[2]), 2u);
    FramePacketHeader hd;
    ASSERT_TRUE(read_frame_packet_header(packets[1].bytes.data(), packets[1].bytes.size(), CodecKind::Lz4Tiles, w, h, hd));
    EXPECT_EQ(hd.first_row, 128u);
    EXPECT_EQ(hd.row_count, 128u);
}

TEST(TiledCodec, SizesThatAreNotMultiplesOfTheTile) {
    for (const auto& [w, h, tile] : std::vector<std::tuple<uint32_t, uint32_t, uint32_t>>{
             {1, 1, 32}, {31, 33, 32}, {33, 17, 32}, {129, 129, 128}, {97, 61, 32}, {250, 97, 64}, {1000, 3, 128}}) {
        SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h) + " tile " + std::to_string(tile));
        auto enc = tiled_encoder(w, h, 2, tile);
        auto dec = make_tiled_decoder(w, h, 2);
        ASSERT_TRUE(enc && dec);
        std::vector<std::vector<uint8_t>> frames;
        for (uint32_t t = 0; t < 4; ++t) frames.push_back(test::make_scene_bgra(w, h, t));
        frames.push_back(random_frame(w, h, 9));
        frames.push_back(frames.back());
        round_trip(*enc, *dec, frames, w, h);
    }
}

TEST(TiledCodec, TileSizesOutsideTheRangeAreRefused) {
    EXPECT_FALSE(tiled_encoder(100, 100, 1, kMinTileSide - 1));
    EXPECT_FALSE(tiled_encoder(100, 100, 1, kMaxTileSide + 1));
}

// A damaged tile is an error, never a wrong picture: every single-byte change to a packet either fails to decode
// or (in bytes that do not matter, like a key frame's reference field) decodes to the right picture.
TEST(TiledCodec, DamagedTilesAreDetected) {
    const uint32_t w = 150, h = 90;
    auto enc = tiled_encoder(w, h, 2, 32);
    const auto key_frame = test::make_scene_bgra(w, h, 4);
    auto next_frame = key_frame;
    for (size_t i = 0; i < next_frame.size() / 3; i += 4) next_frame[i] += 5;
    EncodedFrame key, delta;
    ASSERT_TRUE(enc->encode(view_of(key_frame, w, h), key));
    ASSERT_TRUE(enc->encode(view_of(next_frame, w, h), delta));
    ASSERT_FALSE(delta.keyframe);

    // One byte in the middle of the first tile's data: the checksum catches it.
    const size_t first_data = kFramePacketHeaderBytes + 12 + size_t(tiles_in(key)) * 16;
    auto bad = key.bytes;
    bad[first_data + 5] ^= 0x40;
    auto dec = make_tiled_decoder(w, h, 2);
    DecodedFrame picture;
    const CodecStatus s = dec->decode(bad.data(), bad.size(), picture);
    EXPECT_EQ(s.error(), CodecError::CorruptData);
    EXPECT_NE(s.message().find("checksum"), std::string::npos) << s.message();
    // The decoder wants a key frame after that, and recovers with one.
    EXPECT_EQ(dec->decode(delta.bytes.data(), delta.bytes.size(), picture).error(), CodecError::MissingReference);
    ASSERT_TRUE(dec->decode(key.bytes.data(), key.bytes.size(), picture));
    ASSERT_TRUE(dec->decode(delta.bytes.data(), delta.bytes.size(), picture));
    EXPECT_EQ(picture.bgra, next_frame);

    std::mt19937 rng(7);
    for (int i = 0; i < 400; ++i) {
        const bool on_delta = i & 1;
        auto damaged = on_delta ? delta.bytes : key.bytes;
        const size_t at = rng() % damaged.size();
        damaged[at] ^= uint8_t(1 + rng() % 255);
        auto d = make_tiled_decoder(w, h, 2);
        if (on_delta) {
            ASSERT_TRUE(d->decode(key.bytes.data(), key.bytes.size(), picture));
        }
        if (d->decode(damaged.data(), damaged.size(), picture)) {
            EXPECT_EQ(picture.bgra, on_delta ? next_frame : key_frame) << "byte " << at << " changed, not noticed";
        }
    }
}

TEST(TiledCodec, DeltaWithoutItsReferenceIsRejected) {
    const uint32_t w = 97, h = 61;
    auto enc = tiled_encoder(w, h, 1, 32);
    std::vector<EncodedFrame> p(3);
    for (uint32_t t = 0; t < p.size(); ++t) {
        const auto f = test::make_scene_bgra(w, h, t);
        ASSERT_TRUE(enc->encode(view_of(f, w, h), p[t]));
    }
    DecodedFrame picture;
    auto late = make_tiled_decoder(w, h, 1);
    EXPECT_EQ(late->decode(p[1].bytes.data(), p[1].bytes.size(), picture).error(), CodecError::MissingReference);
    auto lossy = make_tiled_decoder(w, h, 1);
    ASSERT_TRUE(lossy->decode(p[0].bytes.data(), p[0].bytes.size(), picture));
    EXPECT_EQ(lossy->decode(p[2].bytes.data(), p[2].bytes.size(), picture).error(), CodecError::MissingReference);
    enc->request_keyframe();
    EncodedFrame key;
    const auto next = test::make_scene_bgra(w, h, 5);
    ASSERT_TRUE(enc->encode(view_of(next, w, h), key));
    EXPECT_TRUE(key.keyframe);
    ASSERT_TRUE(lossy->decode(key.bytes.data(), key.bytes.size(), picture));
    EXPECT_EQ(picture.bgra, next);
}

TEST(TiledCodec, PeriodicKeyFrames) {
    auto enc = tiled_encoder(97, 61, 1, 32, 3);
    std::vector<bool> keys;
    EncodedFrame p;
    for (uint32_t t = 0; t < 7; ++t) {
        const auto f = test::make_scene_bgra(97, 61, t);
        ASSERT_TRUE(enc->encode(view_of(f, 97, 61), p));
        keys.push_back(p.keyframe);
    }
    EXPECT_EQ(keys, (std::vector<bool>{true, false, false, true, false, false, true}));
}

// Threads change the speed, never the bytes: packets from 1, 2 and 5 threads are identical, and decoders with
// different thread counts produce identical pictures.
TEST(TiledCodec, ThreadCountDoesNotChangeTheOutput) {
    const uint32_t w = 421, h = 263;
    std::vector<std::vector<uint8_t>> frames;
    for (uint32_t t = 0; t < 5; ++t) frames.push_back(test::make_scene_bgra(w, h, t));
    frames.push_back(random_frame(w, h, 3));
    frames.push_back(frames[2]);
    std::vector<std::vector<EncodedFrame>> runs;
    for (uint32_t threads : {1u, 2u, 5u}) {
        auto enc = tiled_encoder(w, h, threads, 64);
        auto dec = make_tiled_decoder(w, h, 6 - threads);
        runs.emplace_back();
        round_trip(*enc, *dec, frames, w, h, &runs.back());
    }
    for (size_t r = 1; r < runs.size(); ++r)
        for (size_t t = 0; t < frames.size(); ++t) EXPECT_EQ(runs[r][t].bytes, runs[0][t].bytes) << r << " " << t;
}

// decode_into writes the picture into the caller's rows and nothing past them (a window's buffer with padded rows).
TEST(TiledCodec, DecodesStraightIntoACallersPicture) {
    const uint32_t w = 200, h = 75, stride = w * 4 + 64;
    auto enc = tiled_encoder(w, h, 2, 32);
    auto dec = make_tiled_decoder(w, h, 2);
    std::vector<uint8_t> target(size_t(stride) * h, 0xab);
    for (uint32_t t = 0; t < 3; ++t) {
        const auto f = test::make_scene_bgra(w, h, t);
        EncodedFrame p;
        ASSERT_TRUE(enc->encode(view_of(f, w, h), p));
        DecodedFrame info;
        ASSERT_TRUE(dec->decode_into(p.bytes.data(), p.bytes.size(), PictureTarget{target.data(), stride}, info));
        EXPECT_TRUE(info.bgra.empty());
        EXPECT_EQ(info.keyframe, t == 0);
        for (uint32_t y = 0; y < h; ++y) {
            ASSERT_EQ(std::memcmp(target.data() + size_t(y) * stride, f.data() + size_t(y) * w * 4, w * 4), 0) << y;
            for (uint32_t x = w * 4; x < stride; ++x) ASSERT_EQ(target[size_t(y) * stride + x], 0xab);
        }
    }
    DecodedFrame info;
    EXPECT_EQ(dec->decode_into(nullptr, 0, PictureTarget{target.data(), w * 4 - 4}, info).error(),
              CodecError::InvalidArgument);
}

// A window's buffers take turns: each still holds the picture decoded into it last time, and only the tiles changed
// since then are written again. Frames change one corner tile at a time, so a skipped tile shows if it is wrong.
TEST(TiledCodec, TargetsThatHoldAnEarlierPictureGetOnlyWhatChangedSince) {
    const uint32_t w = 96, h = 64, tile = 32;  // 3x2 tiles
    auto enc = tiled_encoder(w, h, 2, tile);
    auto dec = make_tiled_decoder(w, h, 2);
    std::vector<uint8_t> frame = test::make_scene_bgra(w, h, 0);
    std::vector<uint8_t> buffers[2] = {std::vector<uint8_t>(size_t(w) * h * 4), std::vector<uint8_t>(size_t(w) * h * 4)};
    uint64_t holds[2] = {0, 0};
    for (uint32_t t = 0; t < 8; ++t) {
        if (t > 0) {
            // One tile changes: the top-left one on even frames, the bottom-right one on odd ones.
            const uint32_t x0 = t % 2 ? w - tile : 0, y0 = t % 2 ? h - tile : 0;
            for (uint32_t y = y0; y < y0 + tile; ++y)
                for (uint32_t x = x0; x < x0 + tile; ++x) frame[(size_t(y) * w + x) * 4] = uint8_t(t * 31 + x);
        }
        EncodedFrame p;
        ASSERT_TRUE(enc->encode(view_of(frame, w, h), p));
        std::vector<uint8_t>& b = buffers[t % 2];
        DecodedFrame info;
        ASSERT_TRUE(dec->decode_into(p.bytes.data(), p.bytes.size(), PictureTarget{b.data(), w * 4, holds[t % 2]}, info));
        ASSERT_NE(info.picture, 0u);
        EXPECT_GT(info.picture, holds[0]);
        EXPECT_GT(info.picture, holds[1]);
        ASSERT_EQ(b, frame) << "frame " << t;
        holds[t % 2] = info.picture;
    }
    // The middle tiles never changed after the key frame: a buffer that holds a picture is not written there (a
    // mark put in the middle stays), and one that holds nothing known is written whole.
    auto mark_middle = [&](std::vector<uint8_t>& b) { b[(size_t(10) * w + 40) * 4] ^= 0xff; };
    const std::vector<uint8_t> before = frame;
    frame[0] ^= 1;  // one more change, in the top-left tile
    EncodedFrame p;
    ASSERT_TRUE(enc->encode(view_of(frame, w, h), p));
    std::vector<uint8_t> marked = buffers[0];
    mark_middle(marked);
    DecodedFrame info;
    ASSERT_TRUE(dec->decode_into(p.bytes.data(), p.bytes.size(), PictureTarget{marked.data(), w * 4, holds[0]}, info));
    std::vector<uint8_t> expected = frame;
    mark_middle(expected);
    EXPECT_EQ(marked, expected);  // skipped: the mark is still there
    // A decoder made afterwards never takes another's picture numbers for its own.
    auto dec2 = make_tiled_decoder(w, h, 2);
    auto enc2 = tiled_encoder(w, h, 2, tile);
    ASSERT_TRUE(enc2->encode(view_of(frame, w, h), p));
    std::vector<uint8_t> fresh = buffers[1];
    mark_middle(fresh);
    ASSERT_TRUE(dec2->decode_into(p.bytes.data(), p.bytes.size(), PictureTarget{fresh.data(), w * 4, info.picture}, info));
    EXPECT_EQ(fresh, frame);  // its key frame writes every tile
    ASSERT_TRUE(enc2->encode(view_of(before, w, h), p));
    mark_middle(fresh);
    ASSERT_TRUE(dec2->decode_into(p.bytes.data(), p.bytes.size(), PictureTarget{fresh.data(), w * 4, 0}, info));
    EXPECT_EQ(fresh, before);  // holds 0: every tile written
}

// Every other decoder gets decode_into too, through a copy of its own picture.
TEST(TiledCodec, OtherDecodersDecodeIntoACallersPictureToo) {
    const uint32_t w = 97, h = 61, stride = w * 4 + 12;
    for (CodecKind kind : {CodecKind::Raw, CodecKind::Lz4, CodecKind::Lz4Delta}) {
        EncoderSettings s;
        s.codec = kind;
        s.width = w;
        s.height = h;
        auto enc = create_encoder(s).encoder;
        auto dec = create_decoder(kind, w, h).decoder;
        ASSERT_TRUE(enc && dec);
        const auto f = test::make_scene_bgra(w, h, 1);
        EncodedFrame p;
        ASSERT_TRUE(enc->encode(view_of(f, w, h), p));
        std::vector<uint8_t> target(size_t(stride) * h);
        DecodedFrame info;
        ASSERT_TRUE(dec->decode_into(p.bytes.data(), p.bytes.size(), PictureTarget{target.data(), stride}, info));
        for (uint32_t y = 0; y < h; ++y)
            ASSERT_EQ(std::memcmp(target.data() + size_t(y) * stride, f.data() + size_t(y) * w * 4, w * 4), 0);
    }
}

// The packets encode_slices() hands over for one frame.
std::vector<EncodedFrame> slices_of(Encoder& enc, const std::vector<uint8_t>& frame, uint32_t w, uint32_t h) {
    std::vector<EncodedFrame> out;
    std::vector<bool> lasts;
    const CodecStatus s = enc.encode_slices(view_of(frame, w, h), [&](EncodedFrame& p, bool last) {
        lasts.push_back(last);
        out.push_back(std::move(p));
        return true;
    });
    EXPECT_TRUE(s) << s.message();
    for (size_t i = 0; i < lasts.size(); ++i) EXPECT_EQ(lasts[i], i + 1 == lasts.size()) << i;
    return out;
}

FramePacketHeader header_of(const EncodedFrame& p, uint32_t w, uint32_t h) {
    FramePacketHeader fh;
    EXPECT_TRUE(read_frame_packet_header(p.bytes.data(), p.bytes.size(), CodecKind::Lz4Tiles, w, h, fh));
    return fh;
}

void slices_round_trip(uint32_t threads);

TEST(TiledCodec, SlicesOfWholeTileRowsDecodeIntoOnePicture) {
    // 16 x 10 tiles of 64 (the bottom row 24 high); 1-5 threads want 3-15 tiles a slice: one tile row each.
    for (uint32_t threads : {1u, 2u, 5u}) slices_round_trip(threads);
}

void slices_round_trip(uint32_t threads) {
    SCOPED_TRACE(threads);
    const uint32_t w = 1000, h = 600, stride = w * 4 + 32;
    auto enc = tiled_encoder(w, h, threads, 64);
    auto whole = tiled_encoder(w, h, 2, 64);
    auto dec = make_tiled_decoder(w, h, 2);
    std::vector<uint8_t> target(size_t(stride) * h, 0);
    const auto still = test::make_scene_bgra(w, h, 5);
    std::vector<uint8_t> partly = still;
    for (uint32_t y = 300; y < 340; ++y)
        for (uint32_t x = 100; x < 300; ++x) std::memcpy(partly.data() + (size_t(y) * w + x) * 4, "\x40\x50\x60\xff", 4);
    const std::vector<std::vector<uint8_t>> frames = {test::make_scene_bgra(w, h, 0), test::make_scene_bgra(w, h, 1),
                                                      still, still, partly, random_frame(w, h, 9)};
    for (size_t t = 0; t < frames.size(); ++t) {
        const auto packets = slices_of(*enc, frames[t], w, h);
        ASSERT_EQ(packets.size(), 10u) << t;
        uint32_t row = 0;
        size_t tiles = 0;
        for (size_t k = 0; k < packets.size(); ++k) {
            const FramePacketHeader fh = header_of(packets[k], w, h);
            EXPECT_TRUE(fh.slice());
            EXPECT_EQ(fh.completes_frame(), k + 1 == packets.size());
            EXPECT_EQ(fh.keyframe(), t == 0);
            EXPECT_EQ(fh.first_row, row);
            EXPECT_EQ(fh.row_count, k + 1 == packets.size() ? 24u : 64u);
            row += fh.row_count;
            tiles += tiles_in(packets[k]);
            DecodedFrame info;
            const CodecStatus s =
                dec->decode_into(packets[k].bytes.data(), packets[k].bytes.size(), {target.data(), stride}, info);
            ASSERT_TRUE(s) << "frame " << t << " slice " << k << ": " << s.message();
        }
        for (uint32_t y = 0; y < h; ++y)
            ASSERT_EQ(std::memcmp(target.data() + size_t(y) * stride, frames[t].data() + size_t(y) * w * 4, w * 4), 0)
                << "frame " << t << " row " << y;
        // The same tiles travel as in one whole-frame packet.
        EncodedFrame one;
        ASSERT_TRUE(whole->encode(view_of(frames[t], w, h), one));
        EXPECT_EQ(tiles, tiles_in(one)) << t;
        if (t == 3) {
            EXPECT_EQ(tiles, 0u);  // the same picture again
        }
        if (t == 4) {
            EXPECT_EQ(tiles, 8u);  // x 100-299, y 300-339: columns 1-4 of tile rows 4 and 5
        }
    }
}

TEST(TiledCodec, SmallFramesAreNotSliced) {
    const uint32_t w = 200, h = 100;  // 2 x 1 tiles of 128
    auto enc = tiled_encoder(w, h, 2);
    const auto packets = slices_of(*enc, test::make_scene_bgra(w, h, 0), w, h);
    ASSERT_EQ(packets.size(), 1u);
    EXPECT_FALSE(header_of(packets[0], w, h).slice());
}

TEST(TiledCodec, AMissingOrRepeatedSliceIsNeverShownAsRight) {
    const uint32_t w = 640, h = 384;  // 10 x 6 tiles of 64; 2 threads: one tile row a slice
    auto enc = tiled_encoder(w, h, 2, 64);
    auto dec = make_tiled_decoder(w, h, 2);
    DecodedFrame picture;
    auto decode = [&](const EncodedFrame& p) { return dec->decode(p.bytes.data(), p.bytes.size(), picture); };
    for (const EncodedFrame& p : slices_of(*enc, test::make_scene_bgra(w, h, 0), w, h)) ASSERT_TRUE(decode(p));
    // A delta frame whose middle slice is lost: the slice after it, and the next delta frame, are refused.
    auto second = slices_of(*enc, test::make_scene_bgra(w, h, 1), w, h);
    ASSERT_EQ(second.size(), 6u);
    ASSERT_TRUE(decode(second[0]));
    EXPECT_EQ(decode(second[2]).error(), CodecError::MissingReference);
    auto third = slices_of(*enc, test::make_scene_bgra(w, h, 2), w, h);
    EXPECT_EQ(decode(third[0]).error(), CodecError::MissingReference);
    // A slice given twice is refused too.
    enc->request_keyframe();
    auto key = slices_of(*enc, test::make_scene_bgra(w, h, 3), w, h);
    ASSERT_TRUE(decode(key[0]));
    ASSERT_TRUE(decode(key[1]));
    EXPECT_EQ(decode(key[1]).error(), CodecError::MissingReference);
    // A key frame decoded slice by slice in order recovers.
    for (const EncodedFrame& p : key) ASSERT_TRUE(decode(p));
    EXPECT_EQ(picture.bgra, test::make_scene_bgra(w, h, 3));
    // A whole-frame delta cannot apply to a frame whose slices stopped halfway.
    auto fourth = slices_of(*enc, test::make_scene_bgra(w, h, 4), w, h);
    ASSERT_TRUE(decode(fourth[0]));
    EncodedFrame whole;
    auto enc2 = tiled_encoder(w, h, 2, 64);
    ASSERT_TRUE(enc2->encode(view_of(test::make_scene_bgra(w, h, 4), w, h), whole));
    EXPECT_FALSE(header_of(whole, w, h).slice());
    // A frame the client abandons halfway (Decoder::reset) is not completed by its last slice.
    auto fifth = slices_of(*enc, test::make_scene_bgra(w, h, 5), w, h);
    enc->request_keyframe();
    auto key2 = slices_of(*enc, test::make_scene_bgra(w, h, 6), w, h);
    for (const EncodedFrame& p : key2) ASSERT_TRUE(decode(p));
    auto seventh = slices_of(*enc, test::make_scene_bgra(w, h, 7), w, h);
    for (size_t k = 0; k + 1 < seventh.size(); ++k) ASSERT_TRUE(decode(seventh[k]));
    dec->reset();
    EXPECT_EQ(decode(seventh.back()).error(), CodecError::MissingReference);
}

TEST(TiledCodec, ASliceNotTakenMakesTheNextFrameAKeyFrame) {
    const uint32_t w = 640, h = 384;
    auto enc = tiled_encoder(w, h, 2);
    slices_of(*enc, test::make_scene_bgra(w, h, 0), w, h);
    int taken = 0;
    const CodecStatus s = enc->encode_slices(view_of(test::make_scene_bgra(w, h, 1), w, h),
                                             [&](EncodedFrame&, bool) { return ++taken < 2; });
    EXPECT_FALSE(s);
    EXPECT_EQ(taken, 2);
    const auto next = slices_of(*enc, test::make_scene_bgra(w, h, 2), w, h);
    ASSERT_FALSE(next.empty());
    EXPECT_TRUE(next[0].keyframe);
}

TEST(TiledCodec, ChecksumSeesEveryByte) {
    std::vector<uint8_t> a(1000);
    for (size_t i = 0; i < a.size(); ++i) a[i] = uint8_t(i * 7);
    const uint32_t base = tile_checksum(a.data(), a.size());
    for (size_t i = 0; i < a.size(); ++i) {
        a[i] ^= 1;
        EXPECT_NE(tile_checksum(a.data(), a.size()), base) << i;
        a[i] ^= 1;
    }
    EXPECT_NE(tile_checksum(a.data(), a.size() - 4), base);
}

}  // namespace
}  // namespace anarchy::video
