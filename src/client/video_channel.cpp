#include "client/video_channel.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "client/decoder_choice.h"
#include "client/present_barrier.h"
#include "client/stream_settings.h"
#include "client/wsi/hud_overlay.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "protocol/arena.h"
#include "transport/handshake.h"
#include "video/codec_factory.h"
#include "video/codec_kind.h"
#include "video/decoder.h"
#include "video/task_pool.h"
#include "vk_schema_autogen.h"

namespace anarchy::client {

using Clock = std::chrono::steady_clock;

namespace {

// A FIFO frame waits at most this long for the display to refresh (a hidden window's may never come).
constexpr std::chrono::milliseconds kRefreshWaitLimit{250};
// A metered frame (VK_NV_present_metering) waits at most this long for its place in its batch.
constexpr std::chrono::milliseconds kMaxMeteredWait{250};

uint32_t micros(Clock::duration d) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return us < 0 ? 0 : uint32_t(std::min<int64_t>(us, UINT32_MAX));
}

}  // namespace

std::unique_ptr<VideoChannel> VideoChannel::open(const std::string& address, uint64_t token, std::string* error) {
    std::unique_ptr<VideoChannel> ch(new VideoChannel());
    const transport::ConnectionOptions co = transport::video_connection_options();
    ch->conn_ = transport::tcp_connect(address, std::chrono::milliseconds(3000), co, error);
    if (!ch->conn_) return nullptr;
    transport::PeerInfo mine, theirs;
    mine.schema_hash = protocol::kSchemaHash;
    mine.software = "anarchy " ANARCHY_VERSION;
    mine.role = "video";
    mine.session_token = token;
    if (!transport::client_handshake(*ch->conn_, mine, &theirs, error)) return nullptr;
    protocol::WireEncoder e;
    const StreamChoice choice = choose_stream_settings(*ch->conn_, address);
    const protocol::StreamSettings& settings = choice.settings;
    ch->auto_codec_ = choice.may_switch_to_video;
    ch->codec_ = settings.codec;
    protocol::encode(e, settings);
    if (!ch->conn_->send(transport::FrameType::Control, e.bytes(), error)) return nullptr;
    if (const char* a = std::getenv("ANARCHY_ADAPTIVE_BITRATE")) ch->adaptive_bitrate_ = std::strcmp(a, "0") != 0;
    if (const char* f = std::getenv("ANARCHY_LAST_FRAME")) ch->last_frame_path_ = f;
    if (const char* r = std::getenv("ANARCHY_TILE_REUSE")) ch->tile_reuse_ = std::strcmp(r, "0") != 0;
    const char* hud = std::getenv("ANARCHY_HUD");
    ch->hud_ = hud && std::strcmp(hud, "0") != 0 && *hud;
    if (const char* hz = std::getenv("ANARCHY_REFRESH_HZ")) {
        double v = std::strtod(hz, nullptr);
        if (v >= 1 && v <= 1000) ch->refresh_interval_ = std::chrono::microseconds(int64_t(1e6 / v));
    }
    ch->stats_.open_from_environment();
    // Nothing may escape into the program's process: a failure marks the channel's swapchains lost.
    auto guarded = [](VideoChannel* c, void (VideoChannel::*loop)(), const char* what) {
        try {
            (c->*loop)();
        } catch (const std::exception& e) {
            LOG_ERROR("video channel %s failed: %s", what, e.what());
            c->mark_all_lost();
        } catch (...) {
            LOG_ERROR("video channel %s failed", what);
            c->mark_all_lost();
        }
    };
    ch->receiver_ = std::thread([c = ch.get(), guarded] {
        set_thread_name("anarchy-vrecv");
        guarded(c, &VideoChannel::receive_loop, "receiver");
    });
    ch->display_ = std::thread([c = ch.get(), guarded] {
        set_thread_name("anarchy-display");
        guarded(c, &VideoChannel::display_loop, "display");
    });
    return ch;
}

VideoChannel::~VideoChannel() { close(); }

void VideoChannel::close() {
    closing_ = true;
    if (conn_) conn_->close();
    if (receiver_.joinable()) receiver_.join();
    if (display_.joinable()) display_.join();
}

