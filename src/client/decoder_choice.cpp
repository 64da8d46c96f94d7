#include "client/decoder_choice.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/log.h"
#include "video/banded_codec.h"

namespace anarchy::client {

bool prefer_hardware_decoding(const char* env, uint32_t usable_cpus) {
    if (env) return std::strcmp(env, "0") != 0;
#ifdef _WIN32
    (void)usable_cpus;
    return true;
#else
    return usable_cpus < kSoftwareFirstCpus;
#endif
}

uint32_t video_bands_wanted(const char* env, bool hardware_first, uint32_t decoder_threads) {
    if (env && *env) {
        char* end = nullptr;
        const unsigned long v = std::strtoul(env, &end, 10);
        if (end && *end == 0 && v >= 1 && v <= video::kMaxBands) return uint32_t(v);
        LOG_WARN("ANARCHY_VIDEO_BANDS=%s is not a number of bands from 1 to %u; ignored", env, video::kMaxBands);
    }
    if (hardware_first) return 1;
    return std::clamp<uint32_t>(decoder_threads, 1, video::kMaxBands);
}

}  // namespace anarchy::client
