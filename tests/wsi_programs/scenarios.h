// The scenarios of anarchy_wsi_test, one function each. A scenario prints "PASS ..." per check and throws
// TestFailure (or Unsupported) at the first failed one; main() prints "RESULT <name> ok" when it returns.
#pragma once

#include <cstdint>

#include <vulkan/vulkan.h>

namespace anarchy::wsitest {

class Progress;
class WsiDevice;
class TestWindow;

struct ScenarioOptions {
    uint32_t frames = 0;        // --frames, or the scenario's default
    uint32_t hold_seconds = 0;  // --hold: how long readback keeps its window after the last present
};

void run_fifo(Progress& progress, const ScenarioOptions& options);
void run_mailbox(Progress& progress, const ScenarioOptions& options);
void run_fifo_latest_ready(Progress& progress, const ScenarioOptions& options);
void run_resize(Progress& progress, const ScenarioOptions& options);
void run_zero(Progress& progress, const ScenarioOptions& options);
void run_recreate(Progress& progress, const ScenarioOptions& options);
void run_headless(Progress& progress, const ScenarioOptions& options);
void run_readback(Progress& progress, const ScenarioOptions& options);
void run_present_wait(Progress& progress, const ScenarioOptions& options);
void run_present_wait2(Progress& progress, const ScenarioOptions& options);
void run_two_swapchains(Progress& progress, const ScenarioOptions& options);
void run_swapchain_maintenance1(Progress& progress, const ScenarioOptions& options);
void run_close(Progress& progress, const ScenarioOptions& options);
void run_shared(Progress& progress, const ScenarioOptions& options);
void run_latency(Progress& progress, const ScenarioOptions& options);
void run_present_barrier(Progress& progress, const ScenarioOptions& options);
void run_present_metering(Progress& progress, const ScenarioOptions& options);

// Helpers the scenarios share (scenario_common.cpp).

/// Prints "WINDOW 0x<id>" (flushed), for tests that look at the window from outside.
void announce_window(const TestWindow& window);
/// Throws unless the surface's currentExtent is `expected`; prints a PASS line naming `when`.
void check_current_extent(Progress& progress, const WsiDevice& device, VkExtent2D expected, const char* when);
bool same_extent(VkExtent2D a, VkExtent2D b);

}  // namespace anarchy::wsitest
