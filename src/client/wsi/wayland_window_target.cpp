#include "client/wsi/wayland_window_target.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <memory>
#include <poll.h>
#include <vector>

#include <wayland-client.h>

#include "client/wsi/pixel_rows.h"
#include "client/wsi/shared_memory.h"
#include "common/log.h"

namespace anarchy::client::wsi {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kMaxPoolBuffers = 3;
// Binding wl_shm at creation waits at most this long for the compositor to answer.
constexpr int kSetupTimeoutMs = 2000;
// A full socket buffer (compositor not reading) is waited on this long per flush before we call the link dead.
constexpr int kFlushTimeoutMs = 1000;

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(std::min<long long>(left, INT_MAX)) : 0;
}

class WaylandWindowTarget final : public WindowTarget {
public:
    WaylandWindowTarget(wl_display* display, const WaylandTargetOptions& options)
        : display_(display),
          use_alpha_(options.use_alpha),
          max_buffers_(std::clamp<uint32_t>(options.max_buffers, 2, kMaxPoolBuffers)),
          release_wait_ms_(static_cast<int>(std::min<uint32_t>(options.release_wait_ms, 10000))) {}

    ~WaylandWindowTarget() override {
        if (frame_cb_) wl_callback_destroy(frame_cb_);
        for (auto& b : buffers_) destroy_buffer(b);
        if (shm_) wl_shm_destroy(shm_);
        if (surface_wrapper_) wl_proxy_wrapper_destroy(surface_wrapper_);
        if (display_wrapper_) wl_proxy_wrapper_destroy(display_wrapper_);
        if (queue_) {
            // Send our destroy requests now; events still queued for the destroyed proxies are dropped with it.
            if (wl_display_get_error(display_) == 0) wl_display_flush(display_);
            wl_event_queue_destroy(queue_);
        }
    }

    // Creates the private queue and proxies and binds wl_shm. Returns the status for the factory.
    WsiStatus init(wl_surface* surface) {
        if (wl_display_get_error(display_) != 0) return WsiStatus::SurfaceLost;
        queue_ = wl_display_create_queue(display_);
        if (!queue_) return WsiStatus::OutOfMemory;
        // Wrappers send requests on the program's objects, but the objects those requests create (registry,
        // wl_shm, buffers) deliver their events to our queue, which only we dispatch.
        display_wrapper_ = static_cast<wl_display*>(wl_proxy_create_wrapper(display_));
        surface_wrapper_ = static_cast<wl_surface*>(wl_proxy_create_wrapper(surface));
        if (!display_wrapper_ || !surface_wrapper_) return WsiStatus::OutOfMemory;
        wl_proxy_set_queue(reinterpret_cast<wl_proxy*>(display_wrapper_), queue_);
        wl_proxy_set_queue(reinterpret_cast<wl_proxy*>(surface_wrapper_), queue_);
        damage_buffer_ = wl_proxy_get_version(reinterpret_cast<wl_proxy*>(surface)) >= 4;

        wl_registry* registry = wl_display_get_registry(display_wrapper_);
        if (!registry) return WsiStatus::OutOfMemory;
        static const wl_registry_listener registry_listener = {on_global, on_global_remove};
        wl_registry_add_listener(registry, &registry_listener, this);
        bool synced = roundtrip(kSetupTimeoutMs);
        wl_registry_destroy(registry);
        if (!synced) return wl_display_get_error(display_) != 0 ? WsiStatus::SurfaceLost : WsiStatus::Error;
        if (!shm_) {
            LOG_WARN("wsi: the Wayland compositor offers no wl_shm");
            return WsiStatus::Error;
        }
        return WsiStatus::Ok;
    }

    const char* name() const override { return "wayland wl_shm"; }
    PixelInfo pixel_info() const override { return PixelInfo{static_cast<uint8_t>(use_alpha_ ? 32 : 24), use_alpha_}; }
    bool zero_copy() const override { return true; }

    uint32_t buffer_count() const override {
        uint32_t n = 0;
        for (const auto& b : buffers_) n += b ? 1 : 0;
        return n;
    }

