// Client-side presentation objects: surfaces (the program's windows) and emulated swapchains whose images are
// ordinary images on the server. Frames come back on the runtime's video channel (video_channel.h).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <vulkan/vulkan_core.h>

#include "client/latency.h"
#include "client/wsi/window_target.h"

namespace anarchy::video {
class Decoder;
struct DecodedFrame;
}

namespace anarchy::client {

struct DeviceObject;

/// A VkSurfaceKHR: which window the program draws into. Platform handles are the program's own.
struct SurfaceObject {
    enum class Platform { Xcb, Xlib, Wayland, Win32, Headless };
    Platform platform = Platform::Headless;
    void* connection = nullptr;  ///< xcb_connection_t*, Display*, wl_display* or HINSTANCE
    uint64_t window = 0;         ///< xcb_window_t, Window, wl_surface* or HWND (as an integer)

    std::mutex mu;  ///< guards target
    /// Created on first use; shared with the swapchain presenting into it.
    std::shared_ptr<wsi::WindowTarget> target;
    std::string target_error;  ///< why the target could not be created, if it could not

    /// The window target (created on first call); nullptr for headless surfaces or when creation failed.
    std::shared_ptr<wsi::WindowTarget> window_target();
    /// The window's size now: nullopt when the window is gone; kUndefinedExtent where the platform has none.
    std::optional<VkExtent2D> current_extent();
};

/// A new surface of `platform` (surface.cpp), for the platforms' vkCreate*SurfaceKHR.
VkResult make_surface(SurfaceObject::Platform platform, void* connection, uint64_t window, VkSurfaceKHR* out);
/// Whether the server's queue family can present (capture) at all, whatever the window.
bool queue_family_can_present(VkPhysicalDevice pd, uint32_t family);
/// The present modes every surface offers apart from the shared ones; a swapchain may switch between any of them
/// (surface_maintenance1).
const std::vector<VkPresentModeKHR>& supported_present_modes();
/// VK_KHR_shared_presentable_image's two modes, which every surface offers too; a swapchain of one of them may
/// switch to the other only.
const std::vector<VkPresentModeKHR>& shared_present_modes();
bool is_shared_present_mode(VkPresentModeKHR mode);
/// The window target of a surface of this platform's window systems (surface_linux.cpp, surface_win32.cpp).
wsi::TargetResult make_window_target(const SurfaceObject& surface);

/// Per-image state of an emulated swapchain.
enum class ImageState : uint8_t {
    Free,       ///< may be acquired
    Acquired,   ///< the program owns it
    Presented,  ///< queued for capture on the server (and, in FIFO mode, for display here)
};

/// The shared state of a swapchain: used by the program's threads (acquire, present) and the video channel's
/// receiver thread (releases, frames). Outlives the VkSwapchainKHR while the receiver holds it.
struct SwapchainState {
    ~SwapchainState();
    uint64_t id = 0;
    DeviceObject* device = nullptr;
    SurfaceObject* surface = nullptr;
    VkFormat format = VK_FORMAT_UNDEFINED;
    VkExtent2D extent{};
    /// Set at creation and by presents that switch modes (VK_KHR_swapchain_maintenance1); read by the video
    /// channel's threads.
    std::atomic<VkPresentModeKHR> mode{VK_PRESENT_MODE_FIFO_KHR};
    /// The modes presents may switch between (VkSwapchainPresentModesCreateInfoKHR; the creation mode alone
    /// without it).
    std::vector<VkPresentModeKHR> modes;
    /// FIFO and FIFO_RELAXED: every frame shown, at most one per display refresh. FIFO_LATEST_READY shows the
    /// newest frame ready at each refresh, as MAILBOX does here.
    bool fifo() const {
        VkPresentModeKHR m = mode.load();
        return m == VK_PRESENT_MODE_FIFO_KHR || m == VK_PRESENT_MODE_FIFO_RELAXED_KHR;
    }
    std::vector<uint64_t> images;  ///< image ids
    uint64_t memory = 0;           ///< one allocation backing every image
    /// VK_KHR_shared_presentable_image (fixed at creation): one image, acquired once and kept by the program, which
    /// draws into it while it is shown; each present streams it again.
    bool shared = false;
    /// VK_NV_present_barrier: created with presentBarrierEnable, so its frames are shown in sets with the other
    /// members' (present_barrier.h). Fixed at creation.
    bool present_barrier = false;

    std::mutex mu;  ///< guards everything below
    std::condition_variable changed;
    std::vector<ImageState> state;
    /// Per image: presented in a FIFO mode, so it comes back once its frame is displayed, not when the GPU copied
    /// it (the mode may change between presents).
    std::vector<bool> returns_on_display;
    bool retired = false;    ///< replaced through oldSwapchain, or destroyed
    bool lost = false;       ///< the connection or the window is gone
    bool no_frames = false;  ///< the server has no encoder for it: images return on release only
    uint64_t presents_pending = 0;  ///< presented, not yet displayed or dropped
    /// vkAcquireNextImageKHR calls, how many found no free image at once, and how long those waited: the part of
    /// the program's frame time the stream's hold on images costs it (logged when the swapchain goes).
    uint64_t acquires = 0;
    uint64_t acquires_waited = 0;
    std::chrono::steady_clock::duration acquire_wait{};
    std::optional<VkExtent2D> window_extent;  ///< learnt when the last frame was drawn
    std::map<uint64_t, std::chrono::steady_clock::time_point> present_times;  ///< by present id
    /// VK_KHR_present_id: (our present id, the program's presentId) of presents not yet completed, oldest first.
    std::deque<std::pair<uint64_t, uint64_t>> program_present_ids;
    uint64_t presented_id = 0;  ///< VK_KHR_present_wait: the highest program presentId whose present completed
    /// The queue of the last present (its id and family): SHARED_CONTINUOUS_REFRESH re-captures the image there.
    uint64_t present_queue = 0;
    uint32_t present_family = 0;
    std::chrono::steady_clock::time_point last_capture{};  ///< the last present or refresh sent
    bool stop_refresh = false;  ///< vkDestroySwapchainKHR ends the refresh thread
    /// Our presents up to `through` are done (shown, or passed by a newer frame): their presentIds count as
    /// presented. Call with mu held; wakes vkWaitForPresentKHR.
    void complete_presents(uint64_t through);
    /// The oldest pending present is done (no frames travel: images come back on release only).
    void complete_oldest_present();

