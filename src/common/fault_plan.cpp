#include "common/fault_plan.h"

#include <cstdlib>

#include "common/log.h"

namespace anarchy {

FaultPlan::FaultPlan(const char* env_var) : variable_(env_var) {
    const char* v = std::getenv(env_var);
    if (!v || !*v) return;
    std::string spec(v);
    size_t colon = spec.find(':');
    command_ = spec.substr(0, colon);
    if (colon != std::string::npos) {
        char* end = nullptr;
        unsigned long long n = std::strtoull(spec.c_str() + colon + 1, &end, 10);
        if (!end || *end || n == 0) {
            LOG_ERROR("%s=%s: expected vkName or vkName:N with N >= 1; no fault planned", env_var, v);
            return;
        }
        nth_ = n;
    }
    armed_ = !command_.empty();
    if (armed_)
        LOG_WARN("%s: call %llu of %s will fail on purpose (test hook)", env_var, (unsigned long long)nth_,
                 command_.c_str());
}

}  // namespace anarchy
