// libx264: the software H.264 encoder. "zerolatency" turns off lookahead, B-frames and frame threads (it uses
// sliced threads instead), so every frame comes back as a packet from the same call.
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

const AvEncoderBackend kX264Backend = {"libx264", CodecKind::H264, false, true, false, configure_x264};

}  // namespace anarchy::video
