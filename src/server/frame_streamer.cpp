#include "server/frame_streamer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/log.h"
#include "common/thread_name.h"
#include "protocol/arena.h"
#include "server/session.h"
#include "video/banded_codec.h"
#include "video/codec_factory.h"

namespace anarchy::server {

using Clock = std::chrono::steady_clock;

namespace {

/// A moving average that gives each new value a quarter of the weight; the first value stands alone.
uint32_t moving_average(uint32_t average, uint32_t value) {
    return average ? uint32_t((3ull * average + value) / 4) : value;
}

uint32_t micros(Clock::duration d) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return us < 0 ? 0 : uint32_t(std::min<int64_t>(us, UINT32_MAX));
}

/// Test hook: ANARCHY_FAULT_ENCODE_FRAMES=3,10 makes the 3rd and 10th frame a session encodes fail, so the
/// recovery path (frame dropped, reported, next frame a key frame) can be tested end to end.
bool injected_encode_failure(uint64_t frame_number) {
    static const std::vector<uint64_t> frames = [] {
        std::vector<uint64_t> out;
        if (const char* v = std::getenv("ANARCHY_FAULT_ENCODE_FRAMES")) {
            for (const char* p = v; *p;) {
                char* end = nullptr;
                unsigned long long n = std::strtoull(p, &end, 10);
                if (end == p) break;
                out.push_back(n);
                p = *end == ',' ? end + 1 : end;
            }
        }
        return out;
    }();
    return std::find(frames.begin(), frames.end(), frame_number) != frames.end();
}

/// ANARCHY_CAPTURE_MARGIN_US where set to 0-5000, else the default (a wrong value is named and ignored).
uint32_t jit_margin_from_environment(uint32_t fallback) {
    const char* v = std::getenv("ANARCHY_CAPTURE_MARGIN_US");
    if (!v || !*v) return fallback;
    char* end = nullptr;
    const unsigned long n = std::strtoul(v, &end, 10);
    if (*end != 0 || n > 5000) {
        LOG_WARN("ANARCHY_CAPTURE_MARGIN_US=%s: 0-5000 microseconds; keeping %u", v, fallback);
        return fallback;
    }
    return uint32_t(n);
}

constexpr auto kSettingsWait = std::chrono::milliseconds(5000);
constexpr uint64_t kCaptureWaitNs = 5'000'000'000ull;  // a frame the GPU has not finished in 5 s is given up

}  // namespace

void FrameStreamer::guarded(void (FrameStreamer::*loop)()) {
    // A thread of the session that throws ends the session alone (decision 15), never the server.
    try {
        (this->*loop)();
    } catch (const std::exception& e) {
        LOG_ERROR("session %llu: ending: frame streaming failed: %s", (unsigned long long)session_.number(), e.what());
        session_.stop();
    } catch (...) {
        LOG_ERROR("session %llu: ending: frame streaming failed", (unsigned long long)session_.number());
        session_.stop();
    }
}

FrameStreamer::FrameStreamer(Session& session)
    : jit_margin_us_(jit_margin_from_environment(kDefaultJitMarginUs)), session_(session) {
    worker_ = std::thread([this] {
        set_thread_name("anarchy-stream");
        guarded(&FrameStreamer::work_loop);
    });
}

FrameStreamer::~FrameStreamer() { stop(); }

void FrameStreamer::stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_ && !worker_.joinable()) return;
        stopping_ = true;
        if (conn_) conn_->close();
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    if (reader_.joinable()) reader_.join();
    std::lock_guard<std::mutex> lock(mu_);
    // Jobs the worker never took: give their slots back before the capturers go.
    for (Job& job : jobs_)
        if (job.captured) job.capturer->release(job.ticket);
    jobs_.clear();
    capturers_.clear();
    swapchains_.clear();
    // The devices outlive the streamer (the session destroys them next); our semaphores go now, once no capture
    // waits on them.
    while (!chain_semaphores_.empty()) {
        const VkDevice device = chain_semaphores_.begin()->first;
        if (session_.vk(device).DeviceWaitIdle) session_.vk(device).DeviceWaitIdle(device);
        destroy_chain_semaphores_locked(device);
    }
}

void FrameStreamer::attach(std::unique_ptr<transport::Connection> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || conn_) {
        const char* why = conn_ ? "the session already has a video channel" : "the session is ending";
        conn->send(transport::FrameType::Error, reinterpret_cast<const uint8_t*>(why), std::strlen(why));
        conn->close();
        return;
    }
    conn_ = std::move(conn);
    reader_ = std::thread([this] {
        set_thread_name("anarchy-vreader");
        guarded(&FrameStreamer::read_loop);
    });
}

