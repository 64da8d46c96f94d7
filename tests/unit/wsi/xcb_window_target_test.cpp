// The xcb target against a private Xvfb: frames read back byte for byte through every path (MIT-SHM with memfds,
// MIT-SHM with SysV segments, PutImage), resizes, clipping, vanished windows and depth-32 windows.
#include "client/wsi/xcb_window_target.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "client/wsi/x11_present_clock.h"
#include "x11_test_support.h"

namespace anarchy::client::wsi::test {
namespace {

enum class Path { ShmFd, ShmSysV, PutImage, PutImageSmallRequests };

XcbTargetOptions options_for(Path p) {
    XcbTargetOptions o;
    o.allow_shm = p == Path::ShmFd || p == Path::ShmSysV;
    o.allow_fd_passing = p == Path::ShmFd;
    // 16 KiB per request: a 320-pixel frame goes out in bands of 12 rows.
    if (p == Path::PutImageSmallRequests) o.max_request_bytes = 16 * 1024;
    return o;
}

const char* expected_name(Path p) {
    switch (p) {
        case Path::ShmFd: return "xcb+MIT-SHM";
        case Path::ShmSysV: return "xcb+MIT-SHM (SysV)";
        default: return "xcb (no MIT-SHM)";
    }
}

std::string path_name(const ::testing::TestParamInfo<Path>& info) {
    switch (info.param) {
        case Path::ShmFd: return "ShmFd";
        case Path::ShmSysV: return "ShmSysV";
        case Path::PutImage: return "PutImage";
        case Path::PutImageSmallRequests: return "PutImageSmallRequests";
    }
    return "unknown";
}

class XcbTargetTest : public ::testing::TestWithParam<Path> {
protected:
    void SetUp() override { ASSERT_TRUE(x.ok()); }

    std::unique_ptr<WindowTarget> make(xcb_window_t window) {
        TargetResult r = make_xcb_target(x.get(), window, options_for(GetParam()));
        EXPECT_EQ(r.status, WsiStatus::Ok) << wsi_status_name(r.status);
        return std::move(r.target);
    }

    // Nothing we did may have put an error or event on the program's queue.
    void TearDown() override {
        if (x.ok()) {
            x.sync();
            EXPECT_TRUE(x.drain_queue_response_types().empty()) << "X errors or events reached the program's queue";
        }
    }

