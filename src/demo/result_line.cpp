#include "result_line.h"

#include <cstdio>

namespace anarchy::demo {
namespace {

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

void print_result(uint32_t frames, double seconds, const std::string& device_name) {
    std::printf("RESULT frames=%u seconds=%.3f fps=%.1f device=%s\n", frames, seconds,
                seconds > 0.0 ? frames / seconds : 0.0, quoted(device_name).c_str());
    std::fflush(stdout);
}

}  // namespace anarchy::demo
