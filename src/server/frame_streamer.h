// The server's half of presentation (DESIGN.md decisions 8-10): on a present it captures the swapchain image on
// the GPU after the present's wait semaphores, and a worker thread encodes it and sends it on the session's
// video channel, so frames never delay the command stream. At most a capture ring's worth of frames is in
// flight; in MAILBOX and IMMEDIATE modes a newer captured frame replaces an older one not yet encoded, and while
// the encoder has its fill (captured_ahead_) the newest present waits uncaptured: a newer one replaces it and its
// image goes back to the program unshown, as on a real display, so the GPU copies only frames that get encoded. With
// one frame ahead (the default) the waiting present is captured just before the encoder is expected to be free, so
// the frame it encodes next is as new as it can be without the encoder waiting for it.
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
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <vulkan/vulkan_core.h>

#include "protocol/frame_messages.h"
#include "protocol/capture_families.h"
#include "server/capture/frame_capturer.h"
#include "transport/connection.h"
#include "video/encoder.h"

namespace anarchy::server {

class Session;

/// One image of one swapchain to present.
struct PresentEntry {
    uint64_t swapchain = 0;
    uint32_t image_index = 0;
    uint64_t present_id = 0;
    VkPresentModeKHR present_mode = VK_PRESENT_MODE_FIFO_KHR;  ///< in effect from this present on
};

class FrameStreamer {
public:
    explicit FrameStreamer(Session& session);
    ~FrameStreamer();

    /// A present mode the client's swapchains use (the surfaces' modes, shared presentation's two included).
    static bool known_present_mode(VkPresentModeKHR mode);
    /// VK_KHR_shared_presentable_image: the program keeps the one image and draws into it while it is shown.
    static bool shared_present_mode(VkPresentModeKHR mode) {
        return mode == VK_PRESENT_MODE_SHARED_DEMAND_REFRESH_KHR || mode == VK_PRESENT_MODE_SHARED_CONTINUOUS_REFRESH_KHR;
    }