    std::optional<Extent2D> current_extent() override {
        if (wl_display_get_error(display_) != 0) return std::nullopt;
        return kUndefinedExtent;
    }

    PresentResult present(const uint8_t* bgra, uint32_t width, uint32_t height, uint32_t stride) override {
        if (!bgra || !valid_extent(width, height) || stride < width * 4u) return {WsiStatus::InvalidArgument, {}};
        AcquireResult a = acquire_buffer(width, height);
        if (!a.ok()) return {a.status, {}};
        copy_rows(a.buffer.pixels, a.buffer.stride, bgra, stride, size_t{width} * 4, height);
        if (a.buffer.slot < kMaxPoolBuffers && buffers_[a.buffer.slot]) buffers_[a.buffer.slot]->generation = ++generations_;
        return present_buffer(a.buffer);
    }

    AcquireResult acquire_buffer(uint32_t width, uint32_t height) override {
        try {
            return acquire(width, height);
        } catch (...) {
            return {WsiStatus::OutOfMemory, {}};
        }
    }

    PresentResult present_buffer(const FrameBuffer& fb) override {
        if (fb.slot >= kMaxPoolBuffers || !buffers_[fb.slot]) return {WsiStatus::InvalidArgument, {}};
        Buffer& b = *buffers_[fb.slot];
        if (!b.acquired || fb.pixels != b.memory->data() || fb.width != b.width || fb.height != b.height ||
            fb.stride != b.stride)
            return {WsiStatus::InvalidArgument, {}};
        b.acquired = false;
        if (wl_display_get_error(display_) != 0) return {WsiStatus::SurfaceLost, {}};
        wl_surface_attach(surface_wrapper_, b.buffer, 0, 0);
        if (damage_buffer_)
            wl_surface_damage_buffer(surface_wrapper_, 0, 0, static_cast<int32_t>(b.width),
                                     static_cast<int32_t>(b.height));
        else
            wl_surface_damage(surface_wrapper_, 0, 0, INT32_MAX, INT32_MAX);
        // The compositor calls this back when it is ready for the next frame: FIFO waits for it.
        if (frame_cb_) wl_callback_destroy(frame_cb_);
        frame_cb_ = wl_surface_frame(surface_wrapper_);
        if (frame_cb_) {
            static const wl_callback_listener frame_listener = {on_frame_done};
            wl_callback_add_listener(frame_cb_, &frame_listener, this);
        }
        wl_surface_commit(surface_wrapper_);
        b.busy = true;
        if (!flush()) return {WsiStatus::SurfaceLost, {}};
        return {WsiStatus::Ok, {}};
    }

    RefreshWait wait_for_refresh(std::chrono::milliseconds limit) override {
        if (wl_display_get_error(display_) != 0) return RefreshWait::Lost;
        // A compositor showing nothing of the surface (hidden, minimised) may never call back: bounded.
        const Clock::time_point deadline = Clock::now() + limit;
        while (frame_cb_) {
            const int left = remaining_ms(deadline);
            if (left == 0) return RefreshWait::TimedOut;
            if (!pump(left)) return RefreshWait::Lost;
        }
        return RefreshWait::Refreshed;
    }

    void discard_buffer(const FrameBuffer& fb) override {
        if (fb.slot < kMaxPoolBuffers && buffers_[fb.slot] && buffers_[fb.slot]->acquired &&
            buffers_[fb.slot]->memory->data() == fb.pixels)
            buffers_[fb.slot]->acquired = false;
    }

private:
    // One wl_buffer over its own memfd. The pool object is dropped right after the buffer is made: the buffer
    // keeps the memory alive on the compositor's side.
    struct Buffer {
        std::unique_ptr<SharedMemory> memory;
        wl_buffer* buffer = nullptr;
        uint32_t width = 0, height = 0, stride = 0;
        bool busy = false;      ///< attached and committed; the compositor has not released it yet
        bool acquired = false;  ///< handed out by acquire_buffer, not yet presented or discarded
        uint64_t generation = 0;  ///< FrameBuffer::generation
    };

