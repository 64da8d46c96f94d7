// --present window|headless: the frame loop through a swapchain.
#pragma once

#include "demo_options.h"

namespace anarchy::demo {

/// Presents options.frames frames (fewer if the window is closed first) through a swapchain on the surface
/// --present names, re-creating the swapchain when the surface changes size, prints the RESULT line with the
/// frames presented and writes --png from a copy of the last frame taken before it was presented. Returns
/// the exit status; throws VulkanError or std::runtime_error on failure.
int run_presenting(const DemoOptions& options);

}  // namespace anarchy::demo
