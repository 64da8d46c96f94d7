// --present window: an X11 window opened through xcb, the VK_KHR_xcb_surface on it, and its events (the
// window manager's close button, resizes).
#pragma once

#include "surface_source.h"

#include <xcb/xcb.h>

#include <memory>
#include <string>

namespace anarchy::demo {

class XcbWindow final : public SurfaceSource {
public:
    /// Connects to the display named by DISPLAY and maps an `extent` window titled `title`. Throws
    /// std::runtime_error when DISPLAY is unset or the display cannot be reached.
    XcbWindow(VkExtent2D extent, const std::string& title);
    ~XcbWindow() override;
    XcbWindow(const XcbWindow&) = delete;
    XcbWindow& operator=(const XcbWindow&) = delete;

    std::vector<const char*> instance_extensions() const override;
    VkSurfaceKHR create_surface(VkInstance instance) override;
    /// Close requests are WM_DELETE_WINDOW messages (or the window being destroyed); resizes are
    /// ConfigureNotify events that change the size. Throws std::runtime_error when the X connection broke.
    SurfaceEvents poll_events() override;
    /// The window's size as of the last ConfigureNotify.
    VkExtent2D preferred_extent() const override { return extent_; }

private:
    xcb_atom_t intern_atom(const char* name) const;

    struct Disconnect {
        void operator()(xcb_connection_t* connection) const { xcb_disconnect(connection); }
    };
    // Disconnecting also destroys the window, however far the constructor got.
    std::unique_ptr<xcb_connection_t, Disconnect> connection_;
    xcb_window_t window_ = XCB_WINDOW_NONE;
    bool window_destroyed_ = false;  // by someone else: nothing left for us to destroy
    xcb_atom_t wm_protocols_ = XCB_ATOM_NONE;
    xcb_atom_t wm_delete_window_ = XCB_ATOM_NONE;
    VkExtent2D extent_;
};

}  // namespace anarchy::demo
