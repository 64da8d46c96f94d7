#include "client/decoder_choice.h"

#include <cstring>

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

}  // namespace anarchy::client
