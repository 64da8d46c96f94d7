// Helpers for the X11 tests: a connection to the test's Xvfb, windows that clean up after themselves, test
// patterns and reading a window's pixels back.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <xcb/xcb.h>

#include "display_servers.h"

namespace anarchy::client::wsi::test {

/// An xcb connection to the shared Xvfb; fails the test (never skips) when the server is not there.
class XcbConnection {
public:
    XcbConnection() {
        XvfbServer& x = shared_xvfb();
        EXPECT_TRUE(x.ok()) << x.error();
        if (!x.ok()) return;
        conn_ = xcb_connect(x.display().c_str(), &screen_number_);
        EXPECT_EQ(xcb_connection_has_error(conn_), 0) << "cannot connect to " << x.display();
        if (xcb_connection_has_error(conn_)) return;
        auto it = xcb_setup_roots_iterator(xcb_get_setup(conn_));
        for (int i = 0; i < screen_number_; ++i) xcb_screen_next(&it);
        screen_ = it.data;
    }
    ~XcbConnection() {
        if (conn_) xcb_disconnect(conn_);
    }
    XcbConnection(const XcbConnection&) = delete;
    XcbConnection& operator=(const XcbConnection&) = delete;

    bool ok() const { return screen_ != nullptr; }
    xcb_connection_t* get() const { return conn_; }
    xcb_screen_t* screen() const { return screen_; }

    /// Waits until the server has handled everything sent so far.
    void sync() const { std::free(xcb_get_input_focus_reply(conn_, xcb_get_input_focus(conn_), nullptr)); }

    /// The first TrueColor visual of `depth` on the screen, 0 if none.
    xcb_visualid_t visual_of_depth(uint8_t depth, uint8_t visual_class = XCB_VISUAL_CLASS_TRUE_COLOR) const {
        for (auto d = xcb_screen_allowed_depths_iterator(screen_); d.rem; xcb_depth_next(&d)) {
            if (d.data->depth != depth) continue;
            for (auto v = xcb_depth_visuals_iterator(d.data); v.rem; xcb_visualtype_next(&v))
                if (v.data->_class == visual_class) return v.data->visual_id;
        }
        return 0;
    }

    /// Errors or events that reached this connection's event queue (they would have reached the program).
    std::vector<uint8_t> drain_queue_response_types() const {
        std::vector<uint8_t> types;
        while (xcb_generic_event_t* e = xcb_poll_for_event(conn_)) {
            types.push_back(e->response_type);
            std::free(e);
        }
        return types;
    }

private:
    xcb_connection_t* conn_ = nullptr;
    xcb_screen_t* screen_ = nullptr;
    int screen_number_ = 0;
};

/// A mapped top-level window at (x, y) filled with `background` (0xRRGGBB, alpha 0xff for depth 32), destroyed
/// with the object unless destroy() already did.
class TestWindow {
public:
    TestWindow(const XcbConnection& c, uint16_t width, uint16_t height, uint8_t depth = 24, int16_t x = 0,
               int16_t y = 0, uint32_t background = 0x204060)
        : conn_(c.get()) {
        xcb_screen_t* s = c.screen();
        id_ = xcb_generate_id(conn_);
        if (depth == s->root_depth) {
            const uint32_t values[] = {background, 0};
            xcb_create_window(conn_, depth, id_, s->root, x, y, width, height, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT,
                              s->root_visual, XCB_CW_BACK_PIXEL | XCB_CW_BORDER_PIXEL, values);
        } else {
            // Another depth needs its own visual and colormap (and a border pixel, or CreateWindow fails).
            xcb_visualid_t visual = c.visual_of_depth(depth);
            EXPECT_NE(visual, 0u) << "no TrueColor visual of depth " << int(depth);
            colormap_ = xcb_generate_id(conn_);
            xcb_create_colormap(conn_, XCB_COLORMAP_ALLOC_NONE, colormap_, s->root, visual);
            const uint32_t values[] = {background | 0xff000000u, 0, colormap_};
            xcb_create_window(conn_, depth, id_, s->root, x, y, width, height, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT,
                              visual, XCB_CW_BACK_PIXEL | XCB_CW_BORDER_PIXEL | XCB_CW_COLORMAP, values);
        }
        xcb_map_window(conn_, id_);
        c.sync();
    }
    ~TestWindow() {
        destroy();
        if (colormap_) xcb_free_colormap(conn_, colormap_);
        xcb_flush(conn_);
    }
    TestWindow(const TestWindow&) = delete;
    TestWindow& operator=(const TestWindow&) = delete;