    XcbConnection x;
};

TEST_P(XcbTargetTest, CopyPathShowsFrameExactly) {
    TestWindow w(x, 320, 240);
    auto t = make(w.id());
    ASSERT_TRUE(t);
    EXPECT_STREQ(t->name(), expected_name(GetParam()));
    EXPECT_EQ(t->zero_copy(), GetParam() == Path::ShmFd || GetParam() == Path::ShmSysV);
    EXPECT_EQ(t->pixel_info().depth, 24);
    EXPECT_FALSE(t->pixel_info().alpha_meaningful);

    auto frame = make_pattern(320, 240, 320 * 4, 1);
    PresentResult r = t->present(frame.data(), 320, 240, 320 * 4);
    ASSERT_EQ(r.status, WsiStatus::Ok) << wsi_status_name(r.status);
    ASSERT_TRUE(r.window_extent);
    EXPECT_EQ(*r.window_extent, (Extent2D{320, 240}));

    auto shown = read_window(x.get(), w.id(), 320, 240);
    ASSERT_EQ(shown.size(), 320u * 240 * 4);
    std::string first;
    EXPECT_EQ(count_mismatches(shown, 320, frame.data(), 320 * 4, 320, 240, false, &first), 0u) << first;
}

TEST_P(XcbTargetTest, ZeroCopyPathShowsFrameExactly) {
    TestWindow w(x, 320, 240);
    auto t = make(w.id());
    ASSERT_TRUE(t);
    for (uint32_t seed = 2; seed < 5; ++seed) {  // reuses the buffers
        AcquireResult a = t->acquire_buffer(320, 240);
        ASSERT_EQ(a.status, WsiStatus::Ok);
        ASSERT_NE(a.buffer.pixels, nullptr);
        ASSERT_GE(a.buffer.stride, 320u * 4);
        auto frame = make_pattern(320, 240, a.buffer.stride, seed);
        std::memcpy(a.buffer.pixels, frame.data(), frame.size());  // stands in for the decoder
        PresentResult r = t->present_buffer(a.buffer);
        ASSERT_EQ(r.status, WsiStatus::Ok) << wsi_status_name(r.status);
        auto shown = read_window(x.get(), w.id(), 320, 240);
        ASSERT_EQ(shown.size(), 320u * 240 * 4);
        std::string first;
        EXPECT_EQ(count_mismatches(shown, 320, frame.data(), a.buffer.stride, 320, 240, false, &first), 0u)
            << "seed " << seed << ": " << first;
    }
    EXPECT_LE(t->buffer_count(), 2u);
}

TEST_P(XcbTargetTest, StridedSourceIsRepacked) {
    TestWindow w(x, 320, 240);
    auto t = make(w.id());
    ASSERT_TRUE(t);
    const uint32_t stride = 320 * 4 + 68;  // padding that must not show up
    auto frame = make_pattern(320, 240, stride, 7);
    ASSERT_EQ(t->present(frame.data(), 320, 240, stride).status, WsiStatus::Ok);
    auto shown = read_window(x.get(), w.id(), 320, 240);
    ASSERT_EQ(shown.size(), 320u * 240 * 4);
    std::string first;
    EXPECT_EQ(count_mismatches(shown, 320, frame.data(), stride, 320, 240, false, &first), 0u) << first;
}

TEST_P(XcbTargetTest, ExtentFollowsResize) {
    TestWindow w(x, 320, 240);
    auto t = make(w.id());
    ASSERT_TRUE(t);
    EXPECT_EQ(t->current_extent(), (Extent2D{320, 240}));
    w.resize(400, 300);
    EXPECT_EQ(t->current_extent(), (Extent2D{400, 300}));
    // The present after a resize still draws and reports the new size (for SUBOPTIMAL / OUT_OF_DATE).
    auto frame = make_pattern(320, 240, 320 * 4, 3);
    PresentResult r = t->present(frame.data(), 320, 240, 320 * 4);
    ASSERT_EQ(r.status, WsiStatus::Ok);
    EXPECT_EQ(r.window_extent, (Extent2D{400, 300}));
    w.resize(200, 100);
    EXPECT_EQ(t->current_extent(), (Extent2D{200, 100}));
    auto frame2 = make_pattern(200, 100, 200 * 4, 4);
    r = t->present(frame2.data(), 200, 100, 200 * 4);
    ASSERT_EQ(r.status, WsiStatus::Ok);
    EXPECT_EQ(r.window_extent, (Extent2D{200, 100}));
    auto shown = read_window(x.get(), w.id(), 200, 100);
    ASSERT_EQ(shown.size(), 200u * 100 * 4);
    EXPECT_EQ(count_mismatches(shown, 200, frame2.data(), 200 * 4, 200, 100, false), 0u);
}

TEST_P(XcbTargetTest, LargerFrameIsClipped) {
    TestWindow w(x, 320, 240);
    auto t = make(w.id());
    ASSERT_TRUE(t);
    auto frame = make_pattern(640, 480, 640 * 4, 5);
    PresentResult r = t->present(frame.data(), 640, 480, 640 * 4);
    ASSERT_EQ(r.status, WsiStatus::Ok);
    auto shown = read_window(x.get(), w.id(), 320, 240);
    ASSERT_EQ(shown.size(), 320u * 240 * 4);
    std::string first;
    EXPECT_EQ(count_mismatches(shown, 320, frame.data(), 640 * 4, 320, 240, false, &first), 0u) << first;

    // The same through the zero-copy path.
    AcquireResult a = t->acquire_buffer(640, 480);
    ASSERT_EQ(a.status, WsiStatus::Ok);
    auto frame2 = make_pattern(640, 480, a.buffer.stride, 6);
    std::memcpy(a.buffer.pixels, frame2.data(), frame2.size());
    ASSERT_EQ(t->present_buffer(a.buffer).status, WsiStatus::Ok);
    shown = read_window(x.get(), w.id(), 320, 240);
    EXPECT_EQ(count_mismatches(shown, 320, frame2.data(), a.buffer.stride, 320, 240, false, &first), 0u) << first;
}

TEST_P(XcbTargetTest, SmallerFrameLeavesTheRestAsItWas) {
    TestWindow w(x, 320, 240);
    auto t = make(w.id());
    ASSERT_TRUE(t);
    auto full = make_pattern(320, 240, 320 * 4, 8);
    ASSERT_EQ(t->present(full.data(), 320, 240, 320 * 4).status, WsiStatus::Ok);
    auto small = make_pattern(100, 80, 100 * 4, 9);
    ASSERT_EQ(t->present(small.data(), 100, 80, 100 * 4).status, WsiStatus::Ok);

    auto shown = read_window(x.get(), w.id(), 320, 240);
    ASSERT_EQ(shown.size(), 320u * 240 * 4);
    // Top-left 100x80 is the small frame...
    EXPECT_EQ(count_mismatches(shown, 320, small.data(), 100 * 4, 100, 80, false), 0u);
    // ...and everything else still the full one.
    auto expected = full;
    for (uint32_t y = 0; y < 80; ++y) std::memcpy(&expected[y * 320 * 4], &small[y * 100 * 4], 100 * 4);
    EXPECT_EQ(count_mismatches(shown, 320, expected.data(), 320 * 4, 320, 240, false), 0u);
}

TEST_P(XcbTargetTest, DestroyedWindowIsSurfaceLostAndProgramContinues) {
    auto w = std::make_unique<TestWindow>(x, 320, 240);
    auto t = make(w->id());
    ASSERT_TRUE(t);
    auto frame = make_pattern(320, 240, 320 * 4, 10);
    ASSERT_EQ(t->present(frame.data(), 320, 240, 320 * 4).status, WsiStatus::Ok);
    AcquireResult held = t->acquire_buffer(320, 240);  // a buffer the caller holds across the loss
    ASSERT_EQ(held.status, WsiStatus::Ok);

    w->destroy();
    PresentResult r = t->present(frame.data(), 320, 240, 320 * 4);
    EXPECT_EQ(r.status, WsiStatus::SurfaceLost) << wsi_status_name(r.status);
    EXPECT_FALSE(r.window_extent);
    EXPECT_EQ(t->current_extent(), std::nullopt);
    EXPECT_EQ(t->present_buffer(held.buffer).status, WsiStatus::SurfaceLost);
    AcquireResult a = t->acquire_buffer(320, 240);
    if (a.ok()) {
        EXPECT_EQ(t->present_buffer(a.buffer).status, WsiStatus::SurfaceLost);
    }
    t.reset();  // tearing down after the loss must not raise errors either

    // The program's connection is intact and usable for a new window and target.
    EXPECT_EQ(xcb_connection_has_error(x.get()), 0);
    TestWindow w2(x, 320, 240);
    auto t2 = make(w2.id());
    ASSERT_TRUE(t2);
    EXPECT_EQ(t2->present(frame.data(), 320, 240, 320 * 4).status, WsiStatus::Ok);
}

TEST_P(XcbTargetTest, BufferPoolIsBounded) {
    TestWindow w(x, 320, 240);
    auto t = make(w.id());
    ASSERT_TRUE(t);
    AcquireResult a = t->acquire_buffer(320, 240);
    AcquireResult b = t->acquire_buffer(320, 240);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    EXPECT_NE(a.buffer.pixels, b.buffer.pixels);
    EXPECT_EQ(t->acquire_buffer(320, 240).status, WsiStatus::Busy);
    // With both buffers held, a copy present still goes through.
    auto frame = make_pattern(320, 240, 320 * 4, 11);
    EXPECT_EQ(t->present(frame.data(), 320, 240, 320 * 4).status, WsiStatus::Ok);
    t->discard_buffer(a.buffer);
    EXPECT_EQ(t->present_buffer(a.buffer).status, WsiStatus::InvalidArgument);  // no longer held
    AcquireResult c = t->acquire_buffer(320, 240);
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(t->buffer_count(), 2u);
    t->discard_buffer(b.buffer);
    t->discard_buffer(c.buffer);
}

TEST_P(XcbTargetTest, RejectsBadArguments) {
    TestWindow w(x, 320, 240);
    auto t = make(w.id());
    ASSERT_TRUE(t);
    auto frame = make_pattern(320, 240, 320 * 4, 12);
    EXPECT_EQ(t->present(nullptr, 320, 240, 320 * 4).status, WsiStatus::InvalidArgument);
    EXPECT_EQ(t->present(frame.data(), 0, 240, 320 * 4).status, WsiStatus::InvalidArgument);
    EXPECT_EQ(t->present(frame.data(), 320, 240, 100).status, WsiStatus::InvalidArgument);
    EXPECT_EQ(t->present(frame.data(), 1u << 20, 1, 1u << 22).status, WsiStatus::InvalidArgument);
    EXPECT_EQ(t->acquire_buffer(0, 0).status, WsiStatus::InvalidArgument);
    FrameBuffer bogus{frame.data(), 320, 240, 320 * 4, 7};
    EXPECT_EQ(t->present_buffer(bogus).status, WsiStatus::InvalidArgument);
    t->discard_buffer(bogus);  // ignored
}

INSTANTIATE_TEST_SUITE_P(Paths, XcbTargetTest,
                         ::testing::Values(Path::ShmFd, Path::ShmSysV, Path::PutImage, Path::PutImageSmallRequests),
                         path_name);

class XcbTargetMiscTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(x.ok()); }
    void TearDown() override {
        if (x.ok()) {
            x.sync();
            EXPECT_TRUE(x.drain_queue_response_types().empty()) << "X errors or events reached the program's queue";
        }
    }
    XcbConnection x;
};

