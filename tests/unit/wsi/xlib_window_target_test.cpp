// The Xlib entry: a window made with Xlib, shown through the XCB connection underneath its Display, and X errors
// that never reach the program's Xlib error handler.
#include "client/wsi/xlib_window_target.h"

#include <gtest/gtest.h>

#include <X11/Xlib-xcb.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <cstring>

#include "x11_test_support.h"

namespace anarchy::client::wsi::test {
namespace {

int g_xlib_errors = 0;

int count_error(Display*, XErrorEvent*) {
    ++g_xlib_errors;
    return 0;
}

class XlibTargetTest : public ::testing::Test {
protected:
    void SetUp() override {
        XvfbServer& server = shared_xvfb();
        ASSERT_TRUE(server.ok()) << server.error();
        dpy = XOpenDisplay(server.display().c_str());
        ASSERT_NE(dpy, nullptr);
        // Xlib's default handler would exit the program: count instead, and require zero.
        g_xlib_errors = 0;
        old_handler = XSetErrorHandler(count_error);
    }
    void TearDown() override {
        if (dpy) {
            XSync(dpy, False);
            EXPECT_EQ(g_xlib_errors, 0) << "an X error reached the program's Xlib error handler";
            EXPECT_EQ(XPending(dpy), 0) << "events reached the program's Xlib queue";
            XCloseDisplay(dpy);
        }
        XSetErrorHandler(old_handler);
    }

    Window make_window(unsigned width, unsigned height) {
        Window w = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), 0, 0, width, height, 0, 0, 0x336699);
        XMapWindow(dpy, w);
        XSync(dpy, False);
        return w;
    }

    Display* dpy = nullptr;
    int (*old_handler)(Display*, XErrorEvent*) = nullptr;
};

TEST_F(XlibTargetTest, ShowsFrameInXlibWindow) {
    Window w = make_window(320, 240);
    TargetResult r = make_xlib_target(dpy, w);
    ASSERT_EQ(r.status, WsiStatus::Ok);
    EXPECT_STREQ(r.target->name(), "xcb+MIT-SHM");
    auto frame = make_pattern(320, 240, 320 * 4, 30);
    ASSERT_EQ(r.target->present(frame.data(), 320, 240, 320 * 4).status, WsiStatus::Ok);

    AcquireResult a = r.target->acquire_buffer(320, 240);
    ASSERT_TRUE(a.ok());
    auto frame2 = make_pattern(320, 240, a.buffer.stride, 31);
    std::memcpy(a.buffer.pixels, frame2.data(), frame2.size());
    ASSERT_EQ(r.target->present_buffer(a.buffer).status, WsiStatus::Ok);

    // Read back with Xlib, as the program would see it.
    XImage* img = XGetImage(dpy, w, 0, 0, 320, 240, AllPlanes, ZPixmap);
    ASSERT_NE(img, nullptr);
    ASSERT_EQ(img->bits_per_pixel, 32);
    size_t bad = 0;
    for (int y = 0; y < 240; ++y)
        for (int x = 0; x < 320; ++x) {
            const uint8_t* got = reinterpret_cast<const uint8_t*>(img->data) + y * img->bytes_per_line + x * 4;
            const uint8_t* want = &frame2[(size_t(y) * 320 + x) * 4];
            bad += (got[0] != want[0] || got[1] != want[1] || got[2] != want[2]) ? 1 : 0;
        }
    XDestroyImage(img);
    EXPECT_EQ(bad, 0u);

    // Xlib requests made before and after ours keep working (shared sequence numbers).
    XWindowAttributes attrs;
    ASSERT_TRUE(XGetWindowAttributes(dpy, w, &attrs));
    EXPECT_EQ(attrs.width, 320);
    r.target.reset();
    XDestroyWindow(dpy, w);
}

TEST_F(XlibTargetTest, DestroyedWindowNeverReachesErrorHandler) {
    Window w = make_window(320, 240);
    TargetResult r = make_xlib_target(dpy, w);
    ASSERT_EQ(r.status, WsiStatus::Ok);
    auto frame = make_pattern(320, 240, 320 * 4, 32);
    ASSERT_EQ(r.target->present(frame.data(), 320, 240, 320 * 4).status, WsiStatus::Ok);
    XDestroyWindow(dpy, w);
    XSync(dpy, False);
    EXPECT_EQ(r.target->present(frame.data(), 320, 240, 320 * 4).status, WsiStatus::SurfaceLost);
    EXPECT_EQ(r.target->current_extent(), std::nullopt);
    r.target.reset();
    // A target for a window that is already gone.
    EXPECT_EQ(make_xlib_target(dpy, w).status, WsiStatus::SurfaceLost);
    // The program goes on using its display.
    Window w2 = make_window(64, 64);
    XWindowAttributes attrs;
    EXPECT_TRUE(XGetWindowAttributes(dpy, w2, &attrs));
    XDestroyWindow(dpy, w2);
}

TEST_F(XlibTargetTest, VisualSupportQuery) {
    EXPECT_TRUE(xlib_visual_supported(dpy, XVisualIDFromVisual(DefaultVisual(dpy, DefaultScreen(dpy)))));
    EXPECT_FALSE(xlib_visual_supported(dpy, 0x7fffffff));
    EXPECT_FALSE(xlib_visual_supported(nullptr, 0x21));
}

}  // namespace
}  // namespace anarchy::client::wsi::test