    /// Held by the display thread while it draws a frame into the surface: vkDestroySwapchainKHR takes it after
    /// retiring the swapchain, so the surface (which the program may destroy next) is never used afterwards.
    std::mutex display_mu;

    /// Display-thread state: only the video channel's display thread touches these.
    std::unique_ptr<video::Decoder> decoder;
    std::chrono::steady_clock::time_point next_display{};  ///< FIFO at ANARCHY_REFRESH_HZ: the next frame's time
    wsi::RefreshWait last_refresh_wait = wsi::RefreshWait::Refreshed;  ///< logged when it changes
    std::deque<std::chrono::steady_clock::time_point> display_times;  ///< for the HUD's frames per second
    std::chrono::steady_clock::time_point meter_shown{};  ///< when the first frame of the metered batch was shown
    /// A frame arriving in slices (lz4-tiles, protocol::kFrameMoreSlices): each is decoded as it comes into the
    /// window buffer taken at the first (or into `frame` without one); the message that completes it shows it.
    struct SlicedFrame {
        bool active = false;
        bool failed = false;  ///< a slice failed: the rest are skipped, a key frame was asked for
        uint64_t present_id = 0;
        std::shared_ptr<wsi::WindowTarget> target;  ///< where `buffer` came from
        bool into_window = false;
        wsi::FrameBuffer buffer;
        /// The picture when not into a window buffer (shared_ptr: video/decoder.h stays out of this header, whose
        /// includers may have X11's macros).
        std::shared_ptr<video::DecodedFrame> frame;
        uint32_t decode_us = 0;     ///< the slices before the last
        uint64_t holds = 0;         ///< the picture its buffer held when the frame began (video::PictureTarget)
        uint32_t slices = 0;        ///< the slices before the last
        std::chrono::steady_clock::time_point first_received{};  ///< when its first slice arrived
        size_t bytes = 0;
    };
    SlicedFrame sliced;
    /// What the window's buffers still hold (video::PictureTarget::holds): by slot, the buffer as handed out and the
    /// decoder's picture drawn into it; for `held_target` only. `own_picture_holds`: the same for sliced.frame's
    /// picture, where frames go without a window buffer (headless).
    struct HeldPicture {
        wsi::FrameBuffer buffer;
        uint64_t picture = 0;
    };
    std::map<uint32_t, HeldPicture> held;
    std::weak_ptr<wsi::WindowTarget> held_target;
    uint64_t own_picture_holds = 0;
    /// ANARCHY_LAST_FRAME (video_channel.cpp): the last picture shown, BGRA, tightly packed.
    std::vector<uint8_t> last_shown;
    uint32_t last_shown_width = 0, last_shown_height = 0;

    /// VK_NV_present_metering: the presents of a batch (numFramesPerBatch, begun by a present carrying
    /// VkSetPresentConfigNV) are shown evenly spread over the time between batches, measured at the presents.
    struct MeteredPresent {
        uint32_t position = 0;                ///< in its batch; the first is shown as it comes
        std::chrono::microseconds spacing{};  ///< between the batch's frames on screen (0: not known yet)
    };
    uint32_t meter_batch = 0;  ///< frames in the batch in progress (0: none)
    uint32_t meter_next = 0;   ///< the position the next present takes in it
    std::chrono::steady_clock::time_point meter_batch_start{};  ///< the present that began it
    std::chrono::microseconds meter_interval{0};  ///< between batch beginnings, smoothed (0: not measured yet)
    std::map<uint64_t, MeteredPresent> metered;  ///< by our present id, until its frame is handled
    /// A present of this swapchain, under our id `present_id` at `now`, with the VkSetPresentConfigNV it carried (if
    /// any); call with mu held.
    void meter_present(uint64_t present_id, const VkSetPresentConfigNV* config, std::chrono::steady_clock::time_point now);

    /// Marks an image free and wakes acquirers.
    void free_image(uint32_t index);

    /// SHARED_CONTINUOUS_REFRESH_KHR: the presentation engine shows the image's latest contents at every refresh
    /// without further presents. This thread (started for swapchains that may use the mode) asks the server to
    /// capture the image again once per refresh interval after the first present, while the mode is in effect and
    /// the previous frame has been shown (never a queue). Joined by vkDestroySwapchainKHR.
    std::thread refresher;
    void refresh_loop(std::chrono::microseconds interval);

    /// VK_NV_low_latency2 (latency.cpp); guarded by mu.
    LatencyState latency;
};

/// The VkSwapchainKHR handle's object.
struct SwapchainObject {
    std::shared_ptr<SwapchainState> state;
};

}  // namespace anarchy::client