void FrameStreamer::read_loop() {
    transport::Connection* conn;
    {
        std::lock_guard<std::mutex> lock(mu_);
        conn = conn_.get();
    }
    transport::Frame f;
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (stopping_) return;
        }
        std::string err;
        bool timed_out = false;
        if (!conn->receive(f, std::chrono::milliseconds(500), &err, &timed_out)) {
            if (timed_out) continue;
            LOG_INFO("session %llu: video channel closed (%s)", (unsigned long long)session_.number(), err.c_str());
            return;
        }
        if (f.type != transport::FrameType::Control) continue;
        protocol::Arena arena;
        protocol::WireDecoder d(f.payload.data(), f.payload.size(), &arena);
        protocol::VideoMessage kind{};
        bool ok = protocol::decode_kind(d, kind);
        if (ok && kind == protocol::VideoMessage::StreamSettings) {
            protocol::StreamSettings s;
            ok = protocol::decode(d, s);
            if (ok && !video::parse_codec_kind(s.codec)) ok = d.fail("unknown codec '" + s.codec + "'");
            if (ok && s.captured_ahead != 1 && s.captured_ahead != 2)
                ok = d.fail("captured_ahead " + std::to_string(s.captured_ahead) + " (1 or 2)");
            if (ok && (s.video_bands < 1 || s.video_bands > video::kMaxBands))
                ok = d.fail("video_bands " + std::to_string(s.video_bands) + " (1-" +
                            std::to_string(video::kMaxBands) + ")");
            if (ok) {
                std::lock_guard<std::mutex> lock(mu_);
                captured_ahead_ = s.captured_ahead;
                settings_ = s;
                cv_.notify_all();
            }
        } else if (ok && kind == protocol::VideoMessage::RequestKeyframe) {
            uint64_t sc = 0;
            ok = d.u64(sc);
            keyframe_wanted_ = true;
        } else if (ok && kind == protocol::VideoMessage::SetBitrate) {
            protocol::BitrateRequest m;
            ok = protocol::decode(d, m);
            if (ok && (m.kbps < kMinBitrateKbps || m.kbps > kMaxBitrateKbps))
                ok = d.fail("bitrate " + std::to_string(m.kbps) + " kbit/s is outside " +
                            std::to_string(kMinBitrateKbps) + ".." + std::to_string(kMaxBitrateKbps));
            if (ok) bitrate_wanted_kbps_ = m.kbps;
        } else if (ok && kind == protocol::VideoMessage::LinkProbe) {
            uint32_t bytes = 0;
            ok = d.u32(bytes);
            if (ok && bytes > protocol::kMaxLinkProbeBytes) ok = d.fail("link probe of " + std::to_string(bytes) + " bytes");
            if (ok) send_probe(bytes);
        } else if (ok && kind == protocol::VideoMessage::SwitchCodec) {
            protocol::CodecSwitch m;
            ok = protocol::decode(d, m);
            if (ok && !video::parse_codec_kind(m.codec)) ok = d.fail("unknown codec '" + m.codec + "'");
            if (ok) {
                LOG_INFO("session %llu: the client asks for %s (codec auto: what its link carries)",
                         (unsigned long long)session_.number(), m.codec.c_str());
                std::lock_guard<std::mutex> lock(mu_);
                if (settings_) settings_->codec = m.codec;
                codec_wanted_ = uint32_t(*video::parse_codec_kind(m.codec)) + 1;
            }
        } else if (ok && kind == protocol::VideoMessage::FrameHandled) {
            uint64_t id = 0;
            ok = d.u64(id);
            std::lock_guard<std::mutex> lock(mu_);
            auto it = swapchains_.find(id);
            if (ok && it != swapchains_.end()) it->second->frames_handled++;
        } else if (ok) {
            ok = d.fail("unexpected message on the video channel");
        }
        if (!ok) {
            LOG_ERROR("session %llu: video channel: %s; closing it", (unsigned long long)session_.number(),
                      d.error().c_str());
            std::string why = d.error();
            conn->send(transport::FrameType::Error, reinterpret_cast<const uint8_t*>(why.data()), why.size());
            conn->close();
            return;
        }
    }
}

std::optional<protocol::StreamSettings> FrameStreamer::settings(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, limit, [&] { return settings_.has_value() || stopping_; });
    return settings_;
}

bool FrameStreamer::known_present_mode(VkPresentModeKHR mode) {
    switch (mode) {
    case VK_PRESENT_MODE_IMMEDIATE_KHR:
    case VK_PRESENT_MODE_MAILBOX_KHR:
    case VK_PRESENT_MODE_FIFO_KHR:
    case VK_PRESENT_MODE_FIFO_RELAXED_KHR:
    case VK_PRESENT_MODE_FIFO_LATEST_READY_KHR:
    case VK_PRESENT_MODE_SHARED_DEMAND_REFRESH_KHR:
    case VK_PRESENT_MODE_SHARED_CONTINUOUS_REFRESH_KHR:
        return true;
    default:
        return false;
    }
}

bool FrameStreamer::create_swapchain(VkDevice device, uint64_t id, VkFormat format, VkExtent2D extent,
                                     VkPresentModeKHR mode, std::vector<VkImage> images, std::string* why,
                                     SharedWith shared_with) {
    if (extent.width == 0 || extent.height == 0 || extent.width > 16384 || extent.height > 16384) {
        *why = "swapchain extent out of range";
        return false;
    }
    if (images.empty() || images.size() > 16) {
        *why = "swapchain image count out of range";
        return false;
    }
    auto sc = std::make_shared<Swapchain>();
    sc->id = id;
    sc->device = device;
    sc->format = format;
    sc->extent = extent;
    sc->mode = mode;
    sc->shared = shared_present_mode(mode);
    if (sc->shared && images.size() != 1) {
        *why = "a shared presentable swapchain has one image";
        return false;
    }
    sc->images = std::move(images);
    sc->shared_with = shared_with;
    std::lock_guard<std::mutex> lock(mu_);
    if (swapchains_.count(id)) {
        *why = "swapchain id already in use";
        return false;
    }
    // Opening an encoder can take a second (NVENC's CUDA context, or finding out there is no NVENC): the worker
    // does it now, while the program renders its first frame, rather than on that frame's way to the screen.
    Job prepare;
    prepare.sc = sc;
    prepare.prepare = true;
    ++sc->in_flight;
    jobs_.push_back(std::move(prepare));
    swapchains_[id] = std::move(sc);
    cv_.notify_all();
    return true;
}

