// The decoder interface: a packet in, a BGRA picture of the stream's exact size out, or an error for anything a
// valid encoder does not produce. Never crashes on input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "video/codec_kind.h"
#include "video/codec_status.h"

namespace anarchy::video {

/// A decoded picture: B,G,R,A bytes, A = 255, rows of exactly width * 4 bytes.
struct DecodedFrame {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<uint8_t> bgra;
    bool keyframe = false;
    uint32_t decode_us = 0;  ///< measured wall time of decode(), colour conversion included
    /// A decoder that can reuse what a target already holds (lz4-tiles) names each picture it completes: a number
    /// unique in the process, larger than any named before. 0: not named (other codecs, a frame not complete yet).
    uint64_t picture = 0;
};

/// Caller memory a picture is decoded straight into, e.g. a window's shared-memory buffer: width() x height()
/// BGRA pixels, rows `stride` bytes apart.
struct PictureTarget {
    uint8_t* pixels = nullptr;
    size_t stride = 0;
    /// The picture (DecodedFrame::picture) these pixels still hold, written there by this decoder and untouched
    /// since, or 0 for unknown. lz4-tiles then leaves the tiles that have not changed since that picture as they
    /// are instead of copying them again (a window's buffers take turns, so each holds an older frame).
    uint64_t holds = 0;
};

/// A frame decoder for one stream. Not thread-safe: one thread at a time per instance.
class Decoder {
public:
    virtual ~Decoder() = default;
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;

    /// Backend name: "raw", "lz4", "lz4-delta", "lz4-tiles", "h264", "libdav1d", "hevc (cuda)", ...
    virtual const char* name() const = 0;
    /// The hardware device type doing the work ("cuda", "vaapi", "vdpau"), or "" for software decoding.
    virtual const char* hardware_name() const { return ""; }

    CodecKind codec() const { return codec_; }
    uint32_t width() const { return width_; }
    uint32_t height() const { return height_; }

    /// Decodes one packet produced by the matching encoder into out. On error out is unspecified, the decoder
    /// waits for a key frame again, and the caller should ask the encoder for one.
    CodecStatus decode(const uint8_t* data, size_t size, DecodedFrame& out);
    /// Same, but the picture goes to target instead of out.bgra, which is left as it is (out gets the other
    /// fields). Backends that can write there directly do (lz4-tiles: no full-frame copy in between); the others
    /// decode into a picture of their own and copy its rows. On error the target holds an unspecified picture.
    CodecStatus decode_into(const uint8_t* data, size_t size, const PictureTarget& target, DecodedFrame& out);
    /// Forgets the frames decoded so far, as after an error: only a key frame is accepted next (a frame whose
    /// slices were abandoned halfway must not be completed by its last one).
    void reset() { reset_after_error(); }

protected:
    Decoder(CodecKind codec, uint32_t width, uint32_t height) : codec_(codec), width_(width), height_(height) {}
    /// Backend part of decode(): data is non-null and size within bounds; fill out.bgra (resized) and keyframe.
    virtual CodecStatus decode_packet(const uint8_t* data, size_t size, DecodedFrame& out) = 0;
    /// Backend part of decode_into(): as decode_packet(), with the picture written to target (checked: pixels set,
    /// stride at least width() * 4); set out.keyframe. The default decodes into a picture of its own and copies it.
    virtual CodecStatus decode_packet_into(const uint8_t* data, size_t size, const PictureTarget& target,
                                           DecodedFrame& out);
    /// Forget the reference state so that only a key frame is accepted next.
    virtual void reset_after_error() {}

private:
    template <typename Backend>
    CodecStatus run_decode(const uint8_t* data, size_t size, DecodedFrame& out, Backend backend);

    CodecKind codec_;
    uint32_t width_;
    uint32_t height_;
    DecodedFrame scratch_;  ///< the default decode_packet_into's picture
};

/// The largest packet a decoder of this size accepts: uncompressed BGRA plus the worst LZ4 expansion and headers.
size_t max_packet_bytes(uint32_t width, uint32_t height);

}  // namespace anarchy::video