TEST_F(XcbTargetMiscTest, EnvironmentVariableTurnsOffShm) {
    TestWindow w(x, 320, 240);
    setenv("ANARCHY_WSI_NO_SHM", "1", 1);
    TargetResult r = make_xcb_target(x.get(), w.id());
    unsetenv("ANARCHY_WSI_NO_SHM");
    ASSERT_TRUE(r.target);
    EXPECT_STREQ(r.target->name(), "xcb (no MIT-SHM)");
    EXPECT_FALSE(r.target->zero_copy());
    TargetResult d = make_xcb_target(x.get(), w.id());
    ASSERT_TRUE(d.target);
    EXPECT_STREQ(d.target->name(), "xcb+MIT-SHM");  // Xvfb on a Unix socket: shared memory by default
}

TEST_F(XcbTargetMiscTest, FifoFollowsThePresentClockOnlyWhereTheScreenHasOne) {
    using std::chrono::milliseconds;
    TestWindow w(x, 320, 240);
    // Xvfb's modes carry no timings: no clock to follow, so FIFO frames show as they come, as natively there.
    EXPECT_FALSE(x11_screen_has_refresh_clock(x.get(), x.screen()->root));
    TargetResult plain = make_xcb_target(x.get(), w.id());
    ASSERT_TRUE(plain.target);
    EXPECT_EQ(plain.target->wait_for_refresh(milliseconds(100)), RefreshWait::NoClock);

    // Forced onto Present's clock (Xvfb makes one up at 60 Hz): each wait ends one refresh later.
    setenv("ANARCHY_X11_PRESENT", "1", 1);
    TargetResult paced = make_xcb_target(x.get(), w.id());
    unsetenv("ANARCHY_X11_PRESENT");
    ASSERT_TRUE(paced.target);
    ASSERT_EQ(paced.target->wait_for_refresh(milliseconds(1000)), RefreshWait::Refreshed);
    const auto frame = make_pattern(320, 240, 320 * 4, 7);
    const auto start = std::chrono::steady_clock::now();
    constexpr int kFrames = 10;
    for (int i = 0; i < kFrames; ++i) {
        EXPECT_TRUE(paced.target->present(frame.data(), 320, 240, 320 * 4).ok());
        ASSERT_EQ(paced.target->wait_for_refresh(milliseconds(1000)), RefreshWait::Refreshed);
    }
    // A lower bound only (a loaded machine is slower, never faster): 10 refreshes of 16.7 ms, less a margin.
    EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(kFrames * 16 * 3 / 4));
    // TearDown: neither Present's events nor errors reached the program's queue.
}

