// --present headless: a VK_EXT_headless_surface, which presents nowhere, so the swapchain path runs with no
// window system at all (e.g. on a server, or in a test).
#pragma once

#include "surface_source.h"

namespace anarchy::demo {

class HeadlessSurface final : public SurfaceSource {
public:
    explicit HeadlessSurface(VkExtent2D extent) : extent_(extent) {}

    std::vector<const char*> instance_extensions() const override;
    VkSurfaceKHR create_surface(VkInstance instance) override;
    /// Nothing ever happens to a headless surface.
    SurfaceEvents poll_events() override { return {}; }
    VkExtent2D preferred_extent() const override { return extent_; }

private:
    VkExtent2D extent_;
};

}  // namespace anarchy::demo
