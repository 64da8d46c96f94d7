#include "client/wsi/xcb_window_target.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <sys/socket.h>
#include <vector>

#include <xcb/shm.h>

#include "client/wsi/pixel_rows.h"
#include "client/wsi/x11_error.h"
#include "client/wsi/x11_present_clock.h"
#include "client/wsi/x11_surface_queries.h"
#include "client/wsi/xcb_shm_segment.h"
#include "common/log.h"

namespace anarchy::client::wsi {
namespace {

// PutImage's fixed part is 24 bytes; a little more keeps us clear of the limit with BIG-REQUESTS' longer header.
constexpr uint32_t kPutImageHeaderBytes = 32;
// Two buffers let the caller decode the next frame while the previous one is being presented from another thread.
constexpr size_t kSlots = 2;

bool env_disables_shm() {
    const char* v = std::getenv("ANARCHY_WSI_NO_SHM");
    return v && *v && std::strcmp(v, "0") != 0;
}

// MIT-SHM only works when the server can map our memory: a Unix-domain socket to a local server. Over TCP the
// extension may still be advertised, but attaching would fail (SysV) or break the connection (fd passing).
bool connection_is_local(xcb_connection_t* conn) {
    int fd = xcb_get_file_descriptor(conn);
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return false;
    return addr.ss_family == AF_UNIX;
}

struct ShmSupport {
    bool usable = false;
    bool fd_passing = false;
};

ShmSupport probe_shm(xcb_connection_t* conn) {
    ShmSupport s;
    const xcb_query_extension_reply_t* ext = xcb_get_extension_data(conn, &xcb_shm_id);
    if (!ext || !ext->present) return s;
    if (!connection_is_local(conn)) return s;
    xcb_generic_error_t* err = nullptr;
    xcb_shm_query_version_reply_t* v = xcb_shm_query_version_reply(conn, xcb_shm_query_version(conn), &err);
    if (err) {
        consume_x_error(err, "ShmQueryVersion");
        std::free(v);
        return s;
    }
    if (!v) return s;
    s.usable = true;
    s.fd_passing = v->major_version > 1 || (v->major_version == 1 && v->minor_version >= 2);
    std::free(v);
    return s;
}

class XcbWindowTarget final : public WindowTarget {
public:
    XcbWindowTarget(xcb_connection_t* conn, xcb_window_t window, xcb_gcontext_t gc, PixelInfo pixels,
                    bool swap_bytes, ShmSupport shm, bool allow_fd, uint32_t max_put_bytes,
                    std::unique_ptr<X11PresentClock> clock)
        : conn_(conn),
          window_(window),
          gc_(gc),
          pixels_(pixels),
          swap_bytes_(swap_bytes),
          shm_(shm.usable),
          transport_(shm.fd_passing && allow_fd ? ShmTransport::Fd : ShmTransport::SysV),
          max_put_bytes_(max_put_bytes),
          clock_(std::move(clock)) {}

    ~XcbWindowTarget() override {
        clock_.reset();
        for (Slot& s : slots_) s.segment.reset();
        if (!xcb_connection_has_error(conn_)) {
            xcb_void_cookie_t c = xcb_free_gc_checked(conn_, gc_);
            xcb_discard_reply(conn_, c.sequence);
            xcb_flush(conn_);
        }
    }

    const char* name() const override {
        if (!shm_) return "xcb (no MIT-SHM)";
        return transport_ == ShmTransport::Fd ? "xcb+MIT-SHM" : "xcb+MIT-SHM (SysV)";
    }

    PixelInfo pixel_info() const override { return pixels_; }
    bool zero_copy() const override { return shm_; }

    uint32_t buffer_count() const override {
        uint32_t n = 0;
        for (const Slot& s : slots_) n += (s.segment || s.heap) ? 1 : 0;
        return n;
    }

    std::optional<Extent2D> current_extent() override {
        if (xcb_connection_has_error(conn_)) return std::nullopt;
        xcb_generic_error_t* err = nullptr;
        xcb_get_geometry_reply_t* geo = xcb_get_geometry_reply(conn_, xcb_get_geometry(conn_, window_), &err);
        consume_x_error(err, "GetGeometry");
        if (!geo) return std::nullopt;
        Extent2D e{geo->width, geo->height};
        std::free(geo);
        return e;
    }