void VideoChannel::add(const std::shared_ptr<SwapchainState>& sc) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        swapchains_[sc->id] = sc;
    }
    // Opening a hardware decoder costs a CUDA or VA context (0.4 s with NVDEC on an H200): the display thread does
    // it now, while the server opens its encoder and the program renders, not when the first frame waits for it.
    Arrived a;
    a.sc = sc;
    a.prepare = true;
    {
        std::lock_guard<std::mutex> lock(queue_mu_);
        queue_.push_back(std::move(a));
    }
    queue_cv_.notify_one();
}

void VideoChannel::remove(uint64_t swapchain) {
    std::shared_ptr<SwapchainState> sc;
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = swapchains_.find(swapchain);
        if (it == swapchains_.end()) return;
        sc = it->second;
        swapchains_.erase(it);
    }
    if (!last_frame_path_.empty()) write_last_frame(*sc);
}

video::PictureTarget VideoChannel::picture_target(bool into_window, const wsi::FrameBuffer& buffer,
                                                  video::DecodedFrame& frame, uint32_t width, uint64_t holds) {
    return into_window ? video::PictureTarget{buffer.pixels, buffer.stride, holds}
                       : video::PictureTarget{frame.bgra.data(), size_t(width) * 4, holds};
}

bool VideoChannel::take_window_buffer(SwapchainState& sc, const std::shared_ptr<wsi::WindowTarget>& target,
                                      uint32_t width, uint32_t height, wsi::FrameBuffer& buffer, uint64_t& holds) {
    auto a = target->acquire_buffer(width, height);
    if (!a.ok()) return false;
    buffer = a.buffer;
    // lz4-tiles leaves alone what the buffer holds already; until the frame is whole it holds nothing known.
    holds = held_picture(sc, target, buffer);
    note_held(sc, target, buffer, 0);
    return true;
}

uint64_t VideoChannel::held_picture(SwapchainState& sc, const std::shared_ptr<wsi::WindowTarget>& target,
                                   const wsi::FrameBuffer& b) const {
    if (!reuse_tiles() || !target || b.generation == 0 || sc.held_target.lock() != target) return 0;
    auto it = sc.held.find(b.slot);
    if (it == sc.held.end()) return 0;
    const wsi::FrameBuffer& was = it->second.buffer;
    const bool same = was.pixels == b.pixels && was.generation == b.generation && was.width == b.width &&
                      was.height == b.height && was.stride == b.stride;
    return same ? it->second.picture : 0;
}

void VideoChannel::note_held(SwapchainState& sc, const std::shared_ptr<wsi::WindowTarget>& target,
                             const wsi::FrameBuffer& b, uint64_t picture) {
    if (!target) return;
    if (sc.held_target.lock() != target) {
        sc.held.clear();
        sc.held_target = target;
    }
    if (picture == 0 || !reuse_tiles() || b.generation == 0) sc.held.erase(b.slot);
    else sc.held[b.slot] = SwapchainState::HeldPicture{b, picture};
}

void VideoChannel::write_last_frame(SwapchainState& sc) {
    std::lock_guard<std::mutex> displaying(sc.display_mu);
    if (sc.last_shown.empty()) return;
    // Binary PPM (P6): RGB from the BGRA picture.
    std::FILE* f = std::fopen(last_frame_path_.c_str(), "wb");
    if (!f) {
        LOG_ERROR("ANARCHY_LAST_FRAME: cannot write %s", last_frame_path_.c_str());
        return;
    }
    std::fprintf(f, "P6\n%u %u\n255\n", sc.last_shown_width, sc.last_shown_height);
    std::vector<uint8_t> rgb(size_t(sc.last_shown_width) * sc.last_shown_height * 3);
    for (size_t i = 0, n = rgb.size() / 3; i < n; ++i) {
        rgb[3 * i] = sc.last_shown[4 * i + 2];
        rgb[3 * i + 1] = sc.last_shown[4 * i + 1];
        rgb[3 * i + 2] = sc.last_shown[4 * i];
    }
    std::fwrite(rgb.data(), 1, rgb.size(), f);
    std::fclose(f);
    LOG_INFO("the last frame shown (%ux%u) went to %s", sc.last_shown_width, sc.last_shown_height,
             last_frame_path_.c_str());
}

void VideoChannel::drain(SwapchainState& sc, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(sc.mu);
    sc.changed.wait_for(lock, limit, [&] { return sc.presents_pending == 0 || sc.lost || !alive(); });
}

