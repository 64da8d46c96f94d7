// The libavcodec encoders we use, in preference order per codec, each with the options that make it low latency.
// Internal to src/video: one backend file each (nvenc_backend.cpp, x264_backend.cpp, ...).
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
}

#include <cstdint>
#include <optional>
#include <vector>

#include "video/codec_kind.h"

namespace anarchy::video {

/// The numbers an encoder is opened with, derived once from EncoderSettings.
struct AvEncoderConfig {
    CodecKind codec = CodecKind::H264;
    uint32_t coded_width = 0;   ///< the frame size rounded up to even (4:2:0 needs whole chroma samples)
    uint32_t coded_height = 0;
    uint32_t fps = 60;
    uint64_t bitrate_bps = 0;   ///< target (constant bitrate) or cap (constant quality); 0: uncapped quality
    std::optional<int> quality; ///< constant quality on the codec's scale
    uint32_t keyframe_interval = 120;  ///< frames between key frames, or the refresh period with intra refresh
    bool intra_refresh = false;
    uint32_t threads = 1;
    uint32_t frame_width = 0;   ///< the whole frame's coded size (make_av_encoder_config): a band's encoder has part of it
    uint32_t frame_height = 0;
};

/// One libavcodec encoder and how to set it up.
struct AvEncoderBackend {
    const char* name;  ///< libavcodec encoder name, also the Encoder::name()
    CodecKind codec;
    bool hardware;
    bool intra_refresh;  ///< supports keyframe_interval 0
    /// Must show that it returns a packet for its first frame before it is chosen (see svt_av1_backend.cpp).
    bool needs_latency_probe;
    /// Sets backend fields and private options. The common low-latency fields (size, time base, no B-frames,
    /// GOP, rate control with a one-frame VBV, colour tags, threads) are set on ctx already.
    void (*configure)(const AvEncoderConfig& config, AVCodecContext* ctx, AVDictionary** options);
    /// libavcodec's wrapper passes a changed bit_rate/rc_max_rate/rc_buffer_size on to the open encoder (libx264's
    /// x264_encoder_reconfig, NVENC's dynamic bitrate change); the others must be opened again for a new rate.
    bool live_bitrate = false;
    /// Copies the frame's planes into pictures of its own inside the encode call and keeps no reference to them
    /// once avcodec_receive_packet has returned the packet (libx264, libx265: synchronous, no lookahead), so an
    /// I420 frame of the coded size goes in as the caller's planes, without a copy into an AVFrame of ours first.
    bool borrows_input = false;
};

extern const AvEncoderBackend kH264NvencBackend;
extern const AvEncoderBackend kHevcNvencBackend;
extern const AvEncoderBackend kAv1NvencBackend;
extern const AvEncoderBackend kX264Backend;
/// libx264's preset for a coded frame size: ANARCHY_X264_PRESET where set to a known preset, else superfast up to
/// 1920x1088 and ultrafast above (see x264_backend.cpp for the measurements behind it).
const char* x264_preset_for(uint32_t width, uint32_t height);
extern const AvEncoderBackend kX265Backend;
extern const AvEncoderBackend kSvtAv1Backend;
extern const AvEncoderBackend kAomAv1Backend;

/// The backends for a video codec, hardware first.
std::vector<const AvEncoderBackend*> av_encoder_backends(CodecKind codec);

/// Sets an integer option in a dictionary.
void set_option(AVDictionary** options, const char* key, int value);
/// Sets a string option in a dictionary.
void set_option(AVDictionary** options, const char* key, const char* value);

}  // namespace anarchy::video
