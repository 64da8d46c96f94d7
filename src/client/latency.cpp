// VK_NV_low_latency2 on the client's swapchains (latency.h).
//
// The sleep: vkLatencySleepNV returns at once; a thread of the swapchain signals the program's timeline semaphore
// when the program should start its next frame. With low latency mode on, that is when every frame presented so
// far has reached the window (or been dropped): the program then samples input for a frame that nothing queued
// ahead of it delays, at the display's pace in FIFO; minimumIntervalUs is kept between wakes with or without the
// mode (the extension's frame limiter). A wake never waits longer than kMaxHold for the queue to drain, so a window
// that shows nothing (hidden, or no encoder on the server) cannot stop the program.
//
// The timings: markers are stamped here; the driver's part is the span of the vkQueueSubmit calls that carried the
// frame's VkLatencySubmissionPresentIdNV. The GPU runs on the server, out of this process's sight: the frame's GPU
// work counts as started when its last tagged submission has left, and as ended at the present's time here plus
// the server's measured wait for the GPU to finish the frame (the uplink's one-way time is not counted).
#include "client/latency.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "client/entry_points.h"
#include "client/objects.h"
#include "client/runtime.h"
#include "client/wsi_objects.h"
#include "client_commands_autogen.h"
#include "common/log.h"

namespace anarchy::client {

using Clock = std::chrono::steady_clock;

namespace {

/// Longest a sleep waits for the frames ahead of it to be shown.
constexpr auto kMaxHold = std::chrono::milliseconds(100);
/// presentIDs whose submission times are kept per device.
constexpr size_t kMaxSubmissionFrames = 256;

SwapchainState& state_of(VkSwapchainKHR swapchain) { return *reinterpret_cast<SwapchainObject*>(swapchain)->state; }

/// A non-dispatchable handle's id: the handle is the id (a pointer-sized value on 64-bit, uint64_t on 32-bit).
template <typename Handle>
uint64_t id_of(Handle handle) {
    if constexpr (std::is_pointer_v<Handle>)
        return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(handle));
    else
        return static_cast<uint64_t>(handle);
}

/// The sleeper thread's body: signals each pending sleep's semaphore once its frame should start.
void sleep_loop(SwapchainState& sc) {
    Runtime* rt = sc.device->rt;
    const VkDevice device = reinterpret_cast<VkDevice>(sc.device);
    LatencyState& l = sc.latency;
    std::unique_lock<std::mutex> lock(sc.mu);
    for (;;) {
        if (l.sleeps.empty()) {
            if (l.stop) return;
            sc.changed.wait_for(lock, std::chrono::milliseconds(100));
            continue;
        }
        const LatencySleep& next = l.sleeps.front();
        const auto now = Clock::now();
        // The program must never wait for a signal that cannot come: a swapchain going away signals at once.
        bool ready = l.stop || sc.retired || sc.lost || rt->lost();
        if (!ready) {
            auto wake = next.requested;
            if (l.min_interval_us) wake = std::max(wake, l.last_wake + std::chrono::microseconds(l.min_interval_us));
            const auto hold_until = next.requested + kMaxHold;
            const bool drained = !l.low_latency || sc.presents_pending == 0 || now >= hold_until;
            ready = now >= wake && drained;
            if (!ready) {
                // Frames shown or dropped notify sc.changed; so do new sleeps and the mode's changes.
                const auto until = now < wake ? wake : hold_until;
                sc.changed.wait_until(lock, std::min(until, now + std::chrono::milliseconds(100)));
                continue;
            }
        }
        const LatencySleep go = next;
        l.sleeps.pop_front();
        l.last_wake = now;
        lock.unlock();
        if (!rt->lost()) {
            VkSemaphoreSignalInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO};
            info.semaphore = reinterpret_cast<VkSemaphore>(go.semaphore);
            info.value = go.value;
            const VkResult r = gen_cmd::vkSignalSemaphore(device, &info);
            if (r != VK_SUCCESS || !rt->flush()) LOG_WARN("vkLatencySleepNV: signalling the semaphore failed (%d)", int(r));
        }
        lock.lock();
    }
}

}  // namespace