void VideoChannel::mark_all_lost() {
    lost_ = true;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, sc] : swapchains_) {
        std::lock_guard<std::mutex> l(sc->mu);
        sc->lost = true;
        sc->changed.notify_all();
    }
}

void VideoChannel::receive_loop() {
    transport::Frame f;
    while (!closing_) {
        std::string err;
        bool timed_out = false;
        if (!conn_->receive(f, std::chrono::milliseconds(500), &err, &timed_out)) {
            if (timed_out) continue;
            if (!closing_) LOG_ERROR("video channel lost: %s", err.c_str());
            break;
        }
        if (f.type == transport::FrameType::Error) {
            LOG_ERROR("video channel: server ended it: %.*s", int(f.payload.size()),
                      reinterpret_cast<const char*>(f.payload.data()));
            break;
        }
        std::string why;
        if (!handle(f, why)) {
            LOG_ERROR("video channel: bad message from the server: %s", why.c_str());
            break;
        }
    }
    {
        std::lock_guard<std::mutex> lock(queue_mu_);
        receiver_done_ = true;
    }
    queue_cv_.notify_all();
    mark_all_lost();
}

std::deque<VideoChannel::Arrived>::iterator VideoChannel::next_ready_locked() {
    // In arrival order, but a frame the present barrier holds back (present_barrier.h) keeps its swapchain's later
    // frames behind it while other swapchains' frames go past.
    std::vector<const SwapchainState*> held;
    auto& barrier = PresentBarrier::instance();
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        const SwapchainState* sc = it->sc.get();
        if (std::find(held.begin(), held.end(), sc) != held.end()) continue;
        if (it->prepare || barrier.may_show(sc, it->header.present_id)) return it;
        held.push_back(sc);
    }
    return queue_.end();
}

void VideoChannel::display_loop() {
    for (;;) {
        Arrived a;
        {
            std::unique_lock<std::mutex> lock(queue_mu_);
            for (;;) {
                if (queue_.empty() && receiver_done_) return;
                auto ready = next_ready_locked();
                // Nothing more comes once the receiver is done: held frames go then, as after a lost connection.
                if (ready == queue_.end() && receiver_done_) ready = queue_.begin();
                if (ready != queue_.end()) {
                    a = std::move(*ready);
                    queue_.erase(ready);
                    break;
                }
                // The program's presents complete the barrier's sets without notifying this queue: look again soon.
                if (queue_.empty()) queue_cv_.wait(lock);
                else queue_cv_.wait_for(lock, std::chrono::milliseconds(2));
            }
        }
        if (a.prepare) {
            const auto codec = video::parse_codec_kind(codec_);
            std::lock_guard<std::mutex> displaying(a.sc->display_mu);
            if (codec) ensure_decoder(*a.sc, uint32_t(*codec), a.sc->extent.width, a.sc->extent.height);
            continue;
        }
        if (a.header.flags & protocol::kFrameMoreSlices)
            on_slice(*a.sc, a.header, a.frame.payload.data() + a.offset, a.size, a.received);
        else
            on_frame(*a.sc, a.header, a.frame.payload.data() + a.offset, a.size, a.received);
    }
}

void VideoChannel::abandon_slices(SwapchainState& sc) {
    auto& sl = sc.sliced;
    if (!sl.active) return;
    if (sl.into_window && sl.target) sl.target->discard_buffer(sl.buffer);
    // The decoder holds part of that frame: it must take nothing but a key frame next (the server, having given
    // up on the frame, sends one; otherwise the next frame's failure asks for it).
    if (sc.decoder) sc.decoder->reset();
    sl.active = false;
    sl.failed = false;
    sl.into_window = false;
    sl.target.reset();
}