void FrameStreamer::destroy_swapchain(uint64_t id) {
    std::unique_lock<std::mutex> lock(mu_);
    auto it = swapchains_.find(id);
    if (it == swapchains_.end()) return;
    auto sc = it->second;
    swapchains_.erase(it);
    if (sc->pending) {
        // Never captured: its image goes back, its semaphore is consumed (the session thread calls this).
        Swapchain::Pending p = std::move(*sc->pending);
        sc->pending.reset();
        --pending_count_;
        lock.unlock();
        release_pending(id, p);
        if (p.ready) consume_waits(p.queue, {p.ready});
        lock.lock();
    }
    // Its images are destroyed next in the command stream: no capture may still read them.
    cv_.wait_for(lock, std::chrono::seconds(5), [&] { return sc->in_flight == 0 || stopping_; });
}

void FrameStreamer::forget_image(VkImage image) {
    std::vector<uint64_t> ids;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto& [id, sc] : swapchains_)
            if (std::find(sc->images.begin(), sc->images.end(), image) != sc->images.end()) ids.push_back(id);
    }
    for (uint64_t id : ids) {
        LOG_WARN("session %llu: an image of swapchain %llu destroyed before the swapchain: presenting it ends here",
                 (unsigned long long)session_.number(), (unsigned long long)id);
        destroy_swapchain(id);
    }
}

void FrameStreamer::forget_device(VkDevice device) {
    std::vector<std::pair<uint64_t, Swapchain::Pending>> pending;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto& [id, sc] : swapchains_)
            if (sc->device == device && sc->pending) {
                pending.emplace_back(id, std::move(*sc->pending));
                sc->pending.reset();
                --pending_count_;
            }
    }
    for (auto& [id, p] : pending) {
        release_pending(id, p);
        if (p.ready) consume_waits(p.queue, {p.ready});
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [&] {
        for (auto& job : jobs_)
            if (job.sc->device == device) return false;
        for (auto& [id, sc] : swapchains_)
            if (sc->device == device && sc->in_flight) return false;
        return true;
    });
    for (auto it = capturers_.begin(); it != capturers_.end();)
        it = it->first.first == device ? capturers_.erase(it) : std::next(it);
    capture_queues_.erase(device);
    for (auto it = announced_capture_queues_.begin(); it != announced_capture_queues_.end();)
        it = it->first == device ? announced_capture_queues_.erase(it) : std::next(it);
    destroy_chain_semaphores_locked(device);
    for (auto it = swapchains_.begin(); it != swapchains_.end();)
        it = it->second->device == device ? swapchains_.erase(it) : std::next(it);
}

void FrameStreamer::set_capture_queues(VkDevice device, CaptureQueue copy, CaptureQueue compute,
                                       bool host_query_reset) {
    std::lock_guard<std::mutex> lock(mu_);
    if (copy.queue || compute.queue) capture_queues_[device] = CaptureQueues{copy, compute, host_query_reset};
}

capture::FrameCapturer* FrameStreamer::own_queue_capturer(const Swapchain& sc, bool after_semaphores,
                                                          capture::OutputFormat want, VkQueue* queue) {
    if (!after_semaphores || sc.shared) return nullptr;
    const std::optional<capture::SourceLayout> source = capture::source_layout_of(sc.format);
    if (!source) return nullptr;
    const bool converts = capture::needs_compute(*source, want);
    CaptureQueue use;
    bool on_copy_engine = false;
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = capture_queues_.find(sc.device);
        if (it == capture_queues_.end()) return nullptr;
        const CaptureQueues& q = it->second;
        if (!converts && q.copy.queue && q.copy.family == sc.shared_with.copy_family) {
            use = q.copy;
            on_copy_engine = true;
        } else if (q.compute.queue && q.compute.family == sc.shared_with.compute_family) use = q.compute;
        else return nullptr;
    }
    std::string why;
    capture::FrameCapturer* c = capturer_for(sc.device, use.family, &why);
    if (!c) {
        // Captures go on the program's queue instead; said once per device and family.
        LOG_WARN("session %llu: no capture on the server's queue of family %u: %s",
                 (unsigned long long)session_.number(), use.family, why.c_str());
        std::lock_guard<std::mutex> lock(mu_);
        auto it = capture_queues_.find(sc.device);
        if (it != capture_queues_.end()) {
            if (it->second.copy.family == use.family) it->second.copy = CaptureQueue{};
            if (it->second.compute.family == use.family) it->second.compute = CaptureQueue{};
        }
        return nullptr;
    }
    *queue = use.queue;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (announced_capture_queues_.insert({sc.device, use.family}).second)
            LOG_INFO("session %llu: captures on the server's own queue of family %u (%s)",
                     (unsigned long long)session_.number(), use.family,
                     on_copy_engine ? "a copy engine" : "asynchronous compute");
    }
    return c;
}

capture::FrameCapturer* FrameStreamer::capturer_for(VkDevice device, uint32_t family, std::string* why) {
    auto key = std::make_pair(device, family);
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = capturers_.find(key);
        if (it != capturers_.end()) return it->second.get();
    }
    auto parent = session_.device_parents().find(device);
    if (parent == session_.device_parents().end()) {
        *why = "present on a device the session did not create";
        return nullptr;
    }
    VkPhysicalDevice pd = parent->second;
    uint64_t pd_id = session_.objects().find_id(VK_OBJECT_TYPE_PHYSICAL_DEVICE, reinterpret_cast<uint64_t>(pd));
    ObjectEntry e;
    if (!pd_id || !session_.objects().entry(pd_id, e)) {
        *why = "present: the device's physical device is unknown";
        return nullptr;
    }
    capture::FrameCapturerCreateInfo info;
    info.get_instance_proc_addr = session_.vk().GetInstanceProcAddr;
    info.instance = reinterpret_cast<VkInstance>(e.owner);
    info.physical_device = pd;
    info.device = device;
    info.queue_family_index = family;
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto q = capture_queues_.find(device);
        info.host_query_reset = q != capture_queues_.end() && q->second.host_query_reset;
    }
    auto made = capture::FrameCapturer::create(info, why);
    if (!made) return nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    auto* raw = made.get();
    capturers_[key] = std::move(made);
    return raw;
}

