// The demo scene's command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace anarchy::demo {

struct DemoOptions {
    uint32_t frames = 300;
    uint32_t width = 640;
    uint32_t height = 480;
    std::string png_path;  // empty: write no image
    bool quiet = false;
};

/// Parses argv; on a bad argument writes the reason to `error` and returns nullopt. `--help` returns
/// nullopt with an empty error.
std::optional<DemoOptions> parse_demo_options(int argc, char** argv, std::string& error);

/// One paragraph of usage text.
const char* demo_usage();

}  // namespace anarchy::demo