void VideoChannel::on_slice(SwapchainState& sc, const protocol::FrameHeader& h, const uint8_t* data, size_t size,
                            Clock::time_point received) {
    std::lock_guard<std::mutex> displaying(sc.display_mu);
    bool retired;
    {
        std::lock_guard<std::mutex> lock(sc.mu);
        retired = sc.retired;
    }
    auto& sl = sc.sliced;
    if (sl.active && sl.present_id != h.present_id) abandon_slices(sc);  // the server gave up on that frame
    if (retired) {
        abandon_slices(sc);
        return;
    }
    if (!sl.active) {
        sl.active = true;
        sl.failed = false;
        sl.present_id = h.present_id;
        sl.decode_us = 0;
        sl.holds = 0;
        sl.slices = 0;
        sl.first_received = received;
        sl.bytes = 0;
        ensure_decoder(sc, h.codec, h.width, h.height);
        // The window's buffer is taken at the first slice: the slices are decoded straight into it.
        if (sc.surface->platform != SurfaceObject::Platform::Headless) sl.target = sc.surface->window_target();
        if (sl.target) sl.into_window = take_window_buffer(sc, sl.target, h.width, h.height, sl.buffer, sl.holds);
        if (!sl.frame) sl.frame = std::make_shared<video::DecodedFrame>();
        if (!sl.into_window) {
            // Without a window buffer the frame goes into the swapchain's own picture, kept from frame to frame.
            std::vector<uint8_t>& own = sl.frame->bgra;
            if (own.size() != size_t(h.width) * h.height * 4) {
                own.assign(size_t(h.width) * h.height * 4, 0);
                sc.own_picture_holds = 0;
            }
            sl.holds = reuse_tiles() ? sc.own_picture_holds : 0;
            sc.own_picture_holds = 0;
        }
    }
    sl.bytes += size;
    ++sl.slices;
    if (sl.failed) return;
    if (!sc.decoder) {
        sl.failed = true;
        return;
    }
    video::CodecStatus st = sc.decoder->decode_into(
        data, size, picture_target(sl.into_window, sl.buffer, *sl.frame, h.width, sl.holds), *sl.frame);
    sl.decode_us += sl.frame->decode_us;
    if (!st.ok()) {
        sl.failed = true;
        LOG_WARN("a slice of frame %llu could not be decoded (%s); asking for a key frame",
                 (unsigned long long)h.present_id, st.message().c_str());
        request_keyframe(h.swapchain);
    }
}

bool VideoChannel::handle(transport::Frame& f, std::string& why) {
    protocol::Arena arena;
    protocol::WireDecoder d(f.payload.data(), f.payload.size(), &arena);
    protocol::VideoMessage kind{};
    if (!protocol::decode_kind(d, kind)) {
        why = d.error();
        return false;
    }
    auto find = [&](uint64_t id) {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = swapchains_.find(id);
        return it == swapchains_.end() ? nullptr : it->second;
    };
    switch (kind) {
    case protocol::VideoMessage::EncoderChosen: {
        protocol::EncoderChosen m;
        if (!protocol::decode(d, m)) break;
        // The user must see which encoder runs and why (never a silent fallback).
        std::fprintf(stderr, "anarchy: %s\n", m.description.c_str());
        if (!m.ok) {
            if (auto sc = find(m.swapchain)) {
                std::lock_guard<std::mutex> lock(sc->mu);
                sc->no_frames = true;
                sc->changed.notify_all();
            }
        }
        return true;
    }
    case protocol::VideoMessage::ImageReleased: {
        protocol::ImageReleased m;
        if (!protocol::decode(d, m)) break;
        auto sc = find(m.swapchain);
        if (!sc) return true;  // destroyed meanwhile
        if (m.image_index >= sc->images.size()) {
            why = "image index out of range";
            return false;
        }
        std::lock_guard<std::mutex> lock(sc->mu);
        // FIFO images come back once their frame is displayed (on a headless surface: at the pace
        // ANARCHY_REFRESH_HZ gives, else at once); the others as soon as the GPU copied them.
        if (!sc->returns_on_display[m.image_index] || sc->no_frames ||
            (sc->surface->platform == SurfaceObject::Platform::Headless && refresh_interval_.count() == 0)) {
            if (sc->state[m.image_index] == ImageState::Presented) sc->state[m.image_index] = ImageState::Free;
            if (sc->no_frames && sc->presents_pending) {
                --sc->presents_pending;
                sc->complete_oldest_present();
            }
            sc->changed.notify_all();
        }
        return true;
    }
    case protocol::VideoMessage::Frame: {
        protocol::FrameHeader h;
        uint64_t size = 0;
        if (!protocol::decode(d, h, size)) break;
        auto sc = find(h.swapchain);
        if (!sc) return true;
        if (h.image_index >= sc->images.size()) {
            why = "image index out of range";
            return false;
        }
        Arrived a;
        a.sc = std::move(sc);
        a.header = h;
        a.offset = size_t(d.cursor() - f.payload.data());
        a.size = size_t(size);
        a.received = Clock::now();
        // A frame's slices count as one frame of their total size (link probes and the way back to lossless).
        if (h.flags & protocol::kFrameMoreSlices) {
            slice_bytes_ += a.size;
        } else {
            note_arrival(h, slice_bytes_ + a.size, a.received);
            slice_bytes_ = 0;
        }
        a.frame = std::move(f);  // the payload moves to the display thread (the buffer itself does not)
        {
            std::lock_guard<std::mutex> lock(queue_mu_);
            queue_.push_back(std::move(a));
        }
        queue_cv_.notify_one();
        return true;
    }
    case protocol::VideoMessage::LinkProbeData: {
        uint64_t size = 0;
        if (!d.u64(size) || d.remaining() != size) break;
        on_probe_data(size, Clock::now());
        return true;
    }
    default:
        why = "unexpected message kind";
        return false;
    }
    why = d.error();
    return false;
}