void FrameStreamer::consume_waits(VkQueue queue, const std::vector<VkSemaphore>& waits, VkSemaphore signal) {
    if (waits.empty() && !signal) return;
    std::vector<VkPipelineStageFlags> stages(waits.size(), VK_PIPELINE_STAGE_ALL_COMMANDS_BIT);
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.waitSemaphoreCount = uint32_t(waits.size());
    si.pWaitSemaphores = waits.data();
    si.pWaitDstStageMask = stages.data();
    si.signalSemaphoreCount = signal ? 1 : 0;
    si.pSignalSemaphores = &signal;
    session_.vk(queue).QueueSubmit(queue, 1, &si, VK_NULL_HANDLE);
}

VkSemaphore FrameStreamer::take_chain_semaphore(VkDevice device) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto& pool = chain_semaphores_[device].free;
        if (!pool.empty()) {
            VkSemaphore s = pool.back();
            pool.pop_back();
            return s;
        }
    }
    VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkSemaphore s = VK_NULL_HANDLE;
    if (session_.vk(device).CreateSemaphore(device, &info, nullptr, &s) != VK_SUCCESS) return VK_NULL_HANDLE;
    std::lock_guard<std::mutex> lock(mu_);
    chain_semaphores_[device].all.push_back(s);
    return s;
}

void FrameStreamer::give_back_chain_semaphore(VkDevice device, VkSemaphore s) {
    if (!s) return;
    std::lock_guard<std::mutex> lock(mu_);
    chain_semaphores_[device].free.push_back(s);
}

capture::OutputFormat FrameStreamer::capture_format(const std::optional<protocol::StreamSettings>& s) {
    // Video encoders take I420 (converted on the GPU), the lossless codecs BGRA.
    return s && video::is_video_codec(*video::parse_codec_kind(s->codec)) ? capture::OutputFormat::I420
                                                                            : capture::OutputFormat::Bgra8;
}

void FrameStreamer::give_back_semaphores(const Job& job) {
    give_back_chain_semaphore(job.sc->device, job.chain_in);
    for (VkSemaphore s : job.also_give_back) give_back_chain_semaphore(job.sc->device, s);
}

std::optional<FrameStreamer::Swapchain::Pending> FrameStreamer::take_pending(Swapchain& sc) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!sc.pending) return std::nullopt;
    std::optional<Swapchain::Pending> p = std::move(sc.pending);
    sc.pending.reset();
    --pending_count_;
    return p;
}

void FrameStreamer::release_pending(uint64_t swapchain, const Swapchain::Pending& p) {
    protocol::WireEncoder e;
    protocol::encode(e, protocol::ImageReleased{swapchain, p.entry.image_index});
    send(transport::FrameType::Video, e);
    protocol::FrameHeader h;
    h.swapchain = swapchain;
    h.image_index = p.entry.image_index;
    h.present_id = p.entry.present_id;
    send_dropped(h);
}

std::optional<Clock::time_point> FrameStreamer::capture_due_at_locked(const Swapchain& sc) const {
    if (sc.in_flight < captured_ahead_) return Clock::time_point::min();
    // One frame ahead and none queued behind it: due once the encoder is expected to be free within the time a
    // capture takes. The frame in flight is being encoded (free at its start plus an encoding time) or still being
    // captured (free at its submission plus a capture's time plus an encoding time).
    if (captured_ahead_ != 1 || sc.in_flight != 1 || sc.encode_us_avg == 0) return std::nullopt;
    const auto lead = std::chrono::microseconds(sc.capture_lead_us + jit_margin_us_);
    const auto encode = std::chrono::microseconds(sc.encode_us_avg);
    const auto free_at = sc.encode_started ? *sc.encode_started + encode
                                           : sc.capture_submitted + std::chrono::microseconds(sc.capture_lead_us) + encode;
    return free_at - lead;
}

std::chrono::microseconds FrameStreamer::capture_due_in() {
    constexpr std::chrono::microseconds kLongest{1000};
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    std::chrono::microseconds in = kLongest;
    for (auto& [id, sc] : swapchains_) {
        if (!sc->pending) continue;
        const auto due = capture_due_at_locked(*sc);
        if (!due) continue;
        if (*due <= now) return std::chrono::microseconds(0);
        in = std::min(in, std::chrono::ceil<std::chrono::microseconds>(*due - now));
    }
    return in;
}