TEST_F(XcbTargetMiscTest, PresentClockOfAVanishedWindowTimesOut) {
    auto w = std::make_unique<TestWindow>(x, 64, 64);
    setenv("ANARCHY_X11_PRESENT", "1", 1);
    TargetResult r = make_xcb_target(x.get(), w->id());
    unsetenv("ANARCHY_X11_PRESENT");
    ASSERT_TRUE(r.target);
    ASSERT_EQ(r.target->wait_for_refresh(std::chrono::milliseconds(1000)), RefreshWait::Refreshed);
    w.reset();
    x.sync();
    // The notification request fails (its error is dropped); the wait ends at its bound and the connection lives.
    EXPECT_EQ(r.target->wait_for_refresh(std::chrono::milliseconds(100)), RefreshWait::TimedOut);
    EXPECT_EQ(xcb_connection_has_error(x.get()), 0);
    r.target.reset();
}

TEST_F(XcbTargetMiscTest, MissingWindowFailsCleanly) {
    TargetResult r = make_xcb_target(x.get(), 0x7abcdef);
    EXPECT_EQ(r.status, WsiStatus::SurfaceLost);
    EXPECT_FALSE(r.target);
    EXPECT_EQ(make_xcb_target(nullptr, 1).status, WsiStatus::SurfaceLost);
}

