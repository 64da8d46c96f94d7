// `anarchy demo`: the bundled scene, natively and through a loopback server, side by side.
#pragma once

#include <string>

namespace anarchy::cli {

struct DemoOptions {
    int frames = 300;
    int width = 640;
    int height = 480;
    std::string png = "anarchy-demo.png";
    /// auto: a window when DISPLAY is set, else offscreen; none: offscreen; window; headless (a headless surface:
    /// the whole frame path without a display; the native run stays offscreen, lavapipe lacks the extension).
    std::string present = "auto";
    std::string codec;  ///< frame codec of the remote run (empty: the driver's default)
};

/// Runs the demo; prints progress and the comparison. Returns the process exit code.
int run_demo(const DemoOptions& options);

}  // namespace anarchy::cli