void FrameStreamer::flush_pending() {
    if (!has_pending()) return;
    std::vector<std::shared_ptr<Swapchain>> ready;
    {
        std::lock_guard<std::mutex> lock(mu_);
        const auto now = Clock::now();
        for (auto& [id, sc] : swapchains_)
            if (sc->pending && capture_due_locked(*sc, now)) ready.push_back(sc);
    }
    for (auto& sc : ready) {
        std::optional<Swapchain::Pending> p = take_pending(*sc);
        if (!p) continue;
        Job job;
        job.sc = sc;
        job.entry = p->entry;
        job.received = p->received;
        std::string err;
        const std::vector<VkSemaphore> waits = p->ready ? std::vector<VkSemaphore>{p->ready} : std::vector<VkSemaphore>{};
        const capture::OutputFormat want = capture_format(settings(kSettingsWait));
        VkQueue capture_queue = p->queue;
        job.capturer = own_queue_capturer(*sc, !waits.empty(), want, &capture_queue);
        if (!job.capturer) job.capturer = capturer_for(sc->device, p->family, &err);
        if (job.capturer) {
            auto r = job.capturer->submit(capture_queue, waits, sc->images[p->entry.image_index], sc->format,
                                          sc->extent, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, want, {});
            if (r.status == capture::CaptureStatus::Busy) {
                // The ring is still full (the encoder has not given its slot back): try again at the next flush.
                std::lock_guard<std::mutex> lock(mu_);
                if (!sc->pending) {
                    sc->pending = std::move(p);
                    ++pending_count_;
                }
                continue;
            }
            if (r.ok()) {
                job.ticket = r.ticket;
                job.captured = true;
                job.chain_in = p->ready;
                job.also_give_back = std::move(p->consumed);
                job.slot_wait_us = micros(Clock::now() - p->received);
            } else {
                err = r.error;
            }
        }
        if (!job.captured) {
            LOG_WARN("session %llu: frame %llu not captured: %s", (unsigned long long)session_.number(),
                     (unsigned long long)p->entry.present_id, err.c_str());
            consume_waits(p->queue, waits);
        }
        queue_job(std::move(job));
    }
}

void FrameStreamer::destroy_chain_semaphores_locked(VkDevice device) {
    auto it = chain_semaphores_.find(device);
    if (it == chain_semaphores_.end()) return;
    for (VkSemaphore s : it->second.all) session_.vk(device).DestroySemaphore(device, s, nullptr);
    chain_semaphores_.erase(it);
}

bool FrameStreamer::present(VkQueue queue, uint32_t family, const std::vector<VkSemaphore>& waits,
                            const std::vector<PresentEntry>& entries, std::string* why) {
    const auto received = Clock::now();
    auto s = settings(kSettingsWait);
    // Every capture must wait for the present's semaphores, but a binary semaphore has one waiter: the first
    // capture waits on them and signals a semaphore of ours that the next capture waits on, and so on down the
    // swapchains of the present (the captures run one after another; the rendering is done before the first).
    VkSemaphore chain = VK_NULL_HANDLE;  ///< signalled by the previous entry's capture
    for (size_t i = 0; i < entries.size(); ++i) {
        const PresentEntry& entry = entries[i];
        std::shared_ptr<Swapchain> sc;
        {
            std::lock_guard<std::mutex> lock(mu_);
            auto it = swapchains_.find(entry.swapchain);
            if (it != swapchains_.end()) sc = it->second;
        }
        if (!sc) {
            *why = "present to an unknown swapchain";
            return false;
        }
        if (entry.image_index >= sc->images.size()) {
            *why = "present of an image index past the swapchain's images";
            return false;
        }
        if (!known_present_mode(entry.present_mode) || shared_present_mode(entry.present_mode) != sc->shared) {
            *why = "present mode " + std::to_string(int(entry.present_mode)) + " is not one this swapchain may switch to";
            return false;
        }
        sc->mode = entry.present_mode;
        Job job;
        job.sc = sc;
        job.entry = entry;
        job.received = received;
        std::string err;
        job.capturer = s ? capturer_for(sc->device, family, &err) : nullptr;
        if (!s) err = "the client's video channel never sent its stream settings";
        std::vector<VkSemaphore> my_waits = i == 0 ? waits : chain ? std::vector<VkSemaphore>{chain}
                                                                  : std::vector<VkSemaphore>{};
        // A present of this swapchain left waiting uncaptured is replaced by this one: its image goes back to the
        // program unshown, and its semaphore joins this present's waits (consumed whatever happens to this one).
        std::vector<VkSemaphore> give_back;
        if (std::optional<Swapchain::Pending> old = take_pending(*sc)) {
            release_pending(entry.swapchain, *old);
            if (old->ready) {
                my_waits.push_back(old->ready);
                give_back.push_back(old->ready);
            }
            give_back.insert(give_back.end(), old->consumed.begin(), old->consumed.end());
        }
        // Newest wins and the encoder has its fill: this present waits uncaptured (flush_pending captures it when
        // the encoder can take it, unless a newer present replaces it first), its semaphores consumed now.
        if (job.capturer && entries.size() == 1 && !sc->every_frame() && !sc->shared) {
            bool busy;
            {
                std::lock_guard<std::mutex> lock(mu_);
                busy = sc->in_flight >= captured_ahead_;
            }
            VkSemaphore ready = busy && !my_waits.empty() ? take_chain_semaphore(sc->device) : VK_NULL_HANDLE;
            if (busy && (ready || my_waits.empty())) {
                consume_waits(queue, my_waits, ready);
                Swapchain::Pending p;
                p.entry = entry;
                p.queue = queue;
                p.family = family;
                p.ready = ready;
                p.consumed = std::move(give_back);
                p.received = received;
                std::lock_guard<std::mutex> lock(mu_);
                sc->pending = std::move(p);
                ++pending_count_;
                continue;
            }
        }
        VkSemaphore next = VK_NULL_HANDLE;
        if (i + 1 < entries.size() && !my_waits.empty()) next = take_chain_semaphore(sc->device);
        std::vector<VkSemaphore> signals;
        if (next) signals.push_back(next);
        if (job.capturer) {
            const capture::OutputFormat want = capture_format(s);
            VkQueue capture_queue = queue;
            if (capture::FrameCapturer* c = own_queue_capturer(*sc, !my_waits.empty(), want, &capture_queue))
                job.capturer = c;
            // A full ring means the encoder is behind: wait a little for a slot rather than queue more.
            for (int attempt = 0; attempt < 200; ++attempt) {
                const VkImageLayout layout = sc->shared ? VK_IMAGE_LAYOUT_GENERAL : VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
                auto r = job.capturer->submit(capture_queue, my_waits, sc->images[entry.image_index], sc->format,
                                              sc->extent, layout, want, signals);
                if (r.ok()) {
                    job.ticket = r.ticket;
                    job.captured = true;
                    job.slot_wait_us = micros(Clock::now() - received);
                    break;
                }
                if (r.status != capture::CaptureStatus::Busy) {
                    err = r.error;
                    break;
                }
                // Newest frame wins: where the program does not wait for the display, an older frame still
                // waiting for the encoder gives up its slot rather than hold the program back.
                if (!sc->every_frame() && drop_oldest_queued(sc))
                    continue;
                std::unique_lock<std::mutex> lock(mu_);
                cv_.wait_for(lock, std::chrono::milliseconds(5));
                if (stopping_) break;
            }
            if (!job.captured && err.empty()) err = "capture ring stayed full";
        }
        if (!job.captured) {
            LOG_WARN("session %llu: frame %llu not captured: %s", (unsigned long long)session_.number(),
                     (unsigned long long)entry.present_id, err.c_str());
            // The chain goes on without this capture; the semaphore it would have waited on is not known to be
            // free again until the device is forgotten.
            consume_waits(queue, my_waits, next);
        } else {
            if (i > 0) job.chain_in = chain;  // free again once this capture has finished
            job.also_give_back = std::move(give_back);
        }
        chain = next;
        queue_job(std::move(job));
    }
    return true;
}

