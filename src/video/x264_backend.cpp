// libx264: the software H.264 encoder, set up as Sunshine does for low latency: preset superfast, tune zerolatency
// (no lookahead, no B-frames, sliced threads instead of frame threads, so every frame comes back as a packet from
// the same call and all cores work on each frame: one slice per thread, EncoderSettings::threads), a VBV of one
// frame and max_b_frames 0 (set for every backend in av_encoder.cpp), and intra refresh instead of periodic key
// frames when the stream asks for keyframe_interval 0, as the frame streamer does.
#include "video/av_encoder_backend.h"

namespace anarchy::video {
namespace {

void configure_x264(const AvEncoderConfig& config, AVCodecContext* ctx, AVDictionary** options) {
    // superfast: the fastest preset that keeps CABAC and proper motion search; ultrafast doubles the bitrate.
    set_option(options, "preset", "superfast");
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

const AvEncoderBackend kX264Backend = {"libx264", CodecKind::H264, false, true, false, configure_x264, true};

}  // namespace anarchy::video
