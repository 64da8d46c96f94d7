// libx265: the software HEVC encoder. x265 is several times slower than x264, so it runs its fastest preset;
// "zerolatency" removes B-frames, lookahead and frame threads (which would hold frames back).
#include "video/av_encoder_backend.h"

#include <algorithm>
#include <string>

namespace anarchy::video {
namespace {

void configure_x265(const AvEncoderConfig& config, AVCodecContext* ctx, AVDictionary** options) {
    set_option(options, "preset", "ultrafast");
    set_option(options, "tune", "zerolatency");
    set_option(options, "forced-idr", 1);
    if (config.quality) set_option(options, "crf", *config.quality);
    // A CTU may not be larger than the picture; small windows get 16 or 32.
    const uint32_t smaller = std::min(config.coded_width, config.coded_height);
    const int ctu = smaller >= 64 ? 32 : 16;  // ultrafast's own choice is 32
    // info=0: no 2 KB version banner SEI in the first key frame.
    std::string params = "log-level=error:info=0:bframes=0:rc-lookahead=0:frame-threads=1:scenecut=0:repeat-headers=1";
    params += ":ctu=" + std::to_string(ctu);
    params += ":pools=" + std::to_string(config.threads);
    if (config.intra_refresh) params += ":intra-refresh=1";
    set_option(options, "x265-params", params.c_str());
    (void)ctx;
}

}  // namespace

const AvEncoderBackend kX265Backend = {"libx265", CodecKind::Hevc, false, true, false, configure_x265, false, true};

}  // namespace anarchy::video