TEST_F(XcbTargetMiscTest, UnsupportedWindowIsRefused) {
    // An InputOnly window has no pixels to draw into.
    xcb_window_t id = xcb_generate_id(x.get());
    xcb_create_window(x.get(), 0, id, x.screen()->root, 0, 0, 10, 10, 0, XCB_WINDOW_CLASS_INPUT_ONLY,
                      XCB_COPY_FROM_PARENT, 0, nullptr);
    x.sync();
    TargetResult r = make_xcb_target(x.get(), id);
    EXPECT_EQ(r.status, WsiStatus::Error);
    EXPECT_FALSE(r.target);
    xcb_destroy_window(x.get(), id);
}

TEST_F(XcbTargetMiscTest, Depth32WindowKeepsAlpha) {
    if (x.visual_of_depth(32) == 0) FAIL() << "Xvfb offers no depth-32 TrueColor visual (Composite missing?)";
    for (bool shm : {true, false}) {
        TestWindow w(x, 320, 240, 32);
        XcbTargetOptions o;
        o.allow_shm = shm;
        TargetResult r = make_xcb_target(x.get(), w.id(), o);
        ASSERT_EQ(r.status, WsiStatus::Ok);
        EXPECT_EQ(r.target->pixel_info().depth, 32);
        EXPECT_TRUE(r.target->pixel_info().alpha_meaningful);
        auto frame = make_pattern(320, 240, 320 * 4, 13, /*alpha=*/0x80);
        ASSERT_EQ(r.target->present(frame.data(), 320, 240, 320 * 4).status, WsiStatus::Ok);
        auto shown = read_window(x.get(), w.id(), 320, 240);
        ASSERT_EQ(shown.size(), 320u * 240 * 4);
        std::string first;
        EXPECT_EQ(count_mismatches(shown, 320, frame.data(), 320 * 4, 320, 240, /*compare_alpha=*/true, &first), 0u)
            << (shm ? "MIT-SHM: " : "PutImage: ") << first;
    }
}

