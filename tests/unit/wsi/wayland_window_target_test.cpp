// The Wayland target against a private headless weston: frames on an xdg_toplevel checked in weston's own
// screenshot, a bounded buffer pool, and the program's default queue left to the program.
#include "client/wsi/wayland_window_target.h"

#include <gtest/gtest.h>

#ifdef ANARCHY_WSI_NO_XDG_SHELL

TEST(WaylandTargetTest, NeedsXdgShellAtBuildTime) {
    FAIL() << "wsi_tests were configured without wayland-scanner or wayland-protocols (xdg-shell.xml); install "
              "libwayland-bin and wayland-protocols and reconfigure to run the Wayland tests";
}

#else

#include <chrono>
#include <cstring>
#include <functional>
#include <poll.h>
#include <string>
#include <vector>

#include <wayland-client.h>

#include "display_servers.h"
#include "x11_test_support.h"  // make_pattern, count_mismatches
#include "xdg-shell-client-protocol.h"

namespace anarchy::client::wsi::test {
namespace {

constexpr int kWidth = 320;
constexpr int kHeight = 240;

// Dispatches the default queue (the program's) until `done` or the timeout; false on timeout or error.
bool dispatch_until(wl_display* d, const std::function<bool()>& done, int timeout_ms = 5000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
        if (wl_display_dispatch_pending(d) < 0) return false;
        if (done()) return true;
        if (wl_display_prepare_read(d) != 0) continue;
        wl_display_flush(d);
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            wl_display_cancel_read(d);
            return false;
        }
        pollfd p{wl_display_get_fd(d), POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            wl_display_cancel_read(d);
            continue;
        }
        if (wl_display_read_events(d) < 0) return false;
    }
    return true;
}

// What a program does before it creates a Vulkan surface: a connection and a mapped xdg_toplevel.
class WaylandProgram {
public:
    explicit WaylandProgram(const std::string& socket_path) {
        display = wl_display_connect(socket_path.c_str());
        if (!display) return;
        registry = wl_display_get_registry(display);
        static const wl_registry_listener registry_listener = {on_global, [](void*, wl_registry*, uint32_t) {}};
        wl_registry_add_listener(registry, &registry_listener, this);
        wl_display_roundtrip(display);
        if (!compositor || !wm_base) return;
        static const xdg_wm_base_listener wm_listener = {
            [](void*, xdg_wm_base* b, uint32_t serial) { xdg_wm_base_pong(b, serial); }};
        xdg_wm_base_add_listener(wm_base, &wm_listener, this);
        surface = wl_compositor_create_surface(compositor);
        xdg_surf = xdg_wm_base_get_xdg_surface(wm_base, surface);
        static const xdg_surface_listener surface_listener = {[](void* data, xdg_surface* s, uint32_t serial) {
            xdg_surface_ack_configure(s, serial);
            static_cast<WaylandProgram*>(data)->configured = true;
        }};
        xdg_surface_add_listener(xdg_surf, &surface_listener, this);
        toplevel = xdg_surface_get_toplevel(xdg_surf);
        static const xdg_toplevel_listener toplevel_listener = {
            [](void*, xdg_toplevel*, int32_t, int32_t, wl_array*) {}, [](void*, xdg_toplevel*) {}};
        xdg_toplevel_add_listener(toplevel, &toplevel_listener, this);
        xdg_toplevel_set_title(toplevel, "anarchy wsi test");
        // Fullscreen on an output of the frame's size puts the surface at the output's origin, so weston's
        // screenshot is exactly the frame.
        xdg_toplevel_set_fullscreen(toplevel, nullptr);
        wl_surface_commit(surface);
        dispatch_until(display, [this] { return configured; });
    }

    ~WaylandProgram() {
        if (toplevel) xdg_toplevel_destroy(toplevel);
        if (xdg_surf) xdg_surface_destroy(xdg_surf);
        if (surface) wl_surface_destroy(surface);
        if (wm_base) xdg_wm_base_destroy(wm_base);
        if (compositor) wl_compositor_destroy(compositor);
        if (registry) wl_registry_destroy(registry);
        if (display) wl_display_disconnect(display);
    }

    bool ok() const { return display && surface && configured && wl_display_get_error(display) == 0; }

    // Asks for a frame callback on the program's own queue; it fires once the next commit has been shown.
    void request_frame() {
        frame_done = false;
        wl_callback* cb = wl_surface_frame(surface);
        static const wl_callback_listener listener = {[](void* data, wl_callback* c, uint32_t) {
            static_cast<WaylandProgram*>(data)->frame_done = true;
            wl_callback_destroy(c);
        }};
        wl_callback_add_listener(cb, &listener, this);
    }
    bool wait_frame() { return dispatch_until(display, [this] { return frame_done; }); }

