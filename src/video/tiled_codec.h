// Lz4Tiles: the lossless codec that uses every core. A frame is cut into tiles (128x128 pixels by default; those on
// the right and bottom edges are smaller when the size is not a multiple). A key frame carries every tile; any other
// frame only the tiles that changed since the previous frame, each as the LZ4 of its pixels or, where a sample of its
// words shows much of it unchanged, of its pixels XOR the previous frame's tile (stored as is when LZ4 does not
// shrink it). Tiles are compressed and
// expanded in parallel on a small persistent thread pool, and the decoder writes each tile straight into the
// caller's picture (Decoder::decode_into), so nothing copies the whole frame in between. Every tile carries a
// checksum of its pixels: a damaged tile, or a delta applied to the wrong reference, is an error, never a wrong
// picture shown as if it were right.
//
// Payload after the frame packet header (little-endian):
//   u8 layout version (1), u8 reserved (0), u16 tile width, u16 tile height, u16 reserved (0), u32 tile count n,
//   n entries of 16 bytes: u32 tile index (strictly increasing, row-major over the tile grid),
//                          u8 method (0 stored, 1 LZ4, 2 LZ4 of XOR with the previous frame's tile),
//                          u8[3] reserved (0), u32 byte count, u32 checksum of the tile's decoded pixels,
//   then each entry's bytes in entry order.
// A tile's pixels are its rows one after another, (tile's width * 4) bytes each. The header's first row and row
// count give the band of rows the changed tiles cover (the whole frame for a key frame).
// Slices (Encoder::encode_slices): a large frame goes as one packet per band of whole tile rows, from the top, each
// flagged kFramePacketSlice (the last also kFramePacketLastSlice), its rows the band's whatever changed, its table
// only the band's tiles; the decoder writes each band into the picture as it comes, and holds the frame as its
// reference only once the last slice is in (a slice missing or out of order is MissingReference).
#pragma once

#include <cstdint>
#include <memory>

#include "video/decoder.h"
#include "video/encoder.h"

namespace anarchy::video {

/// Smallest and largest tile side the format allows. The lower bound keeps the 16-byte entry per tile below
/// max_packet_bytes()'s allowance for expansion; the upper one keeps a tile far below LZ4's block limit.
inline constexpr uint32_t kMinTileSide = 32;
inline constexpr uint32_t kMaxTileSide = 1024;

/// How a tiled encoder is made.
struct TiledEncoderOptions {
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t tile_width = 128;   ///< kMinTileSide..kMaxTileSide
    uint32_t tile_height = 128;  ///< kMinTileSide..kMaxTileSide
    uint32_t keyframe_interval = 0;  ///< frames between periodic key frames; 0: key frames on request only
    uint32_t threads = 1;            ///< threads compressing tiles, the caller's included
    /// LZ4's acceleration (LZ4_compress_fast): 1 is LZ4's default; larger values compress faster and a little
    /// less (decoding is as fast). See default_lz4_acceleration().
    int lz4_acceleration = 1;
    /// Encoder::encode_slices() cuts frames of enough tiles into slices of whole tile rows, each a packet the
    /// client decodes while the next is encoded (the frame packet header's kFramePacketSlice); false: one packet.
    bool slices = true;
};

/// The acceleration lz4-tiles encoders of that frame size get: ANARCHY_LZ4_ACCELERATION (1-65537) where set, else
/// 16 for frames larger than 1920x1088 (where encoding time dominates the latency) and 1 for the others.
int default_lz4_acceleration(uint32_t width, uint32_t height);

/// A tiled encoder; null when a tile side is out of range.
std::unique_ptr<Encoder> make_tiled_encoder(const TiledEncoderOptions& options);
/// The matching decoder, expanding tiles on `threads` threads (the caller's included).
std::unique_ptr<Decoder> make_tiled_decoder(uint32_t width, uint32_t height, uint32_t threads);

/// The checksum each tile carries: a 32-bit hash of size bytes (four independent multiply-rotate lanes, fast enough
/// to run over every changed pixel on both ends).
uint32_t tile_checksum(const uint8_t* data, size_t size);

}  // namespace anarchy::video
