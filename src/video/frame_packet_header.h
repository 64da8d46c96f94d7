// The header in front of every packet of every codec. 36 bytes, little-endian:
//   u32 magic "ANVF", u8 version, u8 codec kind, u8 flags, u8 reserved (0),
//   u32 width, u32 height, u32 sequence, u32 reference sequence, u32 first row, u32 row count, u32 payload bytes.
// For raw, lz4 and lz4-delta the payload covers rows [first row, first row + row count) of the BGRA frame (lz4-tiles:
// its tiles, see tiled_codec.h, and the rows are the band they cover); for video
// codecs it is one access unit of the elementary stream (Annex B for H.264/HEVC, OBUs for AV1) and the rows are the
// whole frame (a banded frame's slice: the band's own packet, whose rows are the band). Decoders learn from it, before any codec library sees a byte, that a packet is cut short, belongs
// to another stream, or depends on a frame they never got (a frame dropped because the newest one wins).
// Versions: 1 the first; 2 adds codec kind 6, lz4-tiles (tiled_codec.h), whose payload starts with a layout version
// of its own; 3 adds slices (lz4-tiles only): a frame sent as several packets, each covering a band of rows, in
// order from the top, so the client decodes the first bands while the server still encodes the last; 4 adds slices
// of video codecs, one per band of a banded frame (banded_codec.h), each slice's payload the band stream's own
// packet, header included. A decoder accepts its own version only: both ends are built from one tree.
#pragma once

#include <cstddef>
#include <cstdint>

#include "video/codec_kind.h"
#include "video/codec_status.h"

namespace anarchy::video {

inline constexpr size_t kFramePacketHeaderBytes = 36;
inline constexpr uint32_t kFramePacketMagic = 0x46564e41;  // "ANVF" read as little-endian u32
inline constexpr uint8_t kFramePacketVersion = 4;
/// Flag bit 0: a key frame, complete in itself (a key slice: its band, complete in itself).
inline constexpr uint8_t kFramePacketKeyframe = 1;
/// Flag bit 1: one slice of a frame, covering rows [first row, first row + row count); the frame's slices come in
/// order from row 0 and share its sequence, reference and key flag.
inline constexpr uint8_t kFramePacketSlice = 2;
/// Flag bit 2 (with kFramePacketSlice): the frame's last slice, which ends at its last row.
inline constexpr uint8_t kFramePacketLastSlice = 4;

/// The header's fields as numbers.
struct FramePacketHeader {
    CodecKind codec = CodecKind::Raw;
    uint8_t flags = 0;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t sequence = 0;   ///< counts frames from the encoder's start, wrapping
    uint32_t reference = 0;  ///< for a delta: the sequence of the frame it applies to
    uint32_t first_row = 0;
    uint32_t row_count = 0;
    uint32_t payload_bytes = 0;  ///< bytes after the header; the packet must be exactly this long

    bool keyframe() const { return flags & kFramePacketKeyframe; }
    bool slice() const { return flags & kFramePacketSlice; }
    /// The packet completes its frame: a whole frame, or a frame's last slice.
    bool completes_frame() const { return !slice() || (flags & kFramePacketLastSlice); }
};

/// Writes h into out[0..kFramePacketHeaderBytes).
void write_frame_packet_header(const FramePacketHeader& h, uint8_t* out);

/// Reads and checks the header of a packet for a decoder of that codec and size: magic, version, flags, frame size,
/// a payload length equal to what follows, and a row range inside the frame; a key frame must cover every row
/// (a key slice its band). Slices are accepted for lz4-tiles and the video codecs (bands); the last slice must end
/// at the frame's last row.
CodecStatus read_frame_packet_header(const uint8_t* data, size_t size, CodecKind codec, uint32_t width,
                                     uint32_t height, FramePacketHeader& out);

/// read_frame_packet_header for a video codec's packet (H.264, HEVC, AV1), whichever library decodes it: it must
/// cover the whole frame and carry a payload, and a predicted frame must build on the last one decoded
/// (`last_sequence`, meaningful only when `have_reference`); otherwise MissingReference, so the caller asks for a
/// key frame.
CodecStatus read_video_packet_header(const uint8_t* data, size_t size, CodecKind codec, uint32_t width,
                                     uint32_t height, bool have_reference, uint32_t last_sequence,
                                     FramePacketHeader& out);

}  // namespace anarchy::video