void FrameStreamer::queue_job(Job job) {
    std::lock_guard<std::mutex> lock(mu_);
    Swapchain& sc = *job.sc;
    ++sc.in_flight;
    if (job.captured) sc.capture_submitted = job.submitted();
    jobs_.push_back(std::move(job));
    cv_.notify_all();
}

bool FrameStreamer::drop_oldest_queued(const std::shared_ptr<Swapchain>& sc) {
    Job victim;
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = std::find_if(jobs_.begin(), jobs_.end(), [&](const Job& j) { return j.sc == sc && j.captured; });
        if (it == jobs_.end()) return false;
        victim = std::move(*it);
        jobs_.erase(it);
    }
    drop(victim);
    {
        std::lock_guard<std::mutex> lock(mu_);
        --sc->in_flight;
    }
    cv_.notify_all();
    return true;
}

void FrameStreamer::send(transport::FrameType type, const protocol::WireEncoder& e, const uint8_t* extra,
                         size_t extra_size) {
    transport::Connection* conn;
    {
        std::lock_guard<std::mutex> lock(mu_);
        conn = conn_.get();
    }
    if (!conn) return;
    if (!extra) {
        // A small message: into the outbox, sent now if the connection is free, else by whoever holds it as soon
        // as its own frame is out. Only a full outbox (a client that stopped reading) makes the caller wait.
        bool full;
        {
            std::lock_guard<std::mutex> lock(outbox_mu_);
            outbox_.push_back(Outgoing{type, e.bytes()});
            full = outbox_.size() >= kMaxOutbox;
        }
        std::unique_lock<std::mutex> sending(send_mu_, std::defer_lock);
        if (full) sending.lock();
        else if (!sending.try_lock()) return;
        send_outbox_and_unlock(*conn, sending);
        return;
    }
    std::unique_lock<std::mutex> sending(send_mu_);
    send_outbox(*conn);  // what was posted before goes first
    conn->send_parts(type, e.bytes().data(), e.bytes().size(), extra, extra_size);
    send_outbox_and_unlock(*conn, sending);
}

void FrameStreamer::send_outbox(transport::Connection& conn) {
    std::deque<Outgoing> out;
    {
        std::lock_guard<std::mutex> lock(outbox_mu_);
        out.swap(outbox_);
    }
    for (const Outgoing& m : out) conn.send(m.type, m.bytes);
}

void FrameStreamer::send_outbox_and_unlock(transport::Connection& conn, std::unique_lock<std::mutex>& sending) {
    for (;;) {
        send_outbox(conn);
        sending.unlock();
        {
            std::lock_guard<std::mutex> lock(outbox_mu_);
            if (outbox_.empty()) return;
        }
        // Posted after we looked and before we let go: ours to send, unless another sender has the connection now
        // (it sends them before letting go).
        if (!sending.try_lock()) return;
    }
}

protocol::FrameHeader FrameStreamer::header_of(const Job& job) {
    protocol::FrameHeader h;
    h.swapchain = job.entry.swapchain;
    h.image_index = job.entry.image_index;
    h.present_id = job.entry.present_id;
    h.width = job.sc->extent.width;
    h.height = job.sc->extent.height;
    return h;
}

void FrameStreamer::send_dropped(protocol::FrameHeader h) {
    h.flags = protocol::kFrameDropped;
    protocol::WireEncoder f;
    protocol::encode(f, h, 0);
    send(transport::FrameType::Video, f);
}

void FrameStreamer::send_release_and_drop(const Job& job) {
    protocol::WireEncoder e;
    protocol::encode(e, protocol::ImageReleased{job.entry.swapchain, job.entry.image_index});
    send(transport::FrameType::Video, e);
    send_dropped(header_of(job));
}

