// The encoder interface every backend implements: one frame in, exactly one packet out, no frame held back.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "video/codec_kind.h"
#include "video/codec_status.h"
#include "video/frame_view.h"

namespace anarchy::video {

/// What the caller wants from an encoder; the factory picks a backend that provides it.
struct EncoderSettings {
    CodecKind codec = CodecKind::H264;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t fps = 60;          ///< frame rate hint for rate control and key frame spacing
    uint32_t bitrate_kbps = 0;  ///< 0: automatic_bitrate_kbps(); with quality set, 0 means no bitrate cap
    /// Constant quality instead of constant bitrate, on the codec's own CRF/CQ scale (H.264/HEVC 0-51, AV1 0-63;
    /// lower is better). Ignored by the lossless codecs.
    std::optional<int> quality;
    bool prefer_hardware = true;  ///< try NVENC first; false skips hardware backends
    /// Frames between key frames; unset: 2 s worth. 0: intra refresh where the backend has it (a video backend
    /// without it keeps 2 s worth and says so in the factory's reason); for lz4-delta, key frames on request only.
    std::optional<uint32_t> keyframe_interval;
    uint32_t threads = 0;  ///< software encoder and lz4-tiles threads; 0: default_codec_threads() (task_pool.h)
    /// Software video encoders: cut each frame into up to this many bands of rows, each band encoded by an
    /// encoder of its own, all at once, and sent as one slice per band (banded_codec.h); 1: whole frames.
    uint32_t bands = 1;
    /// A band's own encoder: the whole frame's height, which settles speed-for-size choices such as libx264's
    /// preset; 0: height is the whole frame's.
    uint32_t frame_height = 0;
    /// Non-empty: try only these backends (names as Encoder::name() gives them), in this order. For tests.
    std::vector<std::string> backends;
};

/// One encoded frame; the bytes are what the decoder's decode() takes.
struct EncodedFrame {
    std::vector<uint8_t> bytes;
    bool keyframe = false;   ///< a fresh decoder can start here
    uint32_t encode_us = 0;  ///< measured wall time of encode(), colour conversion included
    CodecKind codec = CodecKind::Raw;
    uint32_t width = 0;
    uint32_t height = 0;
};

/// Takes the packets of a frame encoded in slices (Encoder::encode_slices), in order; `last` with the packet that
/// completes the frame. False stops the frame: encode_slices() then fails.
using SliceSink = std::function<bool(EncodedFrame& packet, bool last)>;

/// A frame encoder. Not thread-safe: one thread at a time per instance.
class Encoder {
public:
    virtual ~Encoder() = default;
    Encoder(const Encoder&) = delete;
    Encoder& operator=(const Encoder&) = delete;

    /// Backend name: "raw", "lz4", "lz4-delta", "lz4-tiles", "libx264", "h264_nvenc", "libaom-av1", ...
    virtual const char* name() const = 0;
    /// True when the work runs on a GPU's encoder block.
    virtual bool is_hardware() const { return false; }
    /// The layout encode() takes without converting: Bgra8 for the lossless codecs, I420 for video codecs.
    /// The others are accepted too, at the cost of a conversion on the CPU.
    virtual PixelFormat input_format() const = 0;
    /// Makes the next encoded frame a key frame that a fresh decoder can start from.
    virtual void request_keyframe() = 0;
    /// The rate the encoder aims at, in kbit/s; 0 for codecs without one (lossless, constant quality).
    virtual uint32_t bitrate_kbps() const { return 0; }
    /// Aims at a new rate from the next frame on, without a key frame. False when this backend cannot change it
    /// while open (the caller opens a new encoder with the rate instead) or has no rate to change.
    virtual bool set_bitrate_kbps(uint32_t kbps) {
        (void)kbps;
        return false;
    }

    CodecKind codec() const { return codec_; }
    uint32_t width() const { return width_; }
    uint32_t height() const { return height_; }

    /// Encodes one frame of exactly width() x height() into one packet, filling every field of out.
    CodecStatus encode(const FrameView& frame, EncodedFrame& out);
    /// Encodes one frame as one or more packets, each handed to `emit` as soon as it is ready, in the order the
    /// decoder takes them, so that sending and decoding the first bands overlap encoding the last. lz4-tiles cuts
    /// large frames into slices of whole tile rows (set_slices); the other backends emit their one packet. Each
    /// packet's encode_us is the time since the previous one was handed over (since the call for the first).
    CodecStatus encode_slices(const FrameView& frame, const SliceSink& emit);

protected:
    Encoder(CodecKind codec, uint32_t width, uint32_t height) : codec_(codec), width_(width), height_(height) {}
    /// Backend part of encode(): the frame is checked and of the right size; fill out.bytes and out.keyframe.
    virtual CodecStatus encode_frame(const FrameView& frame, EncodedFrame& out) = 0;
    /// Backend part of encode_slices(), the frame checked as for encode_frame(): fill and emit each packet's
    /// bytes and keyframe. The default emits encode_frame()'s one packet.
    virtual CodecStatus encode_frame_slices(const FrameView& frame, const SliceSink& emit);

private:
    /// The frame is well formed and of this encoder's size (encode() and encode_slices() check it first).
    CodecStatus check_input(const FrameView& frame) const;

    CodecKind codec_;
    uint32_t width_;
    uint32_t height_;
};

/// The bitrate used when EncoderSettings::bitrate_kbps is 0 and no quality is set.
uint32_t automatic_bitrate_kbps(CodecKind codec, uint32_t width, uint32_t height, uint32_t fps);

}  // namespace anarchy::video