LatencyFrame& LatencyState::frame(uint64_t present_id) {
    for (auto it = frames.rbegin(); it != frames.rend(); ++it)
        if (it->present_id == present_id) return *it;
    if (frames.size() >= kMaxFrames) frames.pop_front();
    frames.emplace_back();
    frames.back().present_id = present_id;
    return frames.back();
}

uint64_t latency_us(Clock::time_point t) {
    return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

uint64_t latency_now_us() { return latency_us(Clock::now()); }

void stop_latency(SwapchainState& sc) {
    {
        std::lock_guard<std::mutex> lock(sc.mu);
        sc.latency.stop = true;
        sc.changed.notify_all();
    }
    if (sc.latency.sleeper.joinable()) sc.latency.sleeper.join();
}

void latency_frame_done_locked(SwapchainState& sc, uint64_t our_present, uint64_t gpu_end_us) {
    for (auto it = sc.latency.frames.rbegin(); it != sc.latency.frames.rend(); ++it)
        if (it->our_present == our_present) {
            it->gpu_end = gpu_end_us;
            return;
        }
}

uint64_t latency_submission_present_id(const void* next) {
    for (auto* n = static_cast<const VkBaseInStructure*>(next); n; n = n->pNext)
        if (n->sType == VK_STRUCTURE_TYPE_LATENCY_SUBMISSION_PRESENT_ID_NV)
            return reinterpret_cast<const VkLatencySubmissionPresentIdNV*>(n)->presentID;
    return 0;
}

void note_latency_submission(QueueObject* queue, uint64_t present_id, uint64_t start_us, uint64_t end_us) {
    if (!present_id || queue->out_of_band.load()) return;
    DeviceObject* dev = queue->device;
    std::lock_guard<std::mutex> lock(dev->mu);
    auto [it, added] = dev->latency_submissions.try_emplace(present_id, start_us, end_us);
    if (!added) {
        it->second.first = std::min(it->second.first, start_us);
        it->second.second = std::max(it->second.second, end_us);
    }
    while (dev->latency_submissions.size() > kMaxSubmissionFrames) dev->latency_submissions.erase(dev->latency_submissions.begin());
}

VKAPI_ATTR VkResult VKAPI_CALL SetLatencySleepModeNV(VkDevice, VkSwapchainKHR swapchain,
                                                     const VkLatencySleepModeInfoNV* info) {
    SwapchainState& sc = state_of(swapchain);
    std::lock_guard<std::mutex> lock(sc.mu);
    // NULL turns everything off, the minimum interval included.
    sc.latency.low_latency = info && info->lowLatencyMode;
    // A hint to raise the GPU's clocks: the server's GPU is not ours to clock, so it is recorded only.
    sc.latency.boost = info && info->lowLatencyBoost;
    sc.latency.min_interval_us = info ? info->minimumIntervalUs : 0;
    sc.changed.notify_all();
    return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL LatencySleepNV(VkDevice, VkSwapchainKHR swapchain, const VkLatencySleepInfoNV* info) {
    SwapchainState& sc = state_of(swapchain);
    std::lock_guard<std::mutex> lock(sc.mu);
    sc.latency.sleeps.push_back(LatencySleep{id_of(info->signalSemaphore), info->value, Clock::now()});
    if (!sc.latency.sleeper.joinable() && !sc.latency.stop)
        sc.latency.sleeper = std::thread([state = &sc] {
            try {
                sleep_loop(*state);
            } catch (const std::exception& ex) {
                LOG_ERROR("vkLatencySleepNV: the sleeper failed: %s", ex.what());
            }
        });
    sc.changed.notify_all();
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL SetLatencyMarkerNV(VkDevice, VkSwapchainKHR swapchain, const VkSetLatencyMarkerInfoNV* info) {
    SwapchainState& sc = state_of(swapchain);
    const uint64_t now = latency_now_us();
    std::lock_guard<std::mutex> lock(sc.mu);
    LatencyFrame& f = sc.latency.frame(info->presentID);
    switch (info->marker) {
    case VK_LATENCY_MARKER_SIMULATION_START_NV: f.sim_start = now; break;
    case VK_LATENCY_MARKER_SIMULATION_END_NV: f.sim_end = now; break;
    case VK_LATENCY_MARKER_RENDERSUBMIT_START_NV: f.render_start = now; break;
    case VK_LATENCY_MARKER_RENDERSUBMIT_END_NV: f.render_end = now; break;
    case VK_LATENCY_MARKER_PRESENT_START_NV: f.present_start = now; break;
    case VK_LATENCY_MARKER_PRESENT_END_NV: f.present_end = now; break;
    case VK_LATENCY_MARKER_INPUT_SAMPLE_NV: f.input_sample = now; break;
    default: break;  // the flash indicator and the out-of-band markers have no field in the frame report
    }
}

VKAPI_ATTR void VKAPI_CALL GetLatencyTimingsNV(VkDevice device, VkSwapchainKHR swapchain,
                                               VkGetLatencyMarkerInfoNV* info) {
    SwapchainState& sc = state_of(swapchain);
    // Frames whose present call was made (marked, or seen in vkQueuePresentKHR), oldest first.
    std::vector<LatencyFrame> done;
    {
        std::lock_guard<std::mutex> lock(sc.mu);
        for (const LatencyFrame& f : sc.latency.frames)
            if (f.present_end || f.our_present) done.push_back(f);
    }
    if (!info->pTimings) {
        info->timingCount = uint32_t(done.size());
        return;
    }
    // The newest ones when fewer are asked for.
    const size_t n = std::min<size_t>(info->timingCount, done.size());
    const size_t first = done.size() - n;
    DeviceObject* dev = object_of<DeviceObject>(device);
    std::lock_guard<std::mutex> lock(dev->mu);
    for (size_t i = 0; i < n; ++i) {
        const LatencyFrame& f = done[first + i];
        VkLatencyTimingsFrameReportNV& r = info->pTimings[i];
        void* next = r.pNext;  // the program's chain stays
        r = VkLatencyTimingsFrameReportNV{VK_STRUCTURE_TYPE_LATENCY_TIMINGS_FRAME_REPORT_NV, next};
        r.presentID = f.present_id;
        r.inputSampleTimeUs = f.input_sample;
        r.simStartTimeUs = f.sim_start;
        r.simEndTimeUs = f.sim_end;
        r.renderSubmitStartTimeUs = f.render_start;
        r.renderSubmitEndTimeUs = f.render_end;
        r.presentStartTimeUs = f.present_start;
        r.presentEndTimeUs = f.present_end;
        auto it = dev->latency_submissions.find(f.present_id);
        if (it != dev->latency_submissions.end()) {
            r.driverStartTimeUs = it->second.first;
            r.driverEndTimeUs = it->second.second;
            // The queue and the GPU are the server's: as far as this side can tell, the frame's work is with the
            // GPU once its last submission has left (no time in an OS queue here).
            r.osRenderQueueStartTimeUs = it->second.second;
            r.osRenderQueueEndTimeUs = it->second.second;
            r.gpuRenderStartTimeUs = it->second.second;
        }
        r.gpuRenderEndTimeUs = f.gpu_end;
    }
    info->timingCount = uint32_t(n);
}

VKAPI_ATTR void VKAPI_CALL QueueNotifyOutOfBandNV(VkQueue queue, const VkOutOfBandQueueTypeInfoNV*) {
    // Render and present queues alike: their submissions are no frame's work.
    object_of<QueueObject>(queue)->out_of_band = true;
}

}  // namespace anarchy::client
