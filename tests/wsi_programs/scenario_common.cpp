#include <cstdio>

#include "check.h"
#include "progress.h"
#include "scenarios.h"
#include "wsi_device.h"
#include "test_window.h"

namespace anarchy::wsitest {

void announce_window(const TestWindow& window) {
    std::printf("WINDOW 0x%llx\n", static_cast<unsigned long long>(window.id()));
    std::fflush(stdout);
}

bool same_extent(VkExtent2D a, VkExtent2D b) { return a.width == b.width && a.height == b.height; }

void check_current_extent(Progress& progress, const WsiDevice& device, VkExtent2D expected, const char* when) {
    progress.step(std::string("vkGetPhysicalDeviceSurfaceCapabilitiesKHR ") + when);
    const VkExtent2D current = device.surface_capabilities().currentExtent;
    require(same_extent(current, expected), strprintf("%s: the surface's currentExtent is %s, expected %s", when,
                                                      extent_text(current).c_str(), extent_text(expected).c_str()));
    progress.pass(strprintf("currentExtent %s %s", extent_text(current).c_str(), when));
}

}  // namespace anarchy::wsitest