    /// The client's video connection arrived (called from the server's accept thread).
    void attach(std::unique_ptr<transport::Connection> conn);
    /// The capture families (protocol/capture_families.h) a swapchain's images are shared with.
    struct SharedWith {
        uint32_t copy_family = protocol::kNoFamily;
        uint32_t compute_family = protocol::kNoFamily;
    };
    /// Registers a swapchain whose images the client created. False with *why on bad input.
    bool create_swapchain(VkDevice device, uint64_t id, VkFormat format, VkExtent2D extent, VkPresentModeKHR mode,
                          std::vector<VkImage> images, std::string* why, SharedWith shared_with);
    /// One of the device's own capture queues (server/capture_queue.h); family protocol::kNoFamily: none.
    struct CaptureQueue {
        uint32_t family = protocol::kNoFamily;
        VkQueue queue = VK_NULL_HANDLE;  ///< used by the session thread alone, like the program's queues
    };
    /// The device's capture queues: captures of swapchains shared with their families go there, beside the
    /// program's rendering instead of behind its next frame.
    /// `host_query_reset`: the device has hostQueryReset on, so a copy engine's captures keep GPU timestamps.
    void set_capture_queues(VkDevice device, CaptureQueue copy, CaptureQueue compute, bool host_query_reset);
    /// Stops capturing a swapchain; waits (bounded) for its captures in flight, so its images may be destroyed.
    void destroy_swapchain(uint64_t id);
    /// Captures each entry's image after `waits` on `queue` (the session thread owns the queue).
    bool present(VkQueue queue, uint32_t family, const std::vector<VkSemaphore>& waits,
                 const std::vector<PresentEntry>& entries, std::string* why);
    /// An image is being destroyed: a swapchain presenting it stops first (as destroy_swapchain), so no capture
    /// reads a destroyed image (our client destroys the swapchain first; a misbehaving one may not).
    void forget_image(VkImage image);
    /// Stops capture on a device about to be destroyed (frees its capturers after their frames are done).
    void forget_device(VkDevice device);
    /// Ends the worker and the video channel; called before the session destroys its objects.
    void stop();
    /// Session thread: captures the presents left waiting while the encoder was busy, for swapchains whose
    /// encoder can take a frame again. Called after each batch of commands and, while has_pending(), when
    /// capture_due_in() says (at most a millisecond apart) while the program sends nothing.
    void flush_pending();
    bool has_pending() const { return pending_count_.load() != 0; }
    /// How long until the earliest pending present is due for capture (zero: due now, or after a flush that
    /// could not capture it); a millisecond when no time can be foretold (the encoder's speed not learnt yet).
    /// Only meaningful while has_pending().
    std::chrono::microseconds capture_due_in();

private:
    struct Swapchain {
        uint64_t id = 0;
        VkDevice device = VK_NULL_HANDLE;
        VkFormat format = VK_FORMAT_UNDEFINED;
        VkExtent2D extent{};
        /// Set by each present (VK_KHR_swapchain_maintenance1 switches modes); read by the worker thread.
        std::atomic<VkPresentModeKHR> mode{VK_PRESENT_MODE_FIFO_KHR};
        /// Shared presentation (fixed at creation: presents switch between its two modes only): the image stays in
        /// SHARED_PRESENT_KHR, which reaches this device as GENERAL (WireDecoder::image_layout), and is captured
        /// there; every other swapchain's images are captured in PRESENT_SRC_KHR.
        bool shared = false;
        /// FIFO and FIFO_RELAXED show every frame; the other modes (FIFO_LATEST_READY and the shared ones too) let a
        /// newer frame replace one not yet encoded.
        bool every_frame() const {
            VkPresentModeKHR m = mode.load();
            return m == VK_PRESENT_MODE_FIFO_KHR || m == VK_PRESENT_MODE_FIFO_RELAXED_KHR;
        }
        std::vector<VkImage> images;
        SharedWith shared_with;  ///< see create_swapchain()
        std::unique_ptr<video::Encoder> encoder;  ///< worker thread only
        bool encoder_failed = false;              ///< worker thread only
        uint32_t in_flight = 0;                   ///< jobs queued or being encoded (guarded by mu_)
        /// Frames sent with a picture, and those the client acknowledged as handled: the difference is what the
        /// client has not shown yet. Beyond kMaxUnshown, frames of non-FIFO swapchains are dropped before encoding.
        std::atomic<uint64_t> frames_sent{0};
        std::atomic<uint64_t> frames_handled{0};
        /// The newest present not captured yet (newest-wins modes, one image presented), its wait semaphores
        /// consumed into `ready` (ours; null when it had none). Session thread only, under mu_.
        struct Pending {
            PresentEntry entry;
            VkQueue queue = VK_NULL_HANDLE;
            uint32_t family = 0;
            VkSemaphore ready = VK_NULL_HANDLE;
            /// Ours, waited on before `ready` was signalled: free again once the capture waiting on `ready` is.
            std::vector<VkSemaphore> consumed;
            std::chrono::steady_clock::time_point received;
        };
        std::optional<Pending> pending;
        /// Just-in-time capture (captured_ahead 1): while the worker encodes a frame of this swapchain, when it
        /// started, how long frames took lately, and how long before it is needed a capture must be submitted
        /// (submission to done, behind the program's GPU work: 0.4-1 ms on the H200, 15-20 ms on lavapipe
        /// sharing two cores with the program), so the newest present is captured shortly before the encoder is
        /// free again rather than after (guarded by mu_).
        std::optional<std::chrono::steady_clock::time_point> encode_started;
        std::chrono::steady_clock::time_point capture_submitted;  ///< the newest capture's submission
        uint32_t encode_us_avg = 0;
        uint32_t capture_lead_us = 0;
    };
    static constexpr uint64_t kMaxUnshown = 2;
    /// Frames of a newest-wins swapchain captured ahead of the encoder; a present beyond that waits uncaptured
    /// (Swapchain::pending). The client's StreamSettings::captured_ahead (ANARCHY_CAPTURE_AHEAD there): 1, the
    /// default, captures the newest present just before the encoder is expected to be free (capture_due_locked); 2
    /// keeps one captured frame waiting while another encodes, so a frame waits about one encoding time longer.
    /// Measured on the H200 at 2560x1600, server and program on separate halves of its cores, 1 against 2:
    /// lz4-tiles p50 6.9 against 7.8-8.2 ms, p99 9.5 against 12.5-12.9 ms, 272-274 against 298-315 frames shown a
    /// second; H.264 p50 18.1 against 18.5 ms, 99 against 106 frames a second. (1 without the early capture was
    /// worse than 2 in frames shown: the encoder idled while the next frame was captured.) Those runs took a
    /// capture's GPU time as its lead; on lavapipe sharing two cores with the program, where a capture waits 15-20
    /// ms behind the program's rendering, that showed 1262 of 3000 frames against 2592 with 2. The lead is now
    /// learnt (Swapchain::capture_lead_us) and a frame still being captured counts too: 2477 against 2576 there;
    /// not measured on the H200 since.
    uint32_t captured_ahead_ = 1;  ///< guarded by mu_
    /// Rates a client may ask for (VideoMessage::SetBitrate), kbit/s.
    static constexpr uint32_t kMinBitrateKbps = 100;
    static constexpr uint32_t kMaxBitrateKbps = 1000000;
    struct Job {
        std::shared_ptr<Swapchain> sc;
        capture::FrameCapturer* capturer = nullptr;
        capture::CaptureTicket ticket;
        bool captured = false;  ///< false: dropped at submit, only the release and a dropped notice go out
        bool prepare = false;   ///< no frame: open the swapchain's encoder ahead of its first frame
        /// The semaphore the previous capture of the same present signalled and this one waits on (ours, from
        /// chain_semaphores_), given back once this capture has finished.
        VkSemaphore chain_in = VK_NULL_HANDLE;
        /// More of ours to give back then: those a pending present consumed (Swapchain::Pending::consumed).
        std::vector<VkSemaphore> also_give_back;
        uint32_t slot_wait_us = 0;  ///< present received -> the capture submitted (waiting for a free slot)
        PresentEntry entry;
        std::chrono::steady_clock::time_point received;
        /// When its capture was submitted.
        std::chrono::steady_clock::time_point submitted() const {
            return received + std::chrono::microseconds(slot_wait_us);
        }
    };

