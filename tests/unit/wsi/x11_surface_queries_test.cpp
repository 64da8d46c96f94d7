// Geometry, depth and visual queries that answer VkSurfaceCapabilitiesKHR and the presentation-support calls.
#include "client/wsi/x11_surface_queries.h"

#include <gtest/gtest.h>

#include "x11_test_support.h"

namespace anarchy::client::wsi::test {
namespace {

class X11QueriesTest : public ::testing::Test {
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

TEST_F(X11QueriesTest, WindowGeometryAndDepth) {
    TestWindow w(x, 321, 123);
    auto info = query_x11_window(x.get(), w.id());
    ASSERT_TRUE(info);
    EXPECT_EQ(info->extent, (Extent2D{321, 123}));
    EXPECT_EQ(info->pixels.depth, 24);
    EXPECT_FALSE(info->pixels.alpha_meaningful);
    EXPECT_TRUE(info->visual_supported);
    EXPECT_EQ(info->visual, x.screen()->root_visual);
    EXPECT_EQ(info->root, x.screen()->root);
}

TEST_F(X11QueriesTest, Depth32Window) {
    ASSERT_NE(x.visual_of_depth(32), 0u) << "Xvfb offers no depth-32 visual";
    TestWindow w(x, 50, 40, 32);
    auto info = query_x11_window(x.get(), w.id());
    ASSERT_TRUE(info);
    EXPECT_EQ(info->pixels.depth, 32);
    EXPECT_TRUE(info->pixels.alpha_meaningful);
    EXPECT_TRUE(info->visual_supported);
}

TEST_F(X11QueriesTest, GoneWindowHasNoInfo) {
    auto w = std::make_unique<TestWindow>(x, 10, 10);
    xcb_window_t id = w->id();
    w.reset();
    EXPECT_FALSE(query_x11_window(x.get(), id));
    EXPECT_FALSE(query_x11_window(nullptr, id));
}

TEST_F(X11QueriesTest, VisualSupport) {
    EXPECT_TRUE(x11_visual_supported(x.get(), x.screen()->root_visual));
    xcb_visualid_t argb = x.visual_of_depth(32);
    ASSERT_NE(argb, 0u);
    EXPECT_TRUE(x11_visual_supported(x.get(), argb));
    EXPECT_EQ(x11_visual_pixel_info(x.get(), argb)->depth, 32);
    // Xvfb's DirectColor visual: pixels go through a colormap, so not supported.
    xcb_visualid_t direct = x.visual_of_depth(24, XCB_VISUAL_CLASS_DIRECT_COLOR);
    if (direct != 0) {
        EXPECT_FALSE(x11_visual_supported(x.get(), direct));
    }
    EXPECT_FALSE(x11_visual_supported(x.get(), 0x7fffffff));
    EXPECT_FALSE(x11_visual_supported(nullptr, x.screen()->root_visual));
}

}  // namespace
}  // namespace anarchy::client::wsi::test