namespace {

bool is_lossless(uint32_t codec) {
    return codec <= uint32_t(video::kLastCodecKind) && !video::is_video_codec(video::CodecKind(codec));
}

}  // namespace

void VideoChannel::note_arrival(const protocol::FrameHeader& h, size_t bytes, Clock::time_point received) {
    std::optional<uint32_t> probe;
    {
        std::lock_guard<std::mutex> lock(return_mu_);
        lossless_return_.on_frame(received, bytes, is_lossless(h.codec));
        probe = lossless_return_.probe_due(received);
    }
    if (!probe) return;
    protocol::WireEncoder e;
    e.u32(uint32_t(protocol::VideoMessage::LinkProbe));
    e.u32(*probe);
    conn_->send(transport::FrameType::Control, e.bytes());
}

void VideoChannel::on_probe_data(uint64_t bytes, Clock::time_point received) {
    std::optional<LosslessReturn::Verdict> verdict;
    {
        std::lock_guard<std::mutex> lock(return_mu_);
        verdict = lossless_return_.on_probe_data(received, bytes);
    }
    if (!verdict) return;
    if (!verdict->back_to_lossless) {
        LOG_INFO("video: codec auto: %s; staying on %s", verdict->why.c_str(), fallback_video_codec());
        return;
    }
    std::fprintf(stderr, "anarchy: codec auto: %s; back to lz4-tiles\n", verdict->why.c_str());
    back_to_lossless_ = true;  // the display thread owns the codec and the controller
}

void VideoChannel::request_keyframe(uint64_t swapchain) {
    protocol::WireEncoder e;
    e.u32(uint32_t(protocol::VideoMessage::RequestKeyframe));
    e.u64(swapchain);
    conn_->send(transport::FrameType::Control, e.bytes());
}

void VideoChannel::ensure_decoder(SwapchainState& sc, uint32_t codec_number, uint32_t width, uint32_t height) {
    const auto codec = video::CodecKind(codec_number);
    if (sc.decoder && sc.decoder->codec() == codec && sc.decoder->width() == width && sc.decoder->height() == height)
        return;
    video::DecoderSettings ds;
    ds.codec = codec;
    ds.width = width;
    ds.height = height;
    ds.prefer_hardware = prefer_hardware_decoding(std::getenv("ANARCHY_HW_DECODE"), video::usable_cpus());
    const auto opening = Clock::now();
    auto made = video::create_decoder(ds);
    if (!made.decoder) {
        LOG_ERROR("no decoder for the stream: %s", made.reason.c_str());
    } else {
        LOG_INFO("video: decoder for swapchain %llu opened in %.1f ms", (unsigned long long)sc.id,
                 micros(Clock::now() - opening) / 1e3);
        // As the server's encoder choice is shown: which decoder runs and why, never a silent fallback.
        if (video::is_video_codec(codec))
            std::fprintf(stderr, "anarchy: decoding %ux%u: %s%s\n", width, height, made.reason.c_str(),
                         ds.prefer_hardware ? "" : " (ANARCHY_HW_DECODE=1 tries hardware first)");
    }
    sc.decoder = std::move(made.decoder);
}

