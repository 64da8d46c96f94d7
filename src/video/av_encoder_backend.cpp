#include "video/av_encoder_backend.h"

extern "C" {
#include <libavutil/dict.h>
}

namespace anarchy::video {

std::vector<const AvEncoderBackend*> av_encoder_backends(CodecKind codec) {
    switch (codec) {
        case CodecKind::H264: return {&kH264NvencBackend, &kX264Backend};
        case CodecKind::Hevc: return {&kHevcNvencBackend, &kX265Backend};
        // SVT-AV1 is far faster than libaom but has to pass its latency probe; libaom in realtime mode always
        // returns a packet per frame.
        case CodecKind::Av1: return {&kAv1NvencBackend, &kSvtAv1Backend, &kAomAv1Backend};
        default: return {};
    }
}

void set_option(AVDictionary** options, const char* key, int value) { av_dict_set_int(options, key, value, 0); }

void set_option(AVDictionary** options, const char* key, const char* value) { av_dict_set(options, key, value, 0); }

}  // namespace anarchy::video
