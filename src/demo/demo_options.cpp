#include "demo_options.h"

#include <charconv>
#include <string_view>

namespace anarchy::demo {
namespace {

// Largest accepted --width/--height: beyond every device's maxImageDimension2D guarantee is pointless.
constexpr uint32_t kMaxExtent = 16384;

bool parse_count(std::string_view text, uint32_t min, uint32_t max, uint32_t& value) {
    uint32_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec != std::errc() || end != text.data() + text.size() || parsed < min || parsed > max) return false;
    value = parsed;
    return true;
}

}  // namespace

const char* demo_usage() {
    return "usage: anarchy_demo_scene [--frames N (default 300)] [--width W --height H (default 640x480)]\n"
           "                          [--png FILE] [--quiet]\n"
           "Renders a lit, textured, rotating torus offscreen with Vulkan, two frames in flight, and prints\n"
           "RESULT frames=N seconds=S fps=F device=\"NAME\". --png writes the last frame.\n";
}

std::optional<DemoOptions> parse_demo_options(int argc, char** argv, std::string& error) {
    DemoOptions options;
    error.clear();
    for (int i = 1; i < argc; ++i) {
        std::string_view arg(argv[i]);
        auto next_value = [&](std::string_view& value) {
            if (i + 1 >= argc) {
                error = std::string(arg) + " needs a value";
                return false;
            }
            value = argv[++i];
            return true;
        };
        std::string_view value;
        if (arg == "--help" || arg == "-h") {
            return std::nullopt;
        } else if (arg == "--quiet") {
            options.quiet = true;
        } else if (arg == "--png") {
            if (!next_value(value)) return std::nullopt;
            if (value.empty()) {
                error = "--png needs a file name";
                return std::nullopt;
            }
            options.png_path = value;
        } else if (arg == "--frames" || arg == "--width" || arg == "--height") {
            if (!next_value(value)) return std::nullopt;
            uint32_t& target = arg == "--frames" ? options.frames : arg == "--width" ? options.width : options.height;
            uint32_t max = arg == "--frames" ? UINT32_MAX : kMaxExtent;
            if (!parse_count(value, 1, max, target)) {
                error = "bad value for " + std::string(arg) + ": '" + std::string(value) + "'";
                return std::nullopt;
            }
        } else {
            error = "unknown argument '" + std::string(arg) + "'";
            return std::nullopt;
        }
    }
    return options;
}

}  // namespace anarchy::demo