void VideoChannel::adapt_bitrate(Clock::time_point received, size_t bytes, const protocol::FrameHeader& h,
                                 uint32_t transfer_us) {
    if (back_to_lossless_.exchange(false)) {
        // The link carries lossless frames again (on_probe_data): the controller starts afresh with them.
        auto_codec_ = true;
        codec_ = "lz4-tiles";
        bitrate_ = BitrateController{};
        protocol::WireEncoder e;
        protocol::encode(e, protocol::CodecSwitch{codec_});
        conn_->send(transport::FrameType::Control, e.bytes());
        return;
    }
    const bool lossless = is_lossless(h.codec);
    // A lossless stream the user asked for stays lossless; only `auto` may trade it for a video codec.
    if (lossless && !auto_codec_) return;
    auto decision = bitrate_.on_frame(received, bytes, h.bitrate_kbps, transfer_us, lossless);
    if (!decision) return;
    protocol::WireEncoder e;
    if (decision->to_video) {
        const char* video = fallback_video_codec();
        if (!video) return;
        std::fprintf(stderr, "anarchy: codec auto: %s; switching to %s\n", decision->why.c_str(), video);
        auto_codec_ = false;
        codec_ = video;
        {
            std::lock_guard<std::mutex> lock(return_mu_);
            lossless_return_.on_switched_to_video(received);
        }
        protocol::encode(e, protocol::CodecSwitch{video});
    } else {
        LOG_INFO("video: bitrate %u -> %u kbit/s: %s", h.bitrate_kbps, decision->kbps, decision->why.c_str());
        protocol::encode(e, protocol::BitrateRequest{decision->kbps});
    }
    conn_->send(transport::FrameType::Control, e.bytes());
}

void VideoChannel::pace_fifo(SwapchainState& sc, wsi::WindowTarget* target) {
    // FIFO: one frame per refresh of the display the window is on, none skipped.
    const wsi::RefreshWait waited = target ? target->wait_for_refresh(kRefreshWaitLimit) : wsi::RefreshWait::NoClock;
    if (waited != sc.last_refresh_wait) {
        LOG_INFO("video: swapchain %llu FIFO pacing: %s", (unsigned long long)sc.id, wsi::refresh_wait_name(waited));
        sc.last_refresh_wait = waited;
    }
    if (waited != wsi::RefreshWait::NoClock || refresh_interval_.count() == 0) return;
    // A display without a clock (Xvfb) takes frames as they come, as it does from the local driver; a rate given
    // in ANARCHY_REFRESH_HZ stands in for the missing clock.
    auto now = Clock::now();
    if (sc.next_display > now) std::this_thread::sleep_until(sc.next_display);
    sc.next_display = std::max(now, sc.next_display) + refresh_interval_;
}

void VideoChannel::pace_metered(SwapchainState& sc, const SwapchainState::MeteredPresent& m) {
    // The k-th frame of a batch is shown k spacings after the batch's first; the first goes as it comes. A frame
    // never waits longer than a batch may last (kMaxMeteredWait), whatever went wrong with the measurement.
    if (m.position == 0 || m.spacing.count() == 0 || sc.meter_shown == Clock::time_point{}) return;
    const auto due = sc.meter_shown + m.spacing * m.position;
    const auto now = Clock::now();
    if (due > now && due - now <= kMaxMeteredWait) std::this_thread::sleep_until(due);
}

