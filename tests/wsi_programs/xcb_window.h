// One top-level X11 window on its own xcb connection, for a VkSurfaceKHR. Under Xvfb there is no window manager,
// so map, unmap and configure requests take effect as the X server receives them; the methods still wait (with a
// bound) until the server reports the new state, so a surface query made afterwards sees it.
#pragma once

#include <vulkan/vulkan.h>
#include <xcb/xcb.h>

#include <cstdint>

namespace anarchy::wsitest {

class XcbWindow {
public:
    /// Connects to $DISPLAY, creates a `width` x `height` window of the root visual and maps it. Throws
    /// TestFailure when there is no display or the window does not appear.
    XcbWindow(uint32_t width, uint32_t height, const char* title);
    ~XcbWindow();
    XcbWindow(const XcbWindow&) = delete;
    XcbWindow& operator=(const XcbWindow&) = delete;

    xcb_connection_t* connection() const { return connection_; }
    xcb_window_t window() const { return window_; }
    xcb_visualid_t visual() const { return visual_; }

    /// The size the X server reports now (xcb_get_geometry).
    VkExtent2D geometry();
    /// Resizes the window and waits until the server reports the new size.
    void resize(uint32_t width, uint32_t height);
    /// Unmaps the window and waits until the server reports it unmapped.
    void unmap();
    /// Maps the window and waits until the server reports it viewable.
    void map();
    /// Drops queued events and throws TestFailure for an X error (from this program's requests or from the
    /// driver's on the same connection: a driver must not raise errors on the program's connection).
    void drain_events();

private:
    bool viewable();
    void throw_if_broken(const char* what);

    xcb_connection_t* connection_ = nullptr;
    xcb_window_t window_ = 0;
    xcb_visualid_t visual_ = 0;
};

}  // namespace anarchy::wsitest
