// The platform half of the client's presentation: a window (X11) or surface (Wayland) that decoded BGRA8 frames
// are shown in. The Vulkan side (VkSurfaceKHR/VkSwapchainKHR emulation) owns a target per window. Threads: the
// frame operations (present, acquire_buffer, present_buffer, discard_buffer, buffer_count) are called by one
// thread at a time; current_extent(), name(), pixel_info() and zero_copy() may be called from any thread meanwhile.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace anarchy::client::wsi {

/// Width and height in pixels.
struct Extent2D {
    uint32_t width = 0;
    uint32_t height = 0;
    friend bool operator==(const Extent2D&, const Extent2D&) = default;
};

/// The Vulkan spec's "the surface size is decided by the swapchain" value (Wayland has no window size).
inline constexpr Extent2D kUndefinedExtent{0xFFFFFFFFu, 0xFFFFFFFFu};

/// Largest frame side a target accepts (X11 coordinates are 16-bit signed).
inline constexpr uint32_t kMaxFrameSide = 16384;

/// Outcome of a target operation; the Vulkan side maps it to a VkResult.
enum class WsiStatus : uint8_t {
    Ok,
    SurfaceLost,      ///< window or surface gone, or the display connection broke: VK_ERROR_SURFACE_LOST_KHR
    OutOfMemory,      ///< no shared memory or buffer could be allocated
    Busy,             ///< every buffer is still held by the compositor after a bounded wait: drop this frame
    InvalidArgument,  ///< a caller error: null pixels, zero or oversized extent, stride too small, unknown buffer
    Error,            ///< any other display-server failure (logged)
};

/// Short name of a status for logs.
const char* wsi_status_name(WsiStatus status);

/// Outcome of WindowTarget::wait_for_refresh.
enum class RefreshWait : uint8_t {
    Refreshed,  ///< the display refreshed since the last wait: the next FIFO frame may be shown now
    NoClock,    ///< the display has no refresh clock to follow (Xvfb, a headless compositor): show frames as they come
    TimedOut,   ///< no refresh within the bound (a hidden, minimised or off-screen window): show the frame anyway
    Lost,       ///< the window or the display connection is gone
};

/// Short name for logs.
const char* refresh_wait_name(RefreshWait wait);

/// Outcome of a present.
struct PresentResult {
    WsiStatus status = WsiStatus::Ok;
    /// Size of the window right after the frame was drawn, when the platform has one and it was learnt without an
    /// extra round trip (X11); nullopt on Wayland. Lets the caller answer SUBOPTIMAL/OUT_OF_DATE.
    std::optional<Extent2D> window_extent;
    bool ok() const { return status == WsiStatus::Ok; }
};

/// A writable frame buffer handed out by acquire_buffer: shared memory the display server reads directly when the
/// target has a zero-copy path, private memory otherwise. Rows are `stride` bytes apart, pixels B,G,R,A bytes.
struct FrameBuffer {
    uint8_t* pixels = nullptr;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t stride = 0;
    uint32_t slot = 0;  ///< which of the target's buffers this is; pass the FrameBuffer back unchanged
    /// Changes whenever the target gives the slot new memory or writes into it itself (a copy presented through
    /// it): a caller that remembers what it drew into a slot must forget it then. 0: the target does not say.
    uint64_t generation = 0;
};

/// Outcome of acquire_buffer.
struct AcquireResult {
    WsiStatus status = WsiStatus::Ok;
    FrameBuffer buffer;
    bool ok() const { return status == WsiStatus::Ok; }
};

/// What the window's pixels can hold; decides the surface formats and composite-alpha modes the driver reports.
struct PixelInfo {
    uint8_t depth = 24;           ///< 24 (X byte ignored) or 32 (alpha kept, e.g. an ARGB visual)
    bool alpha_meaningful = false;  ///< the A byte reaches the compositor (depth-32 visual, ARGB wl_shm buffer)
};

/// A window or surface that BGRA8 frames are drawn into, at its top-left corner, unscaled: pixels outside the
/// window are clipped and, if the frame is smaller, the rest of the window is left as it was.
class WindowTarget {
public:
    virtual ~WindowTarget() = default;
    WindowTarget() = default;
    WindowTarget(const WindowTarget&) = delete;
    WindowTarget& operator=(const WindowTarget&) = delete;

    /// The path in use, e.g. "xcb+MIT-SHM", "xcb (no MIT-SHM)", "wayland wl_shm".
    virtual const char* name() const = 0;

    /// Pixel depth and alpha handling of the window.
    virtual PixelInfo pixel_info() const = 0;

    /// Window size now: 0x0 when zero-sized, kUndefinedExtent where the platform has none (Wayland), nullopt when
    /// the window is gone or the connection broke. Costs a round trip on X11.
    [[nodiscard]] virtual std::optional<Extent2D> current_extent() = 0;

    /// Shows a frame by copying it (once) into the display server's shared memory or request stream.
    /// `stride` is the distance between rows in bytes, at least width * 4.
    [[nodiscard]] virtual PresentResult present(const uint8_t* bgra, uint32_t width, uint32_t height,
                                                uint32_t stride) = 0;

    /// Hands out a buffer to decode the next frame straight into (one copy fewer than present()). The buffer is
    /// the caller's until present_buffer() or discard_buffer(); a target has a few buffers (2-3) and answers Busy
    /// when none is free within a bounded wait.
    [[nodiscard]] virtual AcquireResult acquire_buffer(uint32_t width, uint32_t height) = 0;

    /// Shows a buffer from acquire_buffer(); the caller must not touch its pixels afterwards.
    [[nodiscard]] virtual PresentResult present_buffer(const FrameBuffer& buffer) = 0;

    /// Gives an acquired buffer back without showing it (e.g. decoding failed).
    virtual void discard_buffer(const FrameBuffer& buffer) = 0;

    /// True when acquire_buffer() returns memory the display server reads directly (MIT-SHM segment, wl_shm pool).
    virtual bool zero_copy() const = 0;

    /// Number of shared or private frame buffers allocated now (bounded; for logs and tests).
    virtual uint32_t buffer_count() const = 0;

    /// FIFO pacing: waits until the display the window is on has refreshed since the previous wait (X11 Present
    /// MSC notifications, Wayland frame callbacks, DWM compositions), at most `limit`. One frame shown per wait
    /// gives one frame per refresh, as the local driver's FIFO would. A frame operation (same thread).
    [[nodiscard]] virtual RefreshWait wait_for_refresh(std::chrono::milliseconds limit) {
        (void)limit;
        return RefreshWait::NoClock;
    }
};

/// A factory's answer: the target, or why there is none (SurfaceLost: no such window; Error: unsupported visual).
struct TargetResult {
    WsiStatus status = WsiStatus::Ok;
    std::unique_ptr<WindowTarget> target;
};

}  // namespace anarchy::client::wsi
