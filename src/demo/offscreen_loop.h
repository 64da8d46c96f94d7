// --present none: the frame loop into offscreen images.
#pragma once

#include "demo_options.h"

namespace anarchy::demo {

/// Renders options.frames frames offscreen, prints the RESULT line and writes --png from the last frame.
/// Returns the exit status; throws VulkanError or std::runtime_error on failure.
int run_offscreen(const DemoOptions& options);

}  // namespace anarchy::demo
