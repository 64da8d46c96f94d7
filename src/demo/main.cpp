// anarchy_demo_scene: renders a lit, textured, rotating torus the way a game's frame loop does (two frames in
// flight, per-frame fence wait, persistently mapped uniforms, re-recorded command buffers), offscreen or
// presented through a swapchain to a window or a headless surface, times the loop and optionally writes the
// last frame as a PNG. `anarchy demo` runs it natively and through the remote driver side by side; it uses
// nothing but the public Vulkan API.
#include "demo_options.h"
#include "offscreen_loop.h"
#include "presenting_loop.h"
#include "vulkan_error.h"

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
    using namespace anarchy::demo;
    std::string error;
    const std::optional<DemoOptions> options = parse_demo_options(argc, argv, error);
    if (!options) {
        if (error.empty()) {
            std::fputs(demo_usage(), stdout);
            return 0;
        }
        std::fprintf(stderr, "anarchy_demo_scene: %s\n%s", error.c_str(), demo_usage());
        return 1;
    }
    try {
        return options->present == Presentation::None ? run_offscreen(*options) : run_presenting(*options);
    } catch (const VulkanError& e) {
        std::fprintf(stderr, "anarchy_demo_scene: Vulkan error: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "anarchy_demo_scene: %s\n", e.what());
        return 1;
    }
}