void FrameStreamer::work_loop() {
    for (;;) {
        Job job;
        std::vector<Job> superseded;
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
            // Newest frame wins where the program does not wait for the display: take the newest queued frame of
            // this swapchain and drop the older ones, so that every pass encodes one frame.
            if (!job.sc->every_frame()) {
                for (auto it = jobs_.begin(); it != jobs_.end() && !job.prepare;) {
                    if (it->sc != job.sc || it->prepare) {
                        ++it;
                        continue;
                    }
                    superseded.push_back(std::move(job));
                    job = std::move(*it);
                    it = jobs_.erase(it);
                }
            }
        }
        for (Job& old : superseded) {
            drop(old);
            std::lock_guard<std::mutex> lock(mu_);
            --old.sc->in_flight;
        }
        if (job.prepare)
            open_encoder(*job.sc);
        else
            process(job, 0);
        {
            std::lock_guard<std::mutex> lock(mu_);
            --job.sc->in_flight;
        }
        cv_.notify_all();
    }
}

void FrameStreamer::drop(Job& job) {
    if (job.captured) {
        // The image may be reused once the copy has read it: wait for that before saying so.
        auto w = job.capturer->wait(job.ticket, kCaptureWaitNs);
        if (w.ok()) give_back_semaphores(job);
        job.capturer->release(job.ticket);
        if (!w.ok())
            LOG_WARN("session %llu: dropped capture failed: %s", (unsigned long long)session_.number(), w.error.c_str());
    }
    send_release_and_drop(job);
}

void FrameStreamer::open_encoder(Swapchain& sc) {
    if (sc.encoder || sc.encoder_failed) return;
    auto s = settings(kSettingsWait);
    video::EncoderSettings es;
    es.codec = s ? *video::parse_codec_kind(s->codec) : video::CodecKind::Lz4Tiles;
    es.width = sc.extent.width;
    es.height = sc.extent.height;
    // No periodic key frames: video encoders keep an infinite GOP and sweep an intra refresh wave instead (NVENC,
    // libx264), lossless ones send a key frame only when the client asks for one after an error. A periodic key
    // frame is a spike of several times a frame's size, which a one-frame VBV either starves or lets through late.
    es.keyframe_interval = 0;
    if (s) {
        es.bitrate_kbps = s->bitrate_kbps;
        // The client's estimate of the link replaces the rate it started with.
        if (const uint32_t wanted = bitrate_wanted_kbps_.load(); wanted && s->quality < 0) es.bitrate_kbps = wanted;
        if (s->quality >= 0) es.quality = s->quality;
        es.prefer_hardware = s->prefer_hardware != 0;
        es.bands = s->video_bands;
    }
    auto made = video::create_encoder(es);
    protocol::EncoderChosen chosen;
    chosen.swapchain = sc.id;
    chosen.ok = made.encoder != nullptr;
    chosen.description = "swapchain " + std::to_string(sc.extent.width) + "x" + std::to_string(sc.extent.height) +
                         ": " + made.reason;
    if (made.encoder) LOG_INFO("session %llu: %s", (unsigned long long)session_.number(), chosen.description.c_str());
    else LOG_ERROR("session %llu: %s", (unsigned long long)session_.number(), chosen.description.c_str());
    sc.encoder = std::move(made.encoder);
    sc.encoder_failed = !sc.encoder;
    protocol::WireEncoder e;
    protocol::encode(e, chosen);
    send(transport::FrameType::Video, e);
}

void FrameStreamer::send_probe(uint32_t bytes) {
    // Bytes no compression shrinks, so the link, not LZ4, is what the client times.
    std::vector<uint64_t> filler((size_t(bytes) + 7) / 8);
    uint64_t x = 0x9e3779b97f4a7c15ull ^ bytes;
    for (uint64_t& word : filler) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        word = x;
    }
    protocol::WireEncoder e;
    e.u32(uint32_t(protocol::VideoMessage::LinkProbeData));
    e.u64(bytes);
    send(transport::FrameType::Video, e, reinterpret_cast<const uint8_t*>(filler.data()), bytes);
}

bool FrameStreamer::apply_client_requests(Swapchain& sc) {
    // A codec switch first: the new encoder opens at the client's rate anyway.
    if (const uint32_t codec = codec_wanted_.load(); codec && sc.encoder && uint32_t(sc.encoder->codec()) + 1 != codec) {
        LOG_INFO("session %llu: swapchain %llu: %s -> %s", (unsigned long long)session_.number(),
                 (unsigned long long)sc.id, sc.encoder->name(), video::to_string(video::CodecKind(codec - 1)));
        sc.encoder.reset();
        open_encoder(sc);
        return sc.encoder != nullptr;
    }
    const uint32_t wanted = bitrate_wanted_kbps_.load();
    const uint32_t now = sc.encoder->bitrate_kbps();
    if (wanted == 0 || now == 0 || now == wanted) return true;
    if (sc.encoder->set_bitrate_kbps(wanted)) {
        LOG_INFO("session %llu: swapchain %llu: %s now aims at %u kbit/s (was %u; the client measured the link)",
                 (unsigned long long)session_.number(), (unsigned long long)sc.id, sc.encoder->name(), wanted, now);
        return true;
    }
    // This backend takes a rate only when opened: a new encoder, whose first frame is a key frame.
    LOG_INFO("session %llu: swapchain %llu: reopening %s at %u kbit/s (was %u; the client measured the link)",
             (unsigned long long)session_.number(), (unsigned long long)sc.id, sc.encoder->name(), wanted, now);
    sc.encoder.reset();
    open_encoder(sc);
    return sc.encoder != nullptr;
}

