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

std::optional<Presentation> parse_presentation(std::string_view text) {
    for (Presentation presentation : {Presentation::None, Presentation::Window, Presentation::Headless}) {
        if (text == presentation_name(presentation)) return presentation;
    }
    return std::nullopt;
}

std::optional<VkPresentModeKHR> parse_present_mode(std::string_view text) {
    if (text == "fifo") return VK_PRESENT_MODE_FIFO_KHR;
    if (text == "mailbox") return VK_PRESENT_MODE_MAILBOX_KHR;
    if (text == "immediate") return VK_PRESENT_MODE_IMMEDIATE_KHR;
    return std::nullopt;
}

}  // namespace

const char* presentation_name(Presentation presentation) {
    switch (presentation) {
        case Presentation::None:
            return "none";
        case Presentation::Window:
            return "window";
        case Presentation::Headless:
            return "headless";
    }
    return "?";
}

const char* demo_usage() {
    return "usage: anarchy_demo_scene [--frames N (default 300)] [--width W --height H (default 640x480)]\n"
           "                          [--png FILE] [--quiet]\n"
           "                          [--present none|window|headless] [--present-mode fifo|mailbox|immediate]\n"
           "Renders a lit, textured, rotating torus with Vulkan, two frames in flight, and prints\n"
           "RESULT frames=N seconds=S fps=F device=\"NAME\". --png writes the last frame.\n"
           "--present none (default) renders offscreen; window presents to an X11 window of WxH titled\n"
           "\"Anarchy demo\" (needs DISPLAY; closing the window ends the run early); headless presents to a\n"
           "VK_EXT_headless_surface. When presenting, frames counts the frames presented and --png copies the\n"
           "last swapchain image before it is presented. --present-mode picks the swapchain's present mode\n"
           "(default fifo, also used where the surface lacks the mode asked for).\n";
}

std::optional<DemoOptions> parse_demo_options(int argc, char** argv, std::string& error) {
    DemoOptions options;
    bool present_mode_given = false;
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
        } else if (arg == "--present") {
            if (!next_value(value)) return std::nullopt;
            const std::optional<Presentation> presentation = parse_presentation(value);
            if (!presentation) {
                error = "bad value for --present: '" + std::string(value) + "' (none, window or headless)";
                return std::nullopt;
            }
            options.present = *presentation;
        } else if (arg == "--present-mode") {
            if (!next_value(value)) return std::nullopt;
            const std::optional<VkPresentModeKHR> mode = parse_present_mode(value);
            if (!mode) {
                error = "bad value for --present-mode: '" + std::string(value) + "' (fifo, mailbox or immediate)";
                return std::nullopt;
            }
            options.present_mode = *mode;
            present_mode_given = true;
        } else {
            error = "unknown argument '" + std::string(arg) + "'";
            return std::nullopt;
        }
    }
    if (present_mode_given && options.present == Presentation::None) {
        error = "--present-mode needs --present window or --present headless";
        return std::nullopt;
    }
    return options;
}

}  // namespace anarchy::demo
