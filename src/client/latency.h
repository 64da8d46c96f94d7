// VK_NV_low_latency2 (NVIDIA Reflex, as DXVK-NVAPI and vkd3d-proton drive it) on the client's swapchains. Every part
// of it names a swapchain, which only the client has, so all of it is the client's: the sleep signals the program's
// timeline semaphore on the server (vkSignalSemaphore) when the program should start its next frame; markers and
// the submissions' presentIDs are timed here.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <thread>

namespace anarchy::client {

struct QueueObject;
struct SwapchainState;

/// The timestamps of one frame, by the program's presentID: microseconds of latency_now_us(), 0 where none came.
struct LatencyFrame {
    uint64_t present_id = 0;
    uint64_t input_sample = 0;
    uint64_t sim_start = 0;
    uint64_t sim_end = 0;
    uint64_t render_start = 0;
    uint64_t render_end = 0;
    uint64_t present_start = 0;
    uint64_t present_end = 0;
    uint64_t our_present = 0;  ///< the client's id of the vkQueuePresentKHR that carried presentID (0: none yet)
    uint64_t gpu_end = 0;      ///< when the server's GPU had finished the frame, on this clock (0: not known yet)
};

/// A vkLatencySleepNV whose semaphore is not signalled yet.
struct LatencySleep {
    uint64_t semaphore = 0;  ///< the VkSemaphore's id
    uint64_t value = 0;
    std::chrono::steady_clock::time_point requested;
};

/// A swapchain's low-latency state. Guarded by its SwapchainState::mu: vkSetLatencySleepModeNV and
/// vkSetLatencyMarkerNV may come from any thread, the sleeper and the video channel read it.
struct LatencyState {
    static constexpr size_t kMaxFrames = 64;  ///< frames kept for vkGetLatencyTimingsNV
    bool create_enabled = false;              ///< VkSwapchainLatencyCreateInfoNV::latencyModeEnable
    bool low_latency = false;                 ///< VkLatencySleepModeInfoNV
    bool boost = false;
    uint32_t min_interval_us = 0;
    std::deque<LatencyFrame> frames;  ///< oldest first
    std::deque<LatencySleep> sleeps;  ///< oldest first
    std::chrono::steady_clock::time_point last_wake{};
    bool stop = false;    ///< set by stop_latency(): pending sleeps are signalled at once, the sleeper ends
    std::thread sleeper;  ///< started by the first vkLatencySleepNV

    /// The frame of `present_id`, added (the oldest dropped past kMaxFrames) if it is new.
    LatencyFrame& frame(uint64_t present_id);
};

/// Microseconds of the steady clock, the clock of every latency timestamp.
uint64_t latency_now_us();
uint64_t latency_us(std::chrono::steady_clock::time_point t);

/// vkDestroySwapchainKHR (and the state's destructor): signals the sleeps still pending, so no program waits for
/// a signal that would never come, and joins the sleeper.
void stop_latency(SwapchainState& sc);
/// The video channel got (or dropped) the frame of our present `our_present`: the GPU had finished it at
/// `gpu_end_us` (the present's time here plus the server's wait for the GPU). Call with sc.mu held.
void latency_frame_done_locked(SwapchainState& sc, uint64_t our_present, uint64_t gpu_end_us);

/// The presentID of a VkLatencySubmissionPresentIdNV in a VkSubmitInfo's or VkSubmitInfo2's chain, or 0. The
/// structure itself never travels: VK_NV_low_latency2 is not generated, so the encoder leaves it out.
uint64_t latency_submission_present_id(const void* next);
/// A submission of frame `present_id` on `queue` ran from `start_us` to `end_us` (the driver's part of the frame);
/// submissions on queues marked out of band are not frame work and are ignored.
void note_latency_submission(QueueObject* queue, uint64_t present_id, uint64_t start_us, uint64_t end_us);

}  // namespace anarchy::client