    // The public operations only wrap the real work: nothing may throw into the program (only bad_alloc can).
    PresentResult present(const uint8_t* bgra, uint32_t width, uint32_t height, uint32_t stride) override {
        try {
            return present_copy(bgra, width, height, stride);
        } catch (...) {
            return {WsiStatus::OutOfMemory, {}};
        }
    }

    AcquireResult acquire_buffer(uint32_t width, uint32_t height) override {
        try {
            return acquire(width, height);
        } catch (...) {
            return {WsiStatus::OutOfMemory, {}};
        }
    }

    PresentResult present_buffer(const FrameBuffer& buffer) override {
        try {
            return present_acquired(buffer);
        } catch (...) {
            return {WsiStatus::OutOfMemory, {}};
        }
    }

    RefreshWait wait_for_refresh(std::chrono::milliseconds limit) override {
        if (!clock_) return RefreshWait::NoClock;
        return clock_->wait_next(limit);
    }

    void discard_buffer(const FrameBuffer& buffer) override {
        if (buffer.slot < kSlots && slots_[buffer.slot].acquired && slots_[buffer.slot].buffer.pixels == buffer.pixels)
            slots_[buffer.slot].acquired = false;
    }

private:
    // A frame buffer: an attached MIT-SHM segment, or private memory when MIT-SHM is off.
    struct Slot {
        std::unique_ptr<XcbShmSegment> segment;
        uint64_t generation = 0;  ///< FrameBuffer::generation
        std::unique_ptr<uint8_t[]> heap;
        size_t heap_size = 0;
        bool acquired = false;  ///< handed out by acquire_buffer and not yet presented or discarded
        FrameBuffer buffer;     ///< valid while acquired
        uint8_t* pixels() const { return segment ? segment->data() : heap.get(); }
    };

    PresentResult present_copy(const uint8_t* bgra, uint32_t width, uint32_t height, uint32_t stride) {
        if (!bgra || !valid_extent(width, height) || stride < width * 4u) return {WsiStatus::InvalidArgument, {}};
        if (xcb_connection_has_error(conn_)) return {WsiStatus::SurfaceLost, {}};
        // The copy borrows a free slot's segment; with both slots held by the caller, or MIT-SHM given up, the
        // frame goes through the request stream instead.
        for (Slot& s : slots_) {
            if (!shm_) break;
            if (s.acquired) continue;
            WsiStatus st = ensure_capacity(s, size_t{width} * height * 4);
            if (st == WsiStatus::SurfaceLost) return {st, {}};
            if (st != WsiStatus::Ok || !shm_ || !s.segment) break;
            copy_rows(s.segment->data(), size_t{width} * 4, bgra, stride, size_t{width} * 4, height);
            s.generation = ++generations_;
            return put_shm(*s.segment, width, height, width * 4);
        }
        return put_chunks(bgra, width, height, stride);
    }

    AcquireResult acquire(uint32_t width, uint32_t height) {
        if (!valid_extent(width, height)) return {WsiStatus::InvalidArgument, {}};
        if (xcb_connection_has_error(conn_)) return {WsiStatus::SurfaceLost, {}};
        for (uint32_t i = 0; i < kSlots; ++i) {
            Slot& s = slots_[i];
            if (s.acquired) continue;
            WsiStatus st = ensure_capacity(s, size_t{width} * height * 4);
            if (st != WsiStatus::Ok) return {st, {}};
            s.acquired = true;
            s.buffer = FrameBuffer{s.pixels(), width, height, width * 4, i, s.generation};
            return {WsiStatus::Ok, s.buffer};
        }
        // Presents complete before they return, so a slot is only busy while the caller holds it.
        return {WsiStatus::Busy, {}};
    }

    PresentResult present_acquired(const FrameBuffer& buffer) {
        if (buffer.slot >= kSlots) return {WsiStatus::InvalidArgument, {}};
        Slot& s = slots_[buffer.slot];
        if (!s.acquired || buffer.pixels != s.buffer.pixels || buffer.width != s.buffer.width ||
            buffer.height != s.buffer.height || buffer.stride != s.buffer.stride)
            return {WsiStatus::InvalidArgument, {}};
        s.acquired = false;
        if (xcb_connection_has_error(conn_)) return {WsiStatus::SurfaceLost, {}};
        if (shm_ && s.segment) return put_shm(*s.segment, buffer.width, buffer.height, buffer.stride);
        return put_chunks(buffer.pixels, buffer.width, buffer.height, buffer.stride);
    }