    wl_display* display = nullptr;
    wl_registry* registry = nullptr;
    wl_compositor* compositor = nullptr;
    xdg_wm_base* wm_base = nullptr;
    wl_surface* surface = nullptr;
    xdg_surface* xdg_surf = nullptr;
    xdg_toplevel* toplevel = nullptr;
    bool configured = false;
    bool frame_done = false;

private:
    static void on_global(void* data, wl_registry* r, uint32_t name, const char* iface, uint32_t version) {
        auto* self = static_cast<WaylandProgram*>(data);
        if (std::strcmp(iface, wl_compositor_interface.name) == 0)
            self->compositor = static_cast<wl_compositor*>(wl_registry_bind(r, name, &wl_compositor_interface, 4));
        else if (std::strcmp(iface, xdg_wm_base_interface.name) == 0)
            self->wm_base = static_cast<xdg_wm_base*>(wl_registry_bind(r, name, &xdg_wm_base_interface, 1));
    }
};

class WaylandTargetTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(weston.ok()) << weston.error();
        program = std::make_unique<WaylandProgram>(weston.socket_path());
        ASSERT_TRUE(program->ok()) << "could not map an xdg_toplevel on weston\n" << weston.log();
    }
    void TearDown() override {
        if (program && program->display) {
            // The program's connection survived everything the target did.
            EXPECT_EQ(wl_display_get_error(program->display), 0);
            EXPECT_GE(wl_display_roundtrip(program->display), 0);
        }
        program.reset();
    }

    // Presents through `present`, waits until weston has shown it, and compares weston's screenshot with `frame`.
    void expect_on_screen(const std::vector<uint8_t>& frame, uint32_t stride) {
        std::vector<uint8_t> shot;
        uint32_t w = 0, h = 0;
        std::string error;
        ASSERT_TRUE(take_weston_screenshot(weston, &shot, &w, &h, &error)) << error;
        ASSERT_EQ(w, uint32_t(kWidth));
        ASSERT_EQ(h, uint32_t(kHeight));
        std::string first;
        EXPECT_EQ(count_mismatches(shot, w, frame.data(), stride, kWidth, kHeight, false, &first), 0u) << first;
    }

    WestonServer weston{kWidth, kHeight};
    std::unique_ptr<WaylandProgram> program;
};

TEST_F(WaylandTargetTest, CopyAndZeroCopyFramesReachTheScreen) {
    TargetResult r = make_wayland_target(program->display, program->surface);
    ASSERT_EQ(r.status, WsiStatus::Ok) << wsi_status_name(r.status);
    WindowTarget& t = *r.target;
    EXPECT_STREQ(t.name(), "wayland wl_shm");
    EXPECT_TRUE(t.zero_copy());
    EXPECT_EQ(t.current_extent(), kUndefinedExtent);
    EXPECT_EQ(t.pixel_info().depth, 24);

    // Copy path, from a strided source.
    const uint32_t stride = kWidth * 4 + 36;
    auto frame = make_pattern(kWidth, kHeight, stride, 40);
    program->request_frame();
    PresentResult p = t.present(frame.data(), kWidth, kHeight, stride);
    ASSERT_EQ(p.status, WsiStatus::Ok) << wsi_status_name(p.status);
    EXPECT_FALSE(p.window_extent);
    ASSERT_TRUE(program->wait_frame()) << "the program's frame callback never fired";
    expect_on_screen(frame, stride);

    // Zero-copy path.
    AcquireResult a = t.acquire_buffer(kWidth, kHeight);
    ASSERT_EQ(a.status, WsiStatus::Ok);
    auto frame2 = make_pattern(kWidth, kHeight, a.buffer.stride, 41);
    std::memcpy(a.buffer.pixels, frame2.data(), frame2.size());
    program->request_frame();
    ASSERT_EQ(t.present_buffer(a.buffer).status, WsiStatus::Ok);
    ASSERT_TRUE(program->wait_frame());
    expect_on_screen(frame2, a.buffer.stride);
}

