#include "client/wsi/win32_window_target.h"

#include <windows.h>
#include <dwmapi.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "client/wsi/pixel_rows.h"
#include "common/log.h"

namespace anarchy::client::wsi {
namespace {

/// Buffers handed out by acquire_buffer: decoded into, then drawn. Two let one be decoded while the other is
/// drawn by a caller that overlaps them.
constexpr uint32_t kBuffers = 2;

class Win32WindowTarget final : public WindowTarget {
public:
    explicit Win32WindowTarget(HWND hwnd) : hwnd_(hwnd) {}

    const char* name() const override { return "win32 SetDIBitsToDevice"; }
    PixelInfo pixel_info() const override { return {24, false}; }
    bool zero_copy() const override { return false; }

    std::optional<Extent2D> current_extent() override {
        if (!::IsWindow(hwnd_)) return std::nullopt;
        // A minimised window has a 0x0 client area: swapchains answer OUT_OF_DATE until it comes back.
        RECT r{};
        if (::IsIconic(hwnd_) || !::GetClientRect(hwnd_, &r)) return Extent2D{0, 0};
        return Extent2D{static_cast<uint32_t>(r.right - r.left), static_cast<uint32_t>(r.bottom - r.top)};
    }

    // The desktop compositor's pass is the refresh a windowed program sees: DwmFlush returns after the next one.
    // Without composition (Windows 7 basic themes) there is no clock to follow.
    RefreshWait wait_for_refresh(std::chrono::milliseconds) override {
        if (!::IsWindow(hwnd_)) return RefreshWait::Lost;
        BOOL composing = FALSE;
        if (FAILED(::DwmIsCompositionEnabled(&composing)) || !composing) return RefreshWait::NoClock;
        return SUCCEEDED(::DwmFlush()) ? RefreshWait::Refreshed : RefreshWait::NoClock;
    }

    PresentResult present(const uint8_t* bgra, uint32_t width, uint32_t height, uint32_t stride) override {
        if (!bgra || width == 0 || height == 0 || width > kMaxFrameSide || height > kMaxFrameSide ||
            stride < width * 4 || stride % 4 != 0)
            return {WsiStatus::InvalidArgument, std::nullopt};
        return draw(bgra, width, height, stride);
    }

    AcquireResult acquire_buffer(uint32_t width, uint32_t height) override {
        if (width == 0 || height == 0 || width > kMaxFrameSide || height > kMaxFrameSide)
            return {WsiStatus::InvalidArgument, {}};
        std::lock_guard<std::mutex> lock(mu_);
        for (uint32_t i = 0; i < kBuffers; ++i) {
            Buffer& b = buffers_[i];
            if (b.held) continue;
            size_t bytes = size_t(width) * height * 4;
            try {
                if (b.pixels.size() < bytes) {
                    b.pixels.resize(bytes);
                    b.generation = 0;  // new memory: whatever was decoded into the old is gone
                }
            } catch (const std::bad_alloc&) {
                return {WsiStatus::OutOfMemory, {}};
            }
            // Only the decoder writes these buffers (draw reads them), so a slot keeps its generation, and with it
            // what lz4-tiles last decoded there (the tiles unchanged since are not written again), until it grows.
            if (b.generation == 0) b.generation = ++generations_;
            b.held = true;
            return {WsiStatus::Ok, {b.pixels.data(), width, height, width * 4, i, b.generation}};
        }
        return {WsiStatus::Busy, {}};
    }

    PresentResult present_buffer(const FrameBuffer& buffer) override {
        if (!owns(buffer)) return {WsiStatus::InvalidArgument, std::nullopt};
        PresentResult r = draw(buffer.pixels, buffer.width, buffer.height, buffer.stride);
        release(buffer);
        return r;
    }

    void discard_buffer(const FrameBuffer& buffer) override {
        if (owns(buffer)) release(buffer);
    }

    uint32_t buffer_count() const override {
        std::lock_guard<std::mutex> lock(mu_);
        uint32_t n = 0;
        for (const Buffer& b : buffers_) n += b.pixels.empty() ? 0 : 1;
        return n;
    }

private:
    struct Buffer {
        std::vector<uint8_t> pixels;
        bool held = false;
        uint64_t generation = 0;  ///< FrameBuffer::generation
    };

    bool owns(const FrameBuffer& b) const {
        std::lock_guard<std::mutex> lock(mu_);
        return b.slot < kBuffers && buffers_[b.slot].held && b.pixels == buffers_[b.slot].pixels.data();
    }

    void release(const FrameBuffer& b) {
        std::lock_guard<std::mutex> lock(mu_);
        buffers_[b.slot].held = false;
    }

    /// Draws the frame at the client area's top-left corner, unscaled (pixels outside are clipped by GDI).
    PresentResult draw(const uint8_t* bgra, uint32_t width, uint32_t height, uint32_t stride) {
        if (!::IsWindow(hwnd_)) return {WsiStatus::SurfaceLost, std::nullopt};
        BITMAPINFO info{};
        info.bmiHeader.biSize = sizeof info.bmiHeader;
        info.bmiHeader.biWidth = static_cast<LONG>(stride / 4);  // rows are stride apart; extra pixels are clipped
        info.bmiHeader.biHeight = -static_cast<LONG>(height);    // top-down rows
        info.bmiHeader.biPlanes = 1;
        info.bmiHeader.biBitCount = 32;
        info.bmiHeader.biCompression = BI_RGB;                    // B,G,R,X bytes: the frames' layout
        HDC dc = ::GetDC(hwnd_);
        if (!dc) return {WsiStatus::SurfaceLost, std::nullopt};
        int lines = ::SetDIBitsToDevice(dc, 0, 0, width, height, 0, 0, 0, height, bgra, &info, DIB_RGB_COLORS);
        ::ReleaseDC(hwnd_, dc);
        // This thread draws while the program's thread owns the window and may not be pumping messages (a game
        // waiting on its next frame). Windows composites the drawing at once; Wine copies a window's drawing to X
        // when some thread of the process looks at its messages, so this thread looks (it has no windows, and
        // nothing is removed from any queue).
        ::GdiFlush();
        MSG none;
        ::PeekMessageW(&none, nullptr, 0, 0, PM_NOREMOVE);
        if (lines == 0) {
            LOG_WARN("win32: SetDIBitsToDevice drew nothing (error %lu)", ::GetLastError());
            return {WsiStatus::Error, std::nullopt};
        }
        return {WsiStatus::Ok, current_extent()};
    }

    HWND hwnd_;
    mutable std::mutex mu_;
    Buffer buffers_[kBuffers];
    uint64_t generations_ = 0;  ///< the last FrameBuffer::generation handed out
};

}  // namespace

TargetResult make_win32_target(uint64_t hwnd) {
    HWND h = reinterpret_cast<HWND>(static_cast<uintptr_t>(hwnd));
    if (!h || !::IsWindow(h)) return {WsiStatus::SurfaceLost, nullptr};
    return {WsiStatus::Ok, std::make_unique<Win32WindowTarget>(h)};
}

}  // namespace anarchy::client::wsi