    static void on_global(void* data, wl_registry* registry, uint32_t name, const char* interface, uint32_t) {
        auto* self = static_cast<WaylandWindowTarget*>(data);
        // Version 1 is all we need (format events, create_pool); a newer one would oblige us to use release.
        if (!self->shm_ && std::strcmp(interface, wl_shm_interface.name) == 0)
            self->shm_ = static_cast<wl_shm*>(wl_registry_bind(registry, name, &wl_shm_interface, 1));
    }
    static void on_global_remove(void*, wl_registry*, uint32_t) {}

    static void on_release(void* data, wl_buffer*) { static_cast<Buffer*>(data)->busy = false; }

    static void on_frame_done(void* data, wl_callback* cb, uint32_t) {
        auto* self = static_cast<WaylandWindowTarget*>(data);
        if (self->frame_cb_ == cb) self->frame_cb_ = nullptr;
        wl_callback_destroy(cb);
    }

    static void on_sync_done(void* data, wl_callback* cb, uint32_t) {
        *static_cast<bool*>(data) = true;
        wl_callback_destroy(cb);
    }

    static bool valid_extent(uint32_t width, uint32_t height) {
        return width > 0 && height > 0 && width <= kMaxFrameSide && height <= kMaxFrameSide;
    }

    AcquireResult acquire(uint32_t width, uint32_t height) {
        if (!valid_extent(width, height)) return {WsiStatus::InvalidArgument, {}};
        if (wl_display_get_error(display_) != 0) return {WsiStatus::SurfaceLost, {}};
        if (!pump(0)) return {WsiStatus::SurfaceLost, {}};  // collect releases that already arrived
        const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(release_wait_ms_);
        for (;;) {
            int slot = pick_slot(width, height);
            if (slot >= 0) {
                auto& b = buffers_[slot];
                if (!b || b->width != width || b->height != height) {
                    destroy_buffer(b);
                    WsiStatus st = create_buffer(b, width, height);
                    if (st != WsiStatus::Ok) return {st, {}};
                }
                b->acquired = true;
                return {WsiStatus::Ok,
                        FrameBuffer{b->memory->data(), width, height, b->stride, static_cast<uint32_t>(slot),
                                    b->generation}};
            }
            // Every buffer is with the compositor: wait for a release, but never forever and never with a
            // growing queue of frames; the caller drops this frame on Busy.
            int left = remaining_ms(deadline);
            if (left == 0) return {WsiStatus::Busy, {}};
            if (!pump(left)) return {WsiStatus::SurfaceLost, {}};
        }
    }

    // A free buffer of the right size, else a free one to resize, else an empty slot; -1 when all are busy.
    int pick_slot(uint32_t width, uint32_t height) const {
        int resize = -1, empty = -1;
        for (uint32_t i = 0; i < max_buffers_; ++i) {
            const auto& b = buffers_[i];
            if (!b) {
                if (empty < 0) empty = static_cast<int>(i);
                continue;
            }
            if (b->busy || b->acquired) continue;
            if (b->width == width && b->height == height) return static_cast<int>(i);
            if (resize < 0) resize = static_cast<int>(i);
        }
        return empty >= 0 ? empty : resize;
    }

    WsiStatus create_buffer(std::unique_ptr<Buffer>& slot, uint32_t width, uint32_t height) {
        auto b = std::make_unique<Buffer>();
        b->width = width;
        b->height = height;
        b->stride = width * 4;
        const size_t size = size_t{b->stride} * height;
        b->memory = SharedMemory::create(size, "anarchy-wl-shm");
        b->generation = ++generations_;
        if (!b->memory) return WsiStatus::OutOfMemory;
        wl_shm_pool* pool = wl_shm_create_pool(shm_, b->memory->fd(), static_cast<int32_t>(size));
        if (!pool) return WsiStatus::OutOfMemory;
        b->buffer = wl_shm_pool_create_buffer(pool, 0, static_cast<int32_t>(width), static_cast<int32_t>(height),
                                              static_cast<int32_t>(b->stride),
                                              use_alpha_ ? WL_SHM_FORMAT_ARGB8888 : WL_SHM_FORMAT_XRGB8888);
        wl_shm_pool_destroy(pool);
        if (!b->buffer) return WsiStatus::OutOfMemory;
        static const wl_buffer_listener buffer_listener = {on_release};
        wl_buffer_add_listener(b->buffer, &buffer_listener, b.get());
        slot = std::move(b);
        return WsiStatus::Ok;
    }