TEST_F(WaylandTargetTest, FifoWaitsForTheCompositorsFrameCallback) {
    using std::chrono::milliseconds;
    TargetResult r = make_wayland_target(program->display, program->surface);
    ASSERT_EQ(r.status, WsiStatus::Ok);
    WindowTarget& t = *r.target;
    // Nothing committed yet: nothing to wait for.
    EXPECT_EQ(t.wait_for_refresh(milliseconds(100)), RefreshWait::Refreshed);
    const auto frame = make_pattern(kWidth, kHeight, kWidth * 4, 9);
    ASSERT_TRUE(t.present(frame.data(), kWidth, kHeight, kWidth * 4).ok());
    ASSERT_EQ(t.wait_for_refresh(milliseconds(2000)), RefreshWait::Refreshed);
    const auto start = std::chrono::steady_clock::now();
    constexpr int kFrames = 10;
    for (int i = 0; i < kFrames; ++i) {
        ASSERT_TRUE(t.present(frame.data(), kWidth, kHeight, kWidth * 4).ok());
        ASSERT_EQ(t.wait_for_refresh(milliseconds(2000)), RefreshWait::Refreshed) << "frame " << i;
    }
    // Weston's headless output repaints at 60 Hz: one frame per repaint (a lower bound only, with a margin).
    EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(kFrames * 16 * 3 / 4));
    expect_on_screen(frame, kWidth * 4);
}

TEST_F(WaylandTargetTest, PoolStaysBoundedAndProgramKeepsItsEvents) {
    TargetResult r = make_wayland_target(program->display, program->surface);
    ASSERT_EQ(r.status, WsiStatus::Ok);
    std::vector<uint8_t> last;
    for (uint32_t i = 0; i < 40; ++i) {
        if (i % 2 == 0) {
            last = make_pattern(kWidth, kHeight, kWidth * 4, 50 + i);
            ASSERT_EQ(r.target->present(last.data(), kWidth, kHeight, kWidth * 4).status, WsiStatus::Ok) << i;
        } else {
            AcquireResult a = r.target->acquire_buffer(kWidth, kHeight);
            ASSERT_EQ(a.status, WsiStatus::Ok) << i;
            last = make_pattern(kWidth, kHeight, a.buffer.stride, 50 + i);
            std::memcpy(a.buffer.pixels, last.data(), last.size());
            ASSERT_EQ(r.target->present_buffer(a.buffer).status, WsiStatus::Ok) << i;
        }
        EXPECT_LE(r.target->buffer_count(), 3u);
    }
    // The last frame is the one shown; the program's own frame callback still arrives on its queue.
    program->request_frame();
    wl_surface_commit(program->surface);
    ASSERT_TRUE(program->wait_frame());
    expect_on_screen(last, kWidth * 4);
}

TEST_F(WaylandTargetTest, AllBuffersHeldIsBusyNotAGrowingQueue) {
    WaylandTargetOptions o;
    o.max_buffers = 2;
    o.release_wait_ms = 20;
    TargetResult r = make_wayland_target(program->display, program->surface, o);
    ASSERT_EQ(r.status, WsiStatus::Ok);
    AcquireResult a = r.target->acquire_buffer(kWidth, kHeight);
    AcquireResult b = r.target->acquire_buffer(kWidth, kHeight);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(r.target->acquire_buffer(kWidth, kHeight).status, WsiStatus::Busy);
    EXPECT_EQ(r.target->buffer_count(), 2u);
    r.target->discard_buffer(b.buffer);
    std::memset(a.buffer.pixels, 0x80, size_t{a.buffer.stride} * kHeight);
    EXPECT_EQ(r.target->present_buffer(a.buffer).status, WsiStatus::Ok);
    EXPECT_EQ(r.target->present_buffer(a.buffer).status, WsiStatus::InvalidArgument);  // already presented
}

TEST_F(WaylandTargetTest, AlphaBuffersAndResizedFrames) {
    WaylandTargetOptions o;
    o.use_alpha = true;
    TargetResult r = make_wayland_target(program->display, program->surface, o);
    ASSERT_EQ(r.status, WsiStatus::Ok);
    EXPECT_EQ(r.target->pixel_info().depth, 32);
    EXPECT_TRUE(r.target->pixel_info().alpha_meaningful);
    // A new size replaces buffers instead of adding more. (A fullscreen xdg_toplevel may not grow past its
    // configured size, so the sizes stay within 320x240: weston ends the connection otherwise.)
    for (uint32_t side : {100u, 200u, 240u, 64u}) {
        auto f = make_pattern(side, side, side * 4, side);
        ASSERT_EQ(r.target->present(f.data(), side, side, side * 4).status, WsiStatus::Ok);
        EXPECT_LE(r.target->buffer_count(), 3u);
    }
    EXPECT_EQ(r.target->present(nullptr, 10, 10, 40).status, WsiStatus::InvalidArgument);
    EXPECT_EQ(r.target->acquire_buffer(0, 10).status, WsiStatus::InvalidArgument);
}

TEST(WaylandTargetFactory, RefusesNullObjects) {
    EXPECT_EQ(make_wayland_target(nullptr, nullptr).status, WsiStatus::SurfaceLost);
}

}  // namespace
}  // namespace anarchy::client::wsi::test

#endif  // ANARCHY_WSI_NO_XDG_SHELL