    xcb_window_t id() const { return id_; }
    void destroy() {
        if (!id_) return;
        xcb_destroy_window(conn_, id_);
        std::free(xcb_get_input_focus_reply(conn_, xcb_get_input_focus(conn_), nullptr));
        id_ = 0;
    }
    void resize(uint16_t width, uint16_t height) {
        const uint32_t values[] = {width, height};
        xcb_configure_window(conn_, id_, XCB_CONFIG_WINDOW_WIDTH | XCB_CONFIG_WINDOW_HEIGHT, values);
        std::free(xcb_get_input_focus_reply(conn_, xcb_get_input_focus(conn_), nullptr));
    }

private:
    xcb_connection_t* conn_;
    xcb_window_t id_ = 0;
    xcb_colormap_t colormap_ = 0;
};

/// A BGRA frame whose every pixel differs from its neighbours and from other seeds; rows `stride` bytes apart
/// (padding bytes are 0xEE so a wrong stride shows).
inline std::vector<uint8_t> make_pattern(uint32_t width, uint32_t height, uint32_t stride, uint32_t seed,
                                         uint8_t alpha = 0xff) {
    std::vector<uint8_t> p(size_t{stride} * height, 0xEE);
    for (uint32_t y = 0; y < height; ++y) {
        for (uint32_t x = 0; x < width; ++x) {
            uint8_t* px = &p[size_t{y} * stride + size_t{x} * 4];
            px[0] = static_cast<uint8_t>(x * 7 + y * 3 + seed);
            px[1] = static_cast<uint8_t>((y * 5) ^ (x + seed * 11));
            px[2] = static_cast<uint8_t>(x + y * 13 + seed * 29);
            px[3] = alpha;
        }
    }
    return p;
}

/// The window's pixels (ZPixmap, 32 bits per pixel: B,G,R,X/A bytes), tightly packed; empty on error.
inline std::vector<uint8_t> read_window(xcb_connection_t* conn, xcb_window_t window, uint16_t width,
                                        uint16_t height) {
    xcb_generic_error_t* err = nullptr;
    xcb_get_image_reply_t* r = xcb_get_image_reply(
        conn, xcb_get_image(conn, XCB_IMAGE_FORMAT_Z_PIXMAP, window, 0, 0, width, height, ~0u), &err);
    std::vector<uint8_t> out;
    if (r) {
        const uint8_t* d = xcb_get_image_data(r);
        out.assign(d, d + xcb_get_image_data_length(r));
    }
    std::free(err);
    std::free(r);
    return out;
}

/// Compares a w x h region at the top-left of the window's readback (window_width pixels wide) with the frame's
/// top-left region; counts differing pixels (alpha compared only when asked). Reports the first difference.
inline size_t count_mismatches(const std::vector<uint8_t>& window, uint32_t window_width, const uint8_t* frame,
                               uint32_t frame_stride, uint32_t w, uint32_t h, bool compare_alpha,
                               std::string* first = nullptr) {
    size_t bad = 0;
    const size_t channels = compare_alpha ? 4 : 3;
    for (uint32_t y = 0; y < h; ++y) {
        for (uint32_t x = 0; x < w; ++x) {
            const uint8_t* a = &window[(size_t{y} * window_width + x) * 4];
            const uint8_t* b = frame + size_t{y} * frame_stride + size_t{x} * 4;
            bool same = true;
            for (size_t c = 0; c < channels; ++c) same = same && a[c] == b[c];
            if (!same && bad++ == 0 && first) {
                char buf[160];
                std::snprintf(buf, sizeof buf, "first at (%u,%u): window %02x %02x %02x %02x, frame %02x %02x %02x %02x",
                              x, y, a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]);
                *first = buf;
            }
        }
    }
    return bad;
}

}  // namespace anarchy::client::wsi::test