void FrameStreamer::process(Job& job, uint32_t) {
    if (!job.captured) {
        send_release_and_drop(job);
        return;
    }
    const auto wait_started = Clock::now();
    auto w = job.capturer->wait(job.ticket, kCaptureWaitNs);
    const auto captured_at = Clock::now();
    {
        // How long a capture takes from its submission until it is done, behind whatever the program queued on
        // the GPU before it: learnt from captures the worker had to wait for (their end is seen as it happens),
        // and let shrink slowly while captures are done before the worker gets to them.
        const auto submitted = job.submitted();
        std::lock_guard<std::mutex> lock(mu_);
        Swapchain& s = *job.sc;
        if (captured_at - wait_started > std::chrono::microseconds(100) && captured_at > submitted) {
            s.capture_lead_us = moving_average(s.capture_lead_us, micros(captured_at - submitted));
        } else {
            s.capture_lead_us -= s.capture_lead_us / 32;
        }
    }
    if (w.ok()) give_back_semaphores(job);
    protocol::WireEncoder rel;
    protocol::encode(rel, protocol::ImageReleased{job.entry.swapchain, job.entry.image_index});
    if (!w.ok()) {
        LOG_ERROR("session %llu: capture failed: %s", (unsigned long long)session_.number(), w.error.c_str());
        job.capturer->release(job.ticket);
        send_release_and_drop(job);
        return;
    }
    // The GPU no longer reads the image: the client may reuse it while this frame is encoded.
    send(transport::FrameType::Video, rel);

    // Encode no frames the client could not show yet: it is still busy with earlier ones (non-FIFO: FIFO is bounded
    // by its images, which come back only as frames are displayed).
    if (!job.sc->every_frame()) {
        if (job.sc->frames_sent - job.sc->frames_handled >= kMaxUnshown) {
            job.capturer->release(job.ticket);
            send_dropped(header_of(job));
            return;
        }
    }

    Swapchain& sc = *job.sc;
    open_encoder(sc);
    protocol::FrameHeader h = header_of(job);
    const auto& view = w.view;
    h.times.capture_us = uint32_t(view.duration_us);
    // Time spent waiting for a free capture slot is the encoder being behind, not rendering: it counts as queueing.
    const uint32_t until_captured = micros(captured_at - job.received);
    const uint32_t not_render = h.times.capture_us + job.slot_wait_us;
    h.times.render_us = until_captured > not_render ? until_captured - not_render : 0;
    if (!sc.encoder) {
        job.capturer->release(job.ticket);
        send_dropped(h);
        return;
    }
    if (!apply_client_requests(sc)) {
        job.capturer->release(job.ticket);
        send_dropped(h);
        return;
    }
    if (keyframe_wanted_.exchange(false)) sc.encoder->request_keyframe();
    video::FrameView frame;
    if (view.format == capture::OutputFormat::I420)
        frame = video::FrameView::i420(view.planes[0].data, view.planes[0].stride, view.planes[1].data,
                                       view.planes[1].stride, view.planes[2].data, view.planes[2].stride, view.width,
                                       view.height);
    else
        frame = video::FrameView::packed(video::PixelFormat::Bgra8, view.planes[0].data, view.width, view.height,
                                         view.planes[0].stride);
    h.times.queue_us = micros(Clock::now() - captured_at) + job.slot_wait_us;
    // Each packet goes out as soon as it is encoded: lz4-tiles sends a large frame in slices, so the client decodes
    // its first bands while the last are still being compressed; the other codecs send their one packet.
    uint32_t encoded_us = 0;
    bool sent_part = false;
    const auto send_packet = [&](video::EncodedFrame& out, bool last) {
        encoded_us += out.encode_us;
        h.codec = uint32_t(out.codec);
        h.flags = (out.keyframe ? protocol::kFrameKeyframe : 0) | (last ? 0 : protocol::kFrameMoreSlices);
        h.times.encode_us = encoded_us;  // so far: the last packet's header has the frame's whole encoding time
        h.bitrate_kbps = sc.encoder->bitrate_kbps();
        protocol::WireEncoder f;
        protocol::encode(f, h, out.bytes.size());
        if (last) sc.frames_sent++;
        send(transport::FrameType::Video, f, out.bytes.data(), out.bytes.size());
        sent_part = !last;
        return true;
    };
    const auto encode_start = Clock::now();
    {
        std::lock_guard<std::mutex> lock(mu_);
        sc.encode_started = encode_start;
    }
    video::CodecStatus st = injected_encode_failure(++frames_encoded_)
                                ? video::CodecStatus::failure(video::CodecError::Backend,
                                                              "injected failure (ANARCHY_FAULT_ENCODE_FRAMES)")
                                : sc.encoder->encode_slices(frame, send_packet);
    {
        const uint32_t took = micros(Clock::now() - encode_start);  // encoding and sending
        std::lock_guard<std::mutex> lock(mu_);
        sc.encode_started.reset();
        sc.encode_us_avg = moving_average(sc.encode_us_avg, took);
    }
    job.capturer->release(job.ticket);
    if (!st.ok()) {
        // A failed frame is reported and dropped (the client abandons the slices it got); the next one starts
        // from a key frame.
        LOG_ERROR("session %llu: encoding frame %llu failed%s: %s", (unsigned long long)session_.number(),
                  (unsigned long long)job.entry.present_id, sent_part ? " after some of its slices" : "",
                  st.message().c_str());
        sc.encoder->request_keyframe();
        send_dropped(h);
    }
}

}  // namespace anarchy::server
