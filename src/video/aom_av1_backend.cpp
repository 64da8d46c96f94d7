// libaom-av1 in its realtime usage: lag-in-frames 0 makes aom_codec_encode return the frame's packet from the
// same call, so it is the software AV1 encoder that meets the one-packet-per-frame rule.
#include "video/av_encoder_backend.h"

#include <algorithm>

namespace anarchy::video {
namespace {

void configure_aom_av1(const AvEncoderConfig& config, AVCodecContext* ctx, AVDictionary** options) {
    set_option(options, "usage", "realtime");
    // libavcodec 59 caps cpu-used at 8; realtime's fastest speeds (9, 10) are not reachable through it.
    set_option(options, "cpu-used", 8);
    set_option(options, "lag-in-frames", 0);
    set_option(options, "row-mt", 1);
    set_option(options, "aq-mode", 3);  // cyclic refresh: the realtime mode's cheap quality spreading
    // Tiles are what libaom parallelises over; one column per thread up to 4.
    int log2_columns = 0;
    while (log2_columns < 2 && (2u << log2_columns) <= config.threads &&
           config.coded_width >= (256u << log2_columns))
        ++log2_columns;
    set_option(options, "tile-columns", log2_columns);
    if (config.quality) {
        set_option(options, "crf", *config.quality);
    } else if (config.bitrate_bps) {
        // libaom picks CBR when min, max and target rate are equal.
        ctx->rc_min_rate = ctx->bit_rate;
        set_option(options, "undershoot-pct", 50);
        set_option(options, "overshoot-pct", 50);
    }
}

}  // namespace

const AvEncoderBackend kAomAv1Backend = {"libaom-av1", CodecKind::Av1, false, false, false, configure_aom_av1};

}  // namespace anarchy::video