    static void destroy_buffer(std::unique_ptr<Buffer>& b) {
        if (!b) return;
        if (b->buffer) wl_buffer_destroy(b->buffer);
        b.reset();
    }

    // Sends everything buffered; waits (bounded) while the socket is full. False if the connection failed.
    bool flush() {
        const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(kFlushTimeoutMs);
        for (;;) {
            if (wl_display_flush(display_) >= 0) return true;
            if (errno != EAGAIN) return false;
            pollfd pfd{wl_display_get_fd(display_), POLLOUT, 0};
            int left = remaining_ms(deadline);
            if (left == 0) return false;
            if (poll(&pfd, 1, left) < 0 && errno != EINTR) return false;
        }
    }

    // Reads what has arrived on the socket (waiting up to timeout_ms for something) and dispatches our queue.
    // Uses prepare_read/read_events, so it coexists with the program's threads reading the same display.
    // False only if the connection failed.
    bool pump(int timeout_ms) {
        if (wl_display_prepare_read_queue(display_, queue_) != 0)
            return wl_display_dispatch_queue_pending(display_, queue_) >= 0;
        if (!flush()) {
            wl_display_cancel_read(display_);
            return false;
        }
        pollfd pfd{wl_display_get_fd(display_), POLLIN, 0};
        int r = poll(&pfd, 1, timeout_ms);
        if (r <= 0) {
            const bool interrupted = r < 0 && errno == EINTR;
            wl_display_cancel_read(display_);
            return r == 0 || interrupted;
        }
        if (wl_display_read_events(display_) < 0) return false;
        return wl_display_dispatch_queue_pending(display_, queue_) >= 0;
    }

    // wl_display.sync on our queue; true once the compositor has answered everything sent before.
    bool roundtrip(int timeout_ms) {
        bool done = false;
        wl_callback* cb = wl_display_sync(display_wrapper_);
        if (!cb) return false;
        static const wl_callback_listener sync_listener = {on_sync_done};
        wl_callback_add_listener(cb, &sync_listener, &done);
        const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
        while (!done) {
            int left = remaining_ms(deadline);
            if (left == 0 || !pump(left)) break;
        }
        if (!done) wl_callback_destroy(cb);
        return done;
    }

    wl_display* const display_;
    const bool use_alpha_;
    const uint32_t max_buffers_;
    const int release_wait_ms_;
    wl_event_queue* queue_ = nullptr;        ///< our private queue: registry, wl_shm, buffer releases
    wl_display* display_wrapper_ = nullptr;  ///< the program's display, creating objects on queue_
    wl_surface* surface_wrapper_ = nullptr;  ///< the program's surface, for attach/damage/commit
    wl_shm* shm_ = nullptr;
    bool damage_buffer_ = false;  ///< surface version >= 4: damage in buffer coordinates
    wl_callback* frame_cb_ = nullptr;  ///< frame callback of the last commit, until the compositor calls it
    std::unique_ptr<Buffer> buffers_[kMaxPoolBuffers];
    uint64_t generations_ = 0;  ///< the last FrameBuffer::generation handed out
};

}  // namespace

TargetResult make_wayland_target(wl_display* display, wl_surface* surface, const WaylandTargetOptions& options) {
    try {
        if (!display || !surface) return {WsiStatus::SurfaceLost, nullptr};
        auto target = std::make_unique<WaylandWindowTarget>(display, options);
        WsiStatus st = target->init(surface);
        if (st != WsiStatus::Ok) return {st, nullptr};
        return {WsiStatus::Ok, std::move(target)};
    } catch (...) {
        return {WsiStatus::OutOfMemory, nullptr};
    }
}

}  // namespace anarchy::client::wsi
