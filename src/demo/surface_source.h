// Where presented frames go: a window or no window at all, behind one interface so the presenting loop does
// not care which. make_surface_source() picks the implementation for --present.
#pragma once

#include "demo_options.h"

#include <vulkan/vulkan.h>

#include <memory>
#include <vector>

namespace anarchy::demo {

/// What happened in the window system since the last poll.
struct SurfaceEvents {
    bool close_requested = false;  // the user closed the window: end the run
    bool resized = false;          // the swapchain no longer matches the surface's size
};

class SurfaceSource {
public:
    virtual ~SurfaceSource() = default;

    /// Instance extensions create_surface() needs, VK_KHR_surface included.
    virtual std::vector<const char*> instance_extensions() const = 0;

    /// A new surface on `instance`; the caller destroys it before this object. Throws VulkanError.
    virtual VkSurfaceKHR create_surface(VkInstance instance) = 0;

    /// Handles the window-system events that arrived since the last call, without blocking.
    virtual SurfaceEvents poll_events() = 0;

    /// The swapchain size to use where the surface leaves it to the swapchain (currentExtent 0xFFFFFFFF).
    virtual VkExtent2D preferred_extent() const = 0;
};

/// The source for `presentation` (Window or Headless) with frames of `extent`. Throws std::runtime_error
/// when it cannot be set up, e.g. no X display for a window.
std::unique_ptr<SurfaceSource> make_surface_source(Presentation presentation, VkExtent2D extent);

}  // namespace anarchy::demo