    capture::FrameCapturer* capturer_for(VkDevice device, uint32_t family, std::string* why);
    /// The capturer of one of the device's capture queues, and that queue in *queue, when this capture may run
    /// there: the capture waits on semaphores (on another queue they alone order it after the rendering), the image
    /// is not a shared presentable one (drawn into while captured) and is shared with the queue's family: the copy
    /// engine for a plain copy, asynchronous compute for one that converts (a copy engine has no shaders) or where
    /// there is no copy engine. Null: capture on the program's queue.
    capture::FrameCapturer* own_queue_capturer(const Swapchain& sc, bool after_semaphores, capture::OutputFormat want,
                                               VkQueue* queue);
    /// Waits (bounded) for the client's stream settings; nullopt if they never came.
    std::optional<protocol::StreamSettings> settings(std::chrono::milliseconds limit);
    void read_loop();
    /// Runs one of the streamer's thread bodies; an exception ends the session, not the process.
    void guarded(void (FrameStreamer::*loop)());
    void work_loop();
    void process(Job& job, uint32_t queued_us);
    /// Opens the swapchain's encoder if it has none yet and tells the client which one (worker thread).
    void open_encoder(Swapchain& sc);
    /// Moves the swapchain's encoder to the codec and rate the client asked for last, reopening it where it
    /// cannot change in place (worker thread). False if no encoder could be opened again.
    bool apply_client_requests(Swapchain& sc);
    /// Answers a LinkProbe: `bytes` of incompressible filler (reader thread).
    void send_probe(uint32_t bytes);
    /// A message with a payload (`extra`: a frame's slice, a probe) is sent before this returns; one without goes
    /// through the outbox and may be sent by another thread a little later (see send_mu_).
    void send(transport::FrameType type, const protocol::WireEncoder& e, const uint8_t* extra = nullptr,
              size_t extra_size = 0);
    /// The header every message about this job's frame starts from.
    static protocol::FrameHeader header_of(const Job& job);
    /// Tells the client a frame will not come (its stage times, if any, still travel).
    void send_dropped(protocol::FrameHeader h);
    void send_release_and_drop(const Job& job);
    /// Gives up a frame: waits for its capture (the image is read no longer), frees the slot, tells the client.
    void drop(Job& job);
    /// Frees a capture slot for a non-FIFO swapchain by dropping its oldest frame the worker has not started.
    bool drop_oldest_queued(const std::shared_ptr<Swapchain>& sc);
    /// Consumes binary wait semaphores without capturing (a frame dropped before the GPU saw it), signalling
    /// `signal` after them if given (the next capture of the present waits on it).
    void consume_waits(VkQueue queue, const std::vector<VkSemaphore>& waits, VkSemaphore signal = VK_NULL_HANDLE);
    /// Binary semaphores chaining the captures of one present (see present()): taken, given back when the capture
    /// waiting on one finished, destroyed when the device is forgotten.
    VkSemaphore take_chain_semaphore(VkDevice device);
    void give_back_chain_semaphore(VkDevice device, VkSemaphore s);
    /// What the capture produces for the stream the client asked for.
    static capture::OutputFormat capture_format(const std::optional<protocol::StreamSettings>& s);
    /// Gives back a finished capture's chain_in and also_give_back.
    void give_back_semaphores(const Job& job);
    /// A present that will not be captured (replaced by a newer one, or its swapchain going): its image goes back
    /// to the program and the client learns the frame is dropped. Its semaphores are the caller's to consume.
    void release_pending(uint64_t swapchain, const Swapchain::Pending& p);
    /// Takes a swapchain's pending present out (session thread); nullopt if none.
    std::optional<Swapchain::Pending> take_pending(Swapchain& sc);
    void destroy_chain_semaphores_locked(VkDevice device);
    /// Hands a job to the worker: counts it in flight and, for a capture, notes when it was submitted.
    void queue_job(Job job);
    /// Whether the swapchain's pending present may be captured now (mu_ held): the encoder has room for it
    /// (captured_ahead_), or, with one frame ahead, the frame it encodes is expected to be done within the time a
    /// capture takes plus kJitMarginUs.
    bool capture_due_locked(const Swapchain& sc, std::chrono::steady_clock::time_point now) const {
        auto due = capture_due_at_locked(sc);
        return due && *due <= now;
    }
    /// When the swapchain's pending present becomes due (time_point::min(): now); nullopt when nothing but the
    /// encoder finishing a frame makes it due.
    std::optional<std::chrono::steady_clock::time_point> capture_due_at_locked(const Swapchain& sc) const;
    /// How early a just-in-time capture starts beyond the capture's own learnt time: the session thread's wake-up
    /// and the encoder's variation from frame to frame. ANARCHY_CAPTURE_MARGIN_US (0-5000) sets it.
    static constexpr uint32_t kDefaultJitMarginUs = 250;
    const uint32_t jit_margin_us_;

