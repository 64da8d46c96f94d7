// The test's one top-level window, for a VkSurfaceKHR: an X11 window on its own xcb connection on Linux
// (xcb_window.cpp), a Win32 window with its own message loop on Windows (win32_window.cpp). Under Xvfb there is no
// window manager, so map, unmap and configure requests take effect as the X server receives them; on both the
// methods still wait (with a bound) until the window system reports the new state, so a surface query made
// afterwards sees it.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>

namespace anarchy::wsitest {

class TestWindow {
public:
    /// Creates a window whose drawable area is `width` x `height` and shows it. Throws TestFailure when there is no
    /// display or the window does not appear.
    TestWindow(uint32_t width, uint32_t height, const char* title);
    ~TestWindow();
    TestWindow(const TestWindow&) = delete;
    TestWindow& operator=(const TestWindow&) = delete;

    /// The instance extension of this window system's surfaces (VK_KHR_xcb_surface, VK_KHR_win32_surface).
    static const char* surface_extension();
    /// vkCreateXcbSurfaceKHR / vkCreateWin32SurfaceKHR for this window.
    VkSurfaceKHR create_surface(VkInstance instance);
    /// The window system's own presentation-support query for a queue family (xcb: the root visual).
    bool presentation_support(VkPhysicalDevice physical_device, uint32_t family);
    /// The window's id as the window system names it (X window id, HWND), for tests that look from outside.
    uint64_t id() const;

    /// The drawable size the window system reports now (0x0 for a minimized Win32 window).
    VkExtent2D geometry();
    /// Resizes the drawable area and waits until the window system reports the new size.
    void resize(uint32_t width, uint32_t height);
    /// Hides the window from view and waits until that is reported: unmapped on X11, minimized on Windows (where
    /// the drawable area is then 0x0).
    void unmap();
    /// Shows it again (mapped; restored) and waits until that is reported.
    void map();
    /// Destroys the window now (as a user closing it would), before any surface or swapchain made for it.
    void destroy();
    /// Drops queued events (Windows: dispatches the messages) and throws TestFailure for an X error on the
    /// program's connection (a driver must not raise errors there).
    void drain_events();
    /// What the window shows at (x, y) now, as 0xRRGGBB, read back from the window system (xcb_get_image of the
    /// window; GetPixel of its device context on Windows).
    uint32_t pixel_rgb(uint32_t x, uint32_t y);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace anarchy::wsitest