    static bool valid_extent(uint32_t width, uint32_t height) {
        return width > 0 && height > 0 && width <= kMaxFrameSide && height <= kMaxFrameSide;
    }

    // Gives the slot at least `bytes` of memory: a new segment while MIT-SHM works, private memory otherwise.
    WsiStatus ensure_capacity(Slot& s, size_t bytes) {
        if (shm_) {
            if (s.segment && s.segment->size() >= bytes) return WsiStatus::Ok;
            s.generation = ++generations_;
            s.segment.reset();
            WsiStatus status;
            s.segment = XcbShmSegment::create(conn_, bytes, transport_, &status);
            if (s.segment) return WsiStatus::Ok;
            if (status == WsiStatus::SurfaceLost) return status;
            give_up_shm("attaching a segment failed");
        }
        if (s.segment && s.segment->size() >= bytes) return WsiStatus::Ok;  // kept from before MIT-SHM was given up
        if (s.segment || !s.heap || s.heap_size < bytes) s.generation = ++generations_;
        s.segment.reset();
        if (s.heap && s.heap_size >= bytes) return WsiStatus::Ok;
        s.heap.reset(new (std::nothrow) uint8_t[bytes]);
        s.heap_size = s.heap ? bytes : 0;
        return s.heap ? WsiStatus::Ok : WsiStatus::OutOfMemory;
    }

    void give_up_shm(const char* why) {
        if (!shm_) return;
        LOG_WARN("wsi: MIT-SHM unusable (%s); presenting through PutImage", why);
        shm_ = false;
    }

    PresentResult put_shm(const XcbShmSegment& seg, uint32_t width, uint32_t height, uint32_t stride) {
        xcb_void_cookie_t c = xcb_shm_put_image_checked(
            conn_, window_, gc_, static_cast<uint16_t>(stride / 4), static_cast<uint16_t>(height), 0, 0,
            static_cast<uint16_t>(width), static_cast<uint16_t>(height), 0, 0, pixels_.depth,
            XCB_IMAGE_FORMAT_Z_PIXMAP, 0, seg.id(), 0);
        cookies_.assign(1, c);
        PresentResult r = finish("ShmPutImage");
        if (r.status == WsiStatus::Error && r.window_extent) {
            // The window is fine but the server refused the shared image: show this frame the other way and
            // stay on that path.
            give_up_shm("ShmPutImage refused");
            return put_chunks(seg.data(), width, height, stride);
        }
        return r;
    }

    // PutImage in bands of whole rows, each under the maximum request length. Tightly packed rows in the server's
    // byte order are sent straight from the caller's memory; anything else is repacked one band at a time.
    PresentResult put_chunks(const uint8_t* src, uint32_t width, uint32_t height, uint32_t stride) {
        const size_t row_bytes = size_t{width} * 4;
        uint64_t limit = uint64_t{xcb_get_maximum_request_length(conn_)} * 4;
        if (max_put_bytes_ != 0) limit = std::min<uint64_t>(limit, max_put_bytes_);
        if (limit < kPutImageHeaderBytes + row_bytes) {
            LOG_WARN("wsi: a %u-pixel row does not fit in one X request", width);
            return {WsiStatus::InvalidArgument, {}};
        }
        const uint32_t band_rows =
            static_cast<uint32_t>(std::min<uint64_t>((limit - kPutImageHeaderBytes) / row_bytes, height));
        const bool repack = swap_bytes_ || stride != row_bytes;
        if (repack && staging_.size() < row_bytes * band_rows) staging_.resize(row_bytes * band_rows);
        cookies_.clear();
        for (uint32_t y = 0; y < height; y += band_rows) {
            const uint32_t rows = std::min(band_rows, height - y);
            const uint8_t* band = src + size_t{y} * stride;
            if (repack) {
                if (swap_bytes_)
                    copy_rows_swapped(staging_.data(), row_bytes, band, stride, row_bytes, rows);
                else
                    copy_rows(staging_.data(), row_bytes, band, stride, row_bytes, rows);
                band = staging_.data();
            }
            cookies_.push_back(xcb_put_image_checked(conn_, XCB_IMAGE_FORMAT_Z_PIXMAP, window_, gc_,
                                                     static_cast<uint16_t>(width), static_cast<uint16_t>(rows), 0,
                                                     static_cast<int16_t>(y), 0, pixels_.depth,
                                                     static_cast<uint32_t>(row_bytes * rows), band));
        }
        return finish("PutImage");
    }

