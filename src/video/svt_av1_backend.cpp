// libsvtav1: SVT-AV1, the fast software AV1 encoder, in its low-delay prediction structure at a fast preset.
// It has to pass a latency probe before it is used: SVT-AV1 1.4 keeps each picture until the next one arrives even
// in low-delay mode, and libavcodec's wrapper polls for output only when a new frame comes in (in 59, measured: a
// packet comes back three frames late; later wrappers poll the same way). The probe lets a fixed version in.
#include "video/av_encoder_backend.h"

#include <string>

namespace anarchy::video {
namespace {

void configure_svt_av1(const AvEncoderConfig& config, AVCodecContext* ctx, AVDictionary** options) {
    set_option(options, "preset", 12);
    if (config.quality) set_option(options, "crf", *config.quality);
    // pred-struct 1: low delay, no future references. lookahead 0 and scd 0: nothing waits for later frames.
    std::string params = "pred-struct=1:lookahead=0:scd=0:enable-tpl-la=0";
    if (!config.quality && config.bitrate_bps) params += ":rc=2";  // CBR
    params += ":lp=" + std::to_string(config.threads);
    set_option(options, "svtav1-params", params.c_str());
    // SVT-AV1 refuses a rate-control buffer under 20 ms; one frame at 60 fps is 16.7 ms.
    const int64_t min_buffer = int64_t(config.bitrate_bps * 20 / 1000);
    if (ctx->rc_buffer_size && ctx->rc_buffer_size < min_buffer) ctx->rc_buffer_size = int(min_buffer);
    ctx->flags |= AV_CODEC_FLAG_CLOSED_GOP;  // IDR key frames: a client can start at any of them
}

}  // namespace

const AvEncoderBackend kSvtAv1Backend = {"libsvtav1", CodecKind::Av1, false, false, true, configure_svt_av1};

}  // namespace anarchy::video
