// The demo scene's command line.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <optional>
#include <string>

namespace anarchy::demo {

/// Where frames go: an offscreen image (read back only for --png), an X11 window, or a headless surface.
enum class Presentation { None, Window, Headless };

struct DemoOptions {
    uint32_t frames = 300;
    uint32_t width = 640;
    uint32_t height = 480;
    std::string png_path;  // empty: write no image
    bool quiet = false;
    Presentation present = Presentation::None;
    VkPresentModeKHR present_mode = VK_PRESENT_MODE_FIFO_KHR;  // only used when `present` is not None
};

/// Parses argv; on a bad argument writes the reason to `error` and returns nullopt. `--help` returns
/// nullopt with an empty error.
std::optional<DemoOptions> parse_demo_options(int argc, char** argv, std::string& error);

/// One paragraph of usage text.
const char* demo_usage();

/// "none", "window" or "headless": the --present value naming `presentation`.
const char* presentation_name(Presentation presentation);

}  // namespace anarchy::demo