TEST_F(XcbTargetMiscTest, TwoTargetsOnOneConnection) {
    TestWindow a(x, 160, 120, 24, 0, 0);
    TestWindow b(x, 160, 120, 24, 200, 0);
    auto ta = make_xcb_target(x.get(), a.id()).target;
    auto tb = make_xcb_target(x.get(), b.id()).target;
    ASSERT_TRUE(ta && tb);
    auto fa = make_pattern(160, 120, 160 * 4, 20);
    auto fb = make_pattern(160, 120, 160 * 4, 21);
    ASSERT_EQ(ta->present(fa.data(), 160, 120, 160 * 4).status, WsiStatus::Ok);
    ASSERT_EQ(tb->present(fb.data(), 160, 120, 160 * 4).status, WsiStatus::Ok);
    EXPECT_EQ(count_mismatches(read_window(x.get(), a.id(), 160, 120), 160, fa.data(), 160 * 4, 160, 120, false), 0u);
    EXPECT_EQ(count_mismatches(read_window(x.get(), b.id(), 160, 120), 160, fb.data(), 160 * 4, 160, 120, false), 0u);
}

TEST_F(XcbTargetMiscTest, ExtentQueriesFromAnotherThreadDuringPresents) {
    // vkGetPhysicalDeviceSurfaceCapabilitiesKHR runs on the program's thread while frames are presented.
    TestWindow w(x, 320, 240);
    auto t = make_xcb_target(x.get(), w.id()).target;
    ASSERT_TRUE(t);
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    std::thread queries([&] {
        while (!stop) {
            auto e = t->current_extent();
            if (!e || *e != Extent2D{320, 240}) ++bad;
            if (std::string(t->name()).empty()) ++bad;
        }
    });
    auto frame = make_pattern(320, 240, 320 * 4, 70);
    for (int i = 0; i < 50; ++i) {
        if (i % 2) {
            EXPECT_EQ(t->present(frame.data(), 320, 240, 320 * 4).status, WsiStatus::Ok);
        } else {
            AcquireResult a = t->acquire_buffer(320, 240);
            ASSERT_TRUE(a.ok());
            std::memcpy(a.buffer.pixels, frame.data(), frame.size());
            EXPECT_EQ(t->present_buffer(a.buffer).status, WsiStatus::Ok);
        }
    }
    stop = true;
    queries.join();
    EXPECT_EQ(bad, 0);
    EXPECT_EQ(count_mismatches(read_window(x.get(), w.id(), 320, 240), 320, frame.data(), 320 * 4, 320, 240, false),
              0u);
}

TEST(XcbTargetRemoteTest, TcpConnectionFallsBackToPutImage) {
    // Over TCP the server cannot map our memory even though it advertises MIT-SHM.
    XvfbServer server(/*listen_tcp=*/true);
    ASSERT_TRUE(server.ok()) << server.error();
    const std::string display = "127.0.0.1" + server.display();
    xcb_connection_t* conn = xcb_connect(display.c_str(), nullptr);
    ASSERT_EQ(xcb_connection_has_error(conn), 0) << "cannot connect to " << display;
    xcb_screen_t* screen = xcb_setup_roots_iterator(xcb_get_setup(conn)).data;
    xcb_window_t window = xcb_generate_id(conn);
    const uint32_t values[] = {0x112233};
    xcb_create_window(conn, XCB_COPY_FROM_PARENT, window, screen->root, 0, 0, 320, 240, 0,
                      XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual, XCB_CW_BACK_PIXEL, values);
    xcb_map_window(conn, window);
    {
        TargetResult r = make_xcb_target(conn, window);
        ASSERT_EQ(r.status, WsiStatus::Ok);
        EXPECT_STREQ(r.target->name(), "xcb (no MIT-SHM)");
        EXPECT_FALSE(r.target->zero_copy());
        auto frame = make_pattern(320, 240, 320 * 4, 60);
        ASSERT_EQ(r.target->present(frame.data(), 320, 240, 320 * 4).status, WsiStatus::Ok);
        auto shown = read_window(conn, window, 320, 240);
        ASSERT_EQ(shown.size(), 320u * 240 * 4);
        std::string first;
        EXPECT_EQ(count_mismatches(shown, 320, frame.data(), 320 * 4, 320, 240, false, &first), 0u) << first;
    }
    xcb_disconnect(conn);
}

}  // namespace
}  // namespace anarchy::client::wsi::test