    Session& session_;
    std::mutex mu_;  ///< guards everything below except where noted
    std::condition_variable cv_;
    std::unique_ptr<transport::Connection> conn_;
    std::optional<protocol::StreamSettings> settings_;
    std::map<uint64_t, std::shared_ptr<Swapchain>> swapchains_;
    std::map<std::pair<VkDevice, uint32_t>, std::unique_ptr<capture::FrameCapturer>> capturers_;
    struct CaptureQueues {
        CaptureQueue copy, compute;
        bool host_query_reset = false;
    };
    std::map<VkDevice, CaptureQueues> capture_queues_;
    std::set<std::pair<VkDevice, uint32_t>> announced_capture_queues_;  ///< (device, family) said on the log
    std::deque<Job> jobs_;
    struct ChainSemaphores {
        std::vector<VkSemaphore> all;   ///< every one created for the device
        std::vector<VkSemaphore> free;  ///< unsignalled, no wait pending
    };
    std::map<VkDevice, ChainSemaphores> chain_semaphores_;
    bool stopping_ = false;
    std::atomic<bool> keyframe_wanted_{false};
    std::atomic<uint32_t> bitrate_wanted_kbps_{0};  ///< the client's last SetBitrate; 0: none yet
    std::atomic<uint32_t> codec_wanted_{0};         ///< the client's last SwitchCodec as CodecKind + 1; 0: none
    std::atomic<uint32_t> pending_count_{0};        ///< swapchains with a pending present
    uint64_t frames_encoded_ = 0;  ///< worker thread only
    std::thread reader_;
    std::thread worker_;
    /// One message at a time on the video connection. The worker holds it while a frame's slice goes out (0.2-1 ms
    /// at 2560x1600, longer while the client's socket is full); the session thread must never wait that long (it
    /// would hold back the program's commands: the program ran at 0.49x native in MAILBOX while every replaced
    /// present waited here to send its image's release), so small messages go through the outbox.
    std::mutex send_mu_;
    struct Outgoing {
        transport::FrameType type;
        std::vector<uint8_t> bytes;
    };
    /// Small messages (releases, drop notices, encoder choices) not sent yet: whoever holds send_mu_ sends them
    /// before letting it go, in the order they were posted. A sender that finds it held leaves its message here
    /// and goes on; beyond kMaxOutbox it waits, so a client that stops reading cannot grow it without bound.
    std::mutex outbox_mu_;
    std::deque<Outgoing> outbox_;
    static constexpr size_t kMaxOutbox = 4096;
    void send_outbox(transport::Connection& conn);
    /// Sends the outbox, lets go of send_mu_, and sends again if more was posted meanwhile and it is free.
    void send_outbox_and_unlock(transport::Connection& conn, std::unique_lock<std::mutex>& sending);
};

}  // namespace anarchy::server
