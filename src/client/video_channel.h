// The client end of a session's video channel: a second connection on which the server streams presented frames.
// One receiver thread decodes each frame, paces it (FIFO) and draws it into the swapchain's window, then returns
// the image to the swapchain. Per-frame stage durations go to the stats file and the HUD.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "client/bitrate_controller.h"
#include "client/frame_stats.h"
#include "client/lossless_return.h"
#include "client/wsi_objects.h"
#include "protocol/frame_messages.h"
#include "transport/connection.h"
#include "video/decoder.h"

namespace anarchy::client {

class VideoChannel {
public:
    /// Connects to the server's session `token` and sends the stream settings (from ANARCHY_CODEC,
    /// ANARCHY_BITRATE, ANARCHY_QUALITY, ANARCHY_HW_ENCODE). nullptr with *error on failure.
    static std::unique_ptr<VideoChannel> open(const std::string& address, uint64_t token, std::string* error);
    ~VideoChannel();

    void add(const std::shared_ptr<SwapchainState>& sc);
    void remove(uint64_t swapchain);
    /// Waits (bounded) until every frame presented to the swapchain has been displayed or dropped.
    void drain(SwapchainState& sc, std::chrono::milliseconds limit);
    bool alive() const { return !lost_.load(); }
    void close();

private:
    VideoChannel() = default;
    void receive_loop();
    bool handle(transport::Frame& f, std::string& why);
    /// Display thread: decodes, paces and draws frames in arrival order.
    void display_loop();
    void on_frame(SwapchainState& sc, const protocol::FrameHeader& h, const uint8_t* data, size_t size,
                  std::chrono::steady_clock::time_point received);
    /// A slice of a frame with more to come (protocol::kFrameMoreSlices): decoded into sc.sliced's picture.
    void on_slice(SwapchainState& sc, const protocol::FrameHeader& h, const uint8_t* data, size_t size,
                  std::chrono::steady_clock::time_point received);
    /// Gives back the window buffer of a sliced frame that will not be completed (sc.display_mu held).
    void abandon_slices(SwapchainState& sc);
    /// FIFO pacing before a frame is shown: the window's refresh clock, else ANARCHY_REFRESH_HZ, else none.
    void pace_fifo(SwapchainState& sc, wsi::WindowTarget* target);
    /// VK_NV_present_metering: holds a batch's later frame until its even share of the batch's time has passed.
    void pace_metered(SwapchainState& sc, const SwapchainState::MeteredPresent& m);
    void request_keyframe(uint64_t swapchain);
    /// Receiver thread: a frame of `bytes` arrived; sends a link probe when one is due.
    void note_arrival(const protocol::FrameHeader& h, size_t bytes, std::chrono::steady_clock::time_point received);
    /// Receiver thread: a link probe's bytes arrived; may decide to go back to lossless frames.
    void on_probe_data(uint64_t bytes, std::chrono::steady_clock::time_point received);
    /// Feeds a frame to the bitrate controller and sends the server what it decides (display thread).
    void adapt_bitrate(std::chrono::steady_clock::time_point received, size_t bytes, const protocol::FrameHeader& h,
                       uint32_t transfer_us);
    /// Opens a decoder for the stream unless the swapchain has one that fits (display thread, sc.display_mu held).
    void ensure_decoder(SwapchainState& sc, uint32_t codec, uint32_t width, uint32_t height);
    void mark_all_lost();
    /// Where a frame is decoded: the window's buffer, or else the frame's own picture (sized already).
    static video::PictureTarget picture_target(bool into_window, const wsi::FrameBuffer& buffer,
                                               video::DecodedFrame& frame, uint32_t width, uint64_t holds);
    /// One of the window's buffers to decode a frame into, and in `holds` the picture it holds already; false when the
    /// target hands none out. sc.display_mu held.
    bool take_window_buffer(SwapchainState& sc, const std::shared_ptr<wsi::WindowTarget>& target, uint32_t width,
                            uint32_t height, wsi::FrameBuffer& buffer, uint64_t& holds);
    /// Tiles unchanged since the picture a target holds are left alone (never with the HUD, which draws on it).
    bool reuse_tiles() const { return tile_reuse_ && !hud_; }
    /// The picture a window buffer still holds (0: unknown; always 0 with the HUD, which draws over the picture),
    /// and noting what one holds now (picture 0: unknown, e.g. a frame begun in it). sc.display_mu held.
    uint64_t held_picture(SwapchainState& sc, const std::shared_ptr<wsi::WindowTarget>& target,
                          const wsi::FrameBuffer& buffer) const;
    void note_held(SwapchainState& sc, const std::shared_ptr<wsi::WindowTarget>& target, const wsi::FrameBuffer& buffer,
                   uint64_t picture);
    /// ANARCHY_LAST_FRAME: writes the swapchain's last shown picture there (binary PPM) as it goes.
    void write_last_frame(SwapchainState& sc);
    std::string last_frame_path_;
    bool tile_reuse_ = true;  ///< ANARCHY_TILE_REUSE=0: every tile is written again (for comparisons)

    std::unique_ptr<transport::Connection> conn_;
    std::string codec_;  ///< the codec asked of the server, to open decoders before the first frame
    std::thread receiver_;
    std::thread display_;
    /// Frames received, waiting for the display thread (bounded by the swapchains' image counts: the server
    /// sends at most one frame per presented image, and images come back only as frames are handled).
    struct Arrived {
        std::shared_ptr<SwapchainState> sc;
        protocol::FrameHeader header;
        transport::Frame frame;
        size_t offset = 0;  ///< where the payload starts in frame
        size_t size = 0;
        std::chrono::steady_clock::time_point received;
        bool prepare = false;  ///< no frame: open the swapchain's decoder ahead of its first frame
    };
    std::mutex queue_mu_;
    std::condition_variable queue_cv_;
    std::deque<Arrived> queue_;
    /// The queued entry to handle next (queue_mu_ held): the oldest the present barrier does not hold back.
    std::deque<Arrived>::iterator next_ready_locked();
    bool receiver_done_ = false;
    size_t slice_bytes_ = 0;  ///< receiver thread: bytes of the slices of the frame arriving, before its last
    std::atomic<bool> lost_{false};
    std::atomic<bool> closing_{false};
    std::mutex mu_;  ///< guards swapchains_
    std::map<uint64_t, std::shared_ptr<SwapchainState>> swapchains_;
    bool hud_ = false;
    bool adaptive_bitrate_ = true;  ///< ANARCHY_ADAPTIVE_BITRATE=0 keeps the rate the stream started at
    bool auto_codec_ = false;       ///< `--codec auto` chose lossless: it may still move to a video codec (display thread)
    BitrateController bitrate_;     ///< display thread only
    /// Whether an auto stream moved to a video codec may go back to lossless (receiver thread times the probes).
    std::mutex return_mu_;
    LosslessReturn lossless_return_;          ///< guarded by return_mu_
    std::atomic<bool> back_to_lossless_{false};  ///< set by the receiver, carried out by the display thread
    /// ANARCHY_REFRESH_HZ: FIFO's rate on displays without a refresh clock; 0 (unset) shows frames as they come.
    std::chrono::microseconds refresh_interval_{0};
    FrameStats stats_;
};

}  // namespace anarchy::client
