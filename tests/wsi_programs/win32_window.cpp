// TestWindow on Windows: a borderless popup Win32 window (as games use for borderless full screen; a captioned window
// cannot be narrower than its caption's buttons, and the zero scenario wants 1x1) whose client area is the
// drawable, on the test's thread, with its messages dispatched whenever the test waits for a state or drains
// events. Minimizing stands for unmapping (the client area of a minimized window is 0x0, which a Win32 surface
// reports as its currentExtent).
#define VK_USE_PLATFORM_WIN32_KHR
#include <windows.h>

#include "test_window.h"

#include <chrono>
#include <string>
#include <thread>

#include "check.h"

namespace anarchy::wsitest {

namespace {

constexpr auto kStateTimeout = std::chrono::seconds(5);
constexpr auto kPollInterval = std::chrono::milliseconds(5);
constexpr wchar_t kClassName[] = L"anarchy_wsi_test";
constexpr DWORD kStyle = WS_POPUP;

LRESULT CALLBACK window_proc(HWND hwnd, UINT message, WPARAM wparam, LPARAM lparam) {
    if (message == WM_ERASEBKGND) return 1;  // the swapchain draws every pixel; no flash of the class brush
    return DefWindowProcW(hwnd, message, wparam, lparam);
}

void pump() {
    MSG msg;
    while (PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE)) {
        TranslateMessage(&msg);
        DispatchMessageW(&msg);
    }
}

/// Dispatches messages until `done` holds, or throws TestFailure naming `what` after kStateTimeout.
template <typename Done>
void wait_for(Done&& done, const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + kStateTimeout;
    for (;;) {
        pump();
        if (done()) return;
        if (std::chrono::steady_clock::now() > deadline) throw TestFailure(what);
        std::this_thread::sleep_for(kPollInterval);
    }
}

/// The outer size of a window whose client area is width x height.
SIZE outer_size(uint32_t width, uint32_t height) {
    RECT r{0, 0, LONG(width), LONG(height)};
    AdjustWindowRectEx(&r, kStyle, FALSE, 0);
    return SIZE{r.right - r.left, r.bottom - r.top};
}

}  // namespace

struct TestWindow::Impl {
    HWND hwnd = nullptr;
};

TestWindow::TestWindow(uint32_t width, uint32_t height, const char* title) : impl_(std::make_unique<Impl>()) {
    HINSTANCE instance = GetModuleHandleW(nullptr);
    WNDCLASSEXW wc{sizeof wc};
    if (!GetClassInfoExW(instance, kClassName, &wc)) {
        wc = WNDCLASSEXW{sizeof wc};
        wc.style = CS_HREDRAW | CS_VREDRAW;
        wc.lpfnWndProc = window_proc;
        wc.hInstance = instance;
        wc.hCursor = LoadCursorW(nullptr, MAKEINTRESOURCEW(32512));  // IDC_ARROW
        wc.hbrBackground = static_cast<HBRUSH>(GetStockObject(BLACK_BRUSH));
        wc.lpszClassName = kClassName;
        if (!RegisterClassExW(&wc)) throw TestFailure(strprintf("RegisterClassExW failed (%lu)", GetLastError()));
    }
    std::wstring wide_title(title, title + std::char_traits<char>::length(title));
    const SIZE outer = outer_size(width, height);
    impl_->hwnd = CreateWindowExW(0, kClassName, wide_title.c_str(), kStyle, 40, 40, outer.cx, outer.cy, nullptr,
                                  nullptr, instance, nullptr);
    if (!impl_->hwnd) throw TestFailure(strprintf("CreateWindowExW %ux%u failed (%lu)", width, height, GetLastError()));
    map();
    resize(width, height);
}

TestWindow::~TestWindow() {
    if (impl_->hwnd) DestroyWindow(impl_->hwnd);
    pump();
}

const char* TestWindow::surface_extension() { return VK_KHR_WIN32_SURFACE_EXTENSION_NAME; }

VkSurfaceKHR TestWindow::create_surface(VkInstance instance) {
    VkWin32SurfaceCreateInfoKHR info{VK_STRUCTURE_TYPE_WIN32_SURFACE_CREATE_INFO_KHR};
    info.hinstance = GetModuleHandleW(nullptr);
    info.hwnd = impl_->hwnd;
    VkSurfaceKHR surface = VK_NULL_HANDLE;
    VK_CHECK(vkCreateWin32SurfaceKHR(instance, &info, nullptr, &surface));
    return surface;
}

bool TestWindow::presentation_support(VkPhysicalDevice physical_device, uint32_t family) {
    return vkGetPhysicalDeviceWin32PresentationSupportKHR(physical_device, family);
}

uint64_t TestWindow::id() const { return reinterpret_cast<uintptr_t>(impl_->hwnd); }

VkExtent2D TestWindow::geometry() {
    pump();
    RECT r{};
    if (IsIconic(impl_->hwnd)) return VkExtent2D{0, 0};
    if (!GetClientRect(impl_->hwnd, &r)) throw TestFailure(strprintf("GetClientRect failed (%lu)", GetLastError()));
    return VkExtent2D{uint32_t(r.right - r.left), uint32_t(r.bottom - r.top)};
}

void TestWindow::resize(uint32_t width, uint32_t height) {
    const SIZE outer = outer_size(width, height);
    SetWindowPos(impl_->hwnd, nullptr, 0, 0, outer.cx, outer.cy, SWP_NOMOVE | SWP_NOZORDER | SWP_NOACTIVATE);
    wait_for(
        [&] {
            const VkExtent2D now = geometry();
            return now.width == width && now.height == height;
        },
        strprintf("the window's client area is still %s after SetWindowPos for %ux%u", extent_text(geometry()).c_str(),
                  width, height));
}

void TestWindow::unmap() {
    ShowWindow(impl_->hwnd, SW_MINIMIZE);
    wait_for([&] { return IsIconic(impl_->hwnd) != FALSE; }, "the window is not minimized after ShowWindow");
}

void TestWindow::map() {
    ShowWindow(impl_->hwnd, IsIconic(impl_->hwnd) ? SW_RESTORE : SW_SHOWNORMAL);
    wait_for([&] { return IsWindowVisible(impl_->hwnd) && !IsIconic(impl_->hwnd); },
             "the window is not shown after ShowWindow");
}

void TestWindow::destroy() {
    if (!impl_->hwnd) return;
    if (!DestroyWindow(impl_->hwnd)) throw TestFailure(strprintf("DestroyWindow failed (%lu)", GetLastError()));
    impl_->hwnd = nullptr;
    pump();
}

void TestWindow::drain_events() { pump(); }

uint32_t TestWindow::pixel_rgb(uint32_t x, uint32_t y) {
    pump();
    HDC dc = GetDC(impl_->hwnd);
    if (!dc) throw TestFailure(strprintf("GetDC failed (%lu)", GetLastError()));
    const COLORREF colour = GetPixel(dc, int(x), int(y));
    ReleaseDC(impl_->hwnd, dc);
    if (colour == CLR_INVALID) throw TestFailure(strprintf("GetPixel(%u, %u) of the test window failed", x, y));
    return (uint32_t(GetRValue(colour)) << 16) | (uint32_t(GetGValue(colour)) << 8) | GetBValue(colour);
}

}  // namespace anarchy::wsitest