void VideoChannel::on_frame(SwapchainState& sc, const protocol::FrameHeader& h, const uint8_t* data, size_t size,
                            Clock::time_point received) {
    FrameTiming t;
    t.swapchain = h.swapchain;
    t.present_id = h.present_id;
    t.width = h.width;
    t.height = h.height;
    // The last slice of a frame completes it: the frame is all its slices (display thread state, no lock needed).
    const bool last_slice = sc.sliced.active && sc.sliced.present_id == h.present_id;
    const size_t frame_bytes = (last_slice ? sc.sliced.bytes : 0) + size;
    t.bytes = frame_bytes;
    t.keyframe = h.flags & protocol::kFrameKeyframe;
    t.dropped = h.flags & protocol::kFrameDropped;
    t.server = h.times;
    t.codec = h.codec <= uint32_t(video::kLastCodecKind) ? video::to_string(video::CodecKind(h.codec)) : "?";
    Clock::time_point presented_at = received;
    std::optional<SwapchainState::MeteredPresent> metered;  // VK_NV_present_metering
    {
        std::lock_guard<std::mutex> lock(sc.mu);
        if (auto m = sc.metered.find(h.present_id); m != sc.metered.end()) {
            metered = m->second;
            sc.metered.erase(m);
        }
        auto it = sc.present_times.find(h.present_id);
        if (it != sc.present_times.end()) {
            presented_at = it->second;
            sc.present_times.erase(it);
            // VK_NV_low_latency2's frame report: the GPU had finished this frame when the server captured it.
            if (!t.dropped) latency_frame_done_locked(sc, h.present_id, latency_us(presented_at) + h.times.render_us);
        }
    }
    const uint32_t server_sum = h.times.render_us + h.times.capture_us + h.times.convert_us + h.times.encode_us +
                                h.times.queue_us;
    const uint32_t until_received = micros(received - presented_at);
    t.transfer_us = until_received > server_sum ? until_received - server_sum : 0;
    t.last_packet_us = until_received;
    t.first_packet_us = last_slice ? micros(std::max(sc.sliced.first_received, presented_at) - presented_at)
                                   : until_received;
    t.slices = last_slice ? sc.sliced.slices + 1 : 1;
    t.bitrate_kbps = h.bitrate_kbps;
    if (!t.dropped && adaptive_bitrate_) adapt_bitrate(received, frame_bytes, h, t.transfer_us);

    bool shown = false;
    std::unique_lock<std::mutex> displaying(sc.display_mu);
    bool retired;
    {
        std::lock_guard<std::mutex> lock(sc.mu);
        retired = sc.retired;
    }
    const bool headless = retired || sc.surface->platform == SurfaceObject::Platform::Headless;
    // A headless surface has no display, so FIFO shows frames as they come, unless ANARCHY_REFRESH_HZ gives it a
    // rate to keep: then each frame waits for its refresh and its image returns after it, as from a window.
    const bool paced = !retired && (!headless || refresh_interval_.count() != 0);
    // A frame arriving in slices is abandoned when it ends dropped (the server gave up on it) or another frame's
    // picture comes before its last slice. Other presents dropped meanwhile (the session thread sends those while
    // the encoder sends slices) leave it alone.
    if (sc.sliced.active && (retired || (last_slice ? t.dropped : !t.dropped))) abandon_slices(sc);
    if (!t.dropped && !retired) {
        ensure_decoder(sc, h.codec, h.width, h.height);
        video::DecodedFrame whole;
        video::DecodedFrame& frame = last_slice && sc.sliced.frame ? *sc.sliced.frame : whole;
        if (sc.decoder) {
            // Decode straight into one of the window's buffers (its MIT-SHM segment or wl_shm pool) where the
            // target hands one out: lz4-tiles then writes each tile there with no full-frame copy in between. The
            // last slice of a frame goes where its first slices went.
            auto target = last_slice ? sc.sliced.target : headless ? nullptr : sc.surface->window_target();
            wsi::FrameBuffer window_buffer;
            bool into_window = false;
            uint64_t holds = 0;  // what the buffer holds already (video::PictureTarget::holds)
            if (last_slice) {
                into_window = sc.sliced.into_window;
                window_buffer = sc.sliced.buffer;
                holds = sc.sliced.holds;
            } else if (target) {
                into_window = take_window_buffer(sc, target, h.width, h.height, window_buffer, holds);
            }
            // A sliced frame without a window buffer finishes in the swapchain's own picture, like its first slices.
            const bool into_own = last_slice && !into_window && frame.bgra.size() == size_t(h.width) * h.height * 4;
            video::CodecStatus st =
                last_slice && sc.sliced.failed
                    ? video::CodecStatus::failure(video::CodecError::CorruptData, "an earlier slice failed")
                : into_window || into_own
                    ? sc.decoder->decode_into(data, size,
                                              picture_target(into_window, window_buffer, frame, h.width, holds), frame)
                    : sc.decoder->decode(data, size, frame);
            if (into_own && st.ok() && reuse_tiles()) sc.own_picture_holds = frame.picture;
            if (last_slice) {
                // The frame is complete (or failed at an earlier slice: st says so, and the buffer goes back
                // below with `target`, which still holds the slices' window target).
                t.decode_last_us = frame.decode_us;
                frame.decode_us += sc.sliced.decode_us;
                sc.sliced.active = false;
                sc.sliced.failed = false;
                sc.sliced.into_window = false;
                sc.sliced.target.reset();
            }
            if (!st.ok()) {
                if (into_window) target->discard_buffer(window_buffer);
                LOG_WARN("frame %llu could not be decoded (%s); asking for a key frame",
                         (unsigned long long)h.present_id, st.message().c_str());
                request_keyframe(h.swapchain);
            } else {
                t.decode_us = frame.decode_us;
                if (!last_slice) t.decode_last_us = frame.decode_us;
                if (metered) pace_metered(sc, *metered);
                if (sc.fifo() && paced) pace_fifo(sc, target.get());
                uint8_t* pixels = into_window ? window_buffer.pixels : frame.bgra.data();
                const uint32_t stride = into_window ? window_buffer.stride : frame.width * 4;
                auto start = Clock::now();
                const uint32_t since_arrival = micros(start - received);
                t.wait_us = since_arrival > t.decode_last_us ? since_arrival - t.decode_last_us : 0;
                if (!last_frame_path_.empty()) {
                    // ANARCHY_LAST_FRAME: keep the picture (before the HUD) to write when the swapchain goes.
                    sc.last_shown.resize(size_t(frame.width) * frame.height * 4);
                    for (uint32_t y = 0; y < frame.height; ++y)
                        std::memcpy(sc.last_shown.data() + size_t(y) * frame.width * 4, pixels + size_t(y) * stride,
                                    size_t(frame.width) * 4);
                    sc.last_shown_width = frame.width;
                    sc.last_shown_height = frame.height;
                }
                if (hud_ && !sc.display_times.empty()) {
                    double fps = 0;
                    if (sc.display_times.size() > 1)
                        fps = (sc.display_times.size() - 1) /
                              std::chrono::duration<double>(sc.display_times.back() - sc.display_times.front()).count();
                    char line1[96], line2[160];
                    char rate[32] = "";
                    if (h.bitrate_kbps) std::snprintf(rate, sizeof rate, "  %.1f Mbit/s", h.bitrate_kbps / 1e3);
                    std::snprintf(line1, sizeof line1, "%.1f fps  %s %ux%u  %.1f KB%s", fps, t.codec.c_str(), h.width,
                                  h.height, size / 1024.0, rate);
                    std::snprintf(line2, sizeof line2, "render %.1f cap %.1f enc %.1f net %.1f dec %.1f ms",
                                  h.times.render_us / 1e3, (h.times.capture_us + h.times.convert_us) / 1e3,
                                  h.times.encode_us / 1e3, t.transfer_us / 1e3, t.decode_us / 1e3);
                    wsi::HudOverlay hud(wsi::HudStyle{frame.width >= 1600 ? 2u : 1u});
                    hud.set_text(std::string(line1) + "\n" + line2);
                    hud.draw(pixels, frame.width, frame.height, stride);
                }
                if (target) {
                    auto r = into_window ? target->present_buffer(window_buffer)
                                         : target->present(pixels, frame.width, frame.height, stride);
                    // The buffer now holds this picture (lz4-tiles names it; other codecs leave 0: unknown).
                    if (into_window) note_held(sc, target, window_buffer, r.status == wsi::WsiStatus::Ok ? frame.picture : 0);
                    std::lock_guard<std::mutex> lock(sc.mu);
                    if (r.status == wsi::WsiStatus::SurfaceLost) sc.lost = true;
                    if (r.window_extent) sc.window_extent = VkExtent2D{r.window_extent->width, r.window_extent->height};
                }
                shown = true;
                auto end = Clock::now();
                if (metered && metered->position == 0) sc.meter_shown = end;
                t.present_us = micros(end - start);
                t.total_us = micros(end - presented_at);
                sc.display_times.push_back(end);
                while (sc.display_times.size() > 60) sc.display_times.pop_front();
            }
        }
    }
    displaying.unlock();
    if (!t.dropped) {
        // The server sends no more frames than the client can show: it counts these acknowledgements.
        protocol::WireEncoder ack;
        ack.u32(uint32_t(protocol::VideoMessage::FrameHandled));
        ack.u64(h.swapchain);
        conn_->send(transport::FrameType::Control, ack.bytes());
    }
    if (!shown) t.total_us = micros(Clock::now() - presented_at);
    if (!retired) stats_.record(t);
    PresentBarrier::instance().handled(&sc, h.present_id);
    std::lock_guard<std::mutex> lock(sc.mu);
    if (sc.presents_pending) --sc.presents_pending;
    sc.complete_presents(h.present_id);
    if (h.image_index < sc.returns_on_display.size() && sc.returns_on_display[h.image_index] && paced &&
        sc.state[h.image_index] == ImageState::Presented)
        sc.state[h.image_index] = ImageState::Free;
    sc.changed.notify_all();
}

}  // namespace anarchy::client
