// anarchy_wsi_test <scenario> [--frames N] [--hold S] [--timeout S]: an ordinary windowed Vulkan program (public
// API, the loader, XCB windows) that exercises surfaces and swapchains; run natively and through the remote driver.
// Prints "PASS ..." per check and "RESULT <scenario> ok" at the end. Exit status: 0 passed; 1 a check failed
// (message on stderr naming the check and the VkResult), or the watchdog found a call that never returned;
// 2 bad usage; 77 the implementation lacks what the scenario needs (e.g. VK_EXT_headless_surface).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "check.h"
#include "progress.h"
#include "scenarios.h"

using namespace anarchy::wsitest;

namespace {

constexpr int kExitUnsupported = 77;

struct Scenario {
    const char* name;
    void (*run)(Progress&, const ScenarioOptions&);
    uint32_t default_frames;
    const char* summary;
};

constexpr Scenario kScenarios[] = {
    {"fifo", run_fifo, 120, "320x240 window, FIFO swapchain of 3 images, N frames"},
    {"mailbox", run_mailbox, 120, "N frames with MAILBOX, then N with IMMEDIATE (both must be offered)"},
    {"fifo_latest_ready", run_fifo_latest_ready, 30,
     "VK_KHR_present_mode_fifo_latest_ready: a FIFO_LATEST_READY swapchain, N frames"},
    {"resize", run_resize, 30, "grow and shrink the window: OUT_OF_DATE/SUBOPTIMAL, recreate, N frames each"},
    {"zero", run_zero, 30, "unmapped and 1x1 window; 0x0 creates nothing; N frames after the restore"},
    {"recreate", run_recreate, 10, "image queries, non-blocking acquires, 20 recreations, then N frames"},
    {"headless", run_headless, 120, "VK_EXT_headless_surface, 256x256 FIFO swapchain, N frames"},
    {"readback", run_readback, 30, "256x256 window, N frames of a fixed pattern, READY, then --hold S seconds"},
    {"present_wait", run_present_wait, 60, "FIFO, N frames with present ids, each waited for (remote only here)"},
    {"present_wait2", run_present_wait2, 60,
     "present_wait through VK_KHR_present_id2/wait2, PASS_THROUGH colour space (remote only here)"},
    {"swapchain_maintenance1", run_swapchain_maintenance1, 60,
     "present fences, FIFO/MAILBOX switched per present, released images (remote only here)"},
    {"two_swapchains", run_two_swapchains, 30, "two windows' swapchains presented in one vkQueuePresentKHR, N frames"},
    {"close", run_close, 30, "the window destroyed under a live swapchain: up to N frames, no hang, clean teardown"},
    {"shared", run_shared, 10,
     "VK_KHR_shared_presentable_image: one image presented N times (demand refresh), continuous refresh, status"},
    {"latency", run_latency, 15,
     "VK_NV_low_latency2: N frames of each sleep mode (low latency, 20 ms interval), markers, timings"},
    {"present_barrier", run_present_barrier, 10,
     "VK_NV_present_barrier: two windows' presents held until both came, a third outside it, N frames in turn"},
    {"present_metering", run_present_metering, 8,
     "VK_NV_present_metering: N batches of 2 frames every 40 ms, unmetered then metered; the gap between them"},
};

int usage(const char* argv0) {
    std::fprintf(stderr,
                 "usage: %s <scenario> [--frames N] [--hold SECONDS] [--timeout SECONDS]\n"
                 "  --frames N        frames per phase (default per scenario)\n"
                 "  --hold SECONDS    readback: keep the window that long after READY (a line on stdin ends it)\n"
                 "  --timeout SECONDS fail when no step completes for that long (default 20)\n"
                 "scenarios:\n",
                 argv0);
    for (const Scenario& scenario : kScenarios)
        std::fprintf(stderr, "  %-9s N=%-4u %s\n", scenario.name, scenario.default_frames, scenario.summary);
    return 2;
}

bool parse_count(const char* text, uint32_t min, uint32_t max, uint32_t& out) {
    char* end = nullptr;
    const unsigned long value = std::strtoul(text, &end, 10);
    if (!*text || *end || value < min || value > max) return false;
    out = uint32_t(value);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage(argv[0]);
    const Scenario* scenario = nullptr;
    for (const Scenario& candidate : kScenarios)
        if (std::strcmp(candidate.name, argv[1]) == 0) scenario = &candidate;
    if (!scenario) {
        std::fprintf(stderr, "anarchy_wsi_test: unknown scenario '%s'\n", argv[1]);
        return usage(argv[0]);
    }
    ScenarioOptions options;
    options.frames = scenario->default_frames;
    uint32_t stall_seconds = 20;
    for (int i = 2; i < argc; i += 2) {
        const bool has_value = i + 1 < argc;
        bool ok = has_value;
        if (ok && std::strcmp(argv[i], "--frames") == 0)
            ok = parse_count(argv[i + 1], 1, 100000, options.frames);
        else if (ok && std::strcmp(argv[i], "--hold") == 0)
            ok = parse_count(argv[i + 1], 0, 3600, options.hold_seconds);
        else if (ok && std::strcmp(argv[i], "--timeout") == 0)
            ok = parse_count(argv[i + 1], 1, 3600, stall_seconds);
        else
            ok = false;
        if (!ok) {
            std::fprintf(stderr, "anarchy_wsi_test: bad option '%s%s%s'\n", argv[i], has_value ? " " : "",
                         has_value ? argv[i + 1] : "");
            return usage(argv[0]);
        }
    }
    Progress progress(scenario->name, std::chrono::seconds(stall_seconds));
    std::printf("anarchy_wsi_test %s, %u frames per phase\n", scenario->name, options.frames);
    std::fflush(stdout);
    try {
        scenario->run(progress, options);
    } catch (const Unsupported& missing) {
        std::fflush(stdout);
        std::fprintf(stderr, "anarchy_wsi_test %s: UNSUPPORTED: %s\n", scenario->name, missing.what());
        return kExitUnsupported;
    } catch (const std::exception& error) {
        std::fflush(stdout);
        std::fprintf(stderr, "anarchy_wsi_test %s: FAILED during '%s': %s\n", scenario->name,
                     progress.current_step().c_str(), error.what());
        return 1;
    }
    std::printf("RESULT %s ok\n", scenario->name);
    std::fflush(stdout);
    return 0;
}