    // Ends a present with one round trip: a GetGeometry after the drawing requests. Its reply means the server
    // has executed them (so the segment may be written again and their errors are known without another wait)
    // and tells the caller the window's size for SUBOPTIMAL/OUT_OF_DATE.
    PresentResult finish(const char* what) {
        PresentResult r;
        auto geo_cookie = xcb_get_geometry(conn_, window_);
        xcb_flush(conn_);
        xcb_generic_error_t* err = nullptr;
        xcb_get_geometry_reply_t* geo = xcb_get_geometry_reply(conn_, geo_cookie, &err);
        WsiStatus geo_status = consume_x_error(err, "GetGeometry");
        if (geo) {
            r.window_extent = Extent2D{geo->width, geo->height};
            std::free(geo);
        }
        for (xcb_void_cookie_t c : cookies_) {
            WsiStatus s = check_x_request(conn_, c, what);
            if (r.status == WsiStatus::Ok) r.status = s;
        }
        cookies_.clear();
        if (r.status == WsiStatus::Ok && geo_status != WsiStatus::Ok) r.status = geo_status;
        if (xcb_connection_has_error(conn_)) r.status = WsiStatus::SurfaceLost;
        if (r.status == WsiStatus::SurfaceLost) r.window_extent.reset();
        return r;
    }

    xcb_connection_t* const conn_;
    const xcb_window_t window_;
    const xcb_gcontext_t gc_;
    const PixelInfo pixels_;
    const bool swap_bytes_;  ///< the server's image byte order is MSBFirst: pixels go as A,R,G,B
    std::atomic<bool> shm_;  ///< MIT-SHM in use; turned off for good if the server refuses a segment (read by name())
    const ShmTransport transport_;
    const uint32_t max_put_bytes_;
    std::array<Slot, kSlots> slots_;
    uint64_t generations_ = 0;  ///< the last FrameBuffer::generation handed out
    std::vector<uint8_t> staging_;          ///< one band of repacked rows (fallback path)
    std::vector<xcb_void_cookie_t> cookies_;  ///< drawing requests of the present in progress
    std::unique_ptr<X11PresentClock> clock_;  ///< the display's refresh clock, if it has one worth following
};

}  // namespace

TargetResult make_xcb_target(xcb_connection_t* conn, xcb_window_t window, const XcbTargetOptions& options) {
    try {
        if (!conn || xcb_connection_has_error(conn)) return {WsiStatus::SurfaceLost, nullptr};
        std::optional<X11WindowInfo> info = query_x11_window(conn, window);
        if (!info) return {WsiStatus::SurfaceLost, nullptr};
        if (!info->visual_supported) {
            LOG_WARN("wsi: window 0x%x has an unsupported visual 0x%x (depth %u)", window, info->visual,
                     info->pixels.depth);
            return {WsiStatus::Error, nullptr};
        }
        xcb_gcontext_t gc = xcb_generate_id(conn);
        const uint32_t gc_values[] = {0};  // no GraphicsExpose events on the program's queue
        WsiStatus st = check_x_request(
            conn, xcb_create_gc_checked(conn, gc, window, XCB_GC_GRAPHICS_EXPOSURES, gc_values), "CreateGC");
        if (st != WsiStatus::Ok) return {st, nullptr};

        const bool swap = xcb_get_setup(conn)->image_byte_order == XCB_IMAGE_ORDER_MSB_FIRST;
        ShmSupport shm;
        // A server of the other byte order is never local; MIT-SHM would need a swap pass anyway.
        if (options.allow_shm && !env_disables_shm() && !swap) shm = probe_shm(conn);
        auto clock = X11PresentClock::open(conn, window, info->root);
        const bool paced = clock != nullptr;
        auto target = std::make_unique<XcbWindowTarget>(conn, window, gc, info->pixels, swap, shm,
                                                        options.allow_fd_passing, options.max_request_bytes,
                                                        std::move(clock));
        LOG_DEBUG("wsi", "window 0x%x (%ux%u, depth %u): %s, FIFO %s", window, info->extent.width,
                  info->extent.height, info->pixels.depth, target->name(),
                  paced ? "paced by the Present MSC" : "unpaced (no display clock)");
        return {WsiStatus::Ok, std::move(target)};
    } catch (const std::bad_alloc&) {
        return {WsiStatus::OutOfMemory, nullptr};
    } catch (...) {
        return {WsiStatus::Error, nullptr};
    }
}

}  // namespace anarchy::client::wsi
