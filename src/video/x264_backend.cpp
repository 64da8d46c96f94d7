// libx264: the software H.264 encoder, set up as Sunshine does for low latency: tune zerolatency (no lookahead, no
// B-frames, sliced threads instead of frame threads, so every frame comes back as a packet from the same call and
// all cores work on each frame: one slice per thread, EncoderSettings::threads), a VBV of one frame and
// max_b_frames 0 (set for every backend in av_encoder.cpp), and intra refresh instead of periodic key frames when
// the stream asks for keyframe_interval 0, as the frame streamer does. The preset follows the frame size
// (x264_preset_for): superfast up to 1920x1080, ultrafast above; the whole frame's size, where this encoder has
// a band of it.
#include <cstdlib>
#include <cstring>

#include "common/log.h"
#include "video/av_encoder_backend.h"

namespace anarchy::video {

const char* x264_preset_for(uint32_t width, uint32_t height) {
    static const char* forced = [] () -> const char* {
        const char* v = std::getenv("ANARCHY_X264_PRESET");
        if (!v || !*v) return nullptr;
        for (const char* known : {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium"})
            if (std::strcmp(v, known) == 0) return known;
        LOG_WARN("ANARCHY_X264_PRESET=%s is not one of ultrafast, superfast, veryfast, faster, fast, medium; ignored", v);
        return nullptr;
    }();
    if (forced) return forced;
    // superfast keeps CABAC, the deblocking filter and a real motion search: the better picture for the bits.
    // Above 1080p it cannot keep a frame within a 144 Hz or even a 90 Hz interval (2560x1600: libx264 14 ms a frame
    // on 8 slice threads of the NVIDIA host, its decoder 7.9 ms), while ultrafast encodes about 30 % faster and
    // decodes twice as fast (CAVLC, no deblocking) for some 10-15 % more bytes at the same quality in
    // bench/codec_bench.cpp's scenes.
    return uint64_t(width) * height > uint64_t(1920) * 1088 ? "ultrafast" : "superfast";
}

namespace {

void configure_x264(const AvEncoderConfig& config, AVCodecContext* ctx, AVDictionary** options) {
    set_option(options, "preset", x264_preset_for(config.frame_width, config.frame_height));
    set_option(options, "tune", "zerolatency");
    set_option(options, "rc-lookahead", 0);
    set_option(options, "forced-idr", 1);
    // A scene-cut I-frame under a one-frame VBV is starved to mush; intra macroblocks in a P-frame do better.
    set_option(options, "sc_threshold", 0);
    if (config.quality) set_option(options, "crf", *config.quality);
    if (config.intra_refresh) set_option(options, "intra-refresh", 1);
    ctx->thread_type = FF_THREAD_SLICE;
}

}  // namespace

const AvEncoderBackend kX264Backend = {"libx264", CodecKind::H264, false, true, false, configure_x264, true, true};

}  // namespace anarchy::video
