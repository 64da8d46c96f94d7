// Per-frame latency of every stage, measured where it happens (no clock is shared with the server): a CSV row per
// frame when ANARCHY_STATS_CSV names a file (`anarchy run --stats FILE` sets it), and the numbers the HUD shows.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include "protocol/frame_messages.h"

namespace anarchy::client {

/// One displayed (or dropped) frame, all durations in microseconds.
struct FrameTiming {
    uint64_t swapchain = 0;
    uint64_t present_id = 0;
    uint32_t width = 0, height = 0;
    std::string codec;
    uint64_t bytes = 0;
    bool keyframe = false;
    bool dropped = false;
    protocol::ServerStageTimes server;
    uint32_t transfer_us = 0;  ///< present call -> frame received, minus the server's stages: link and queues
    uint32_t decode_us = 0;    ///< every packet of the frame (the slices decoded as they came included)
    uint32_t decode_last_us = 0;  ///< the packet that completed the frame: decoding after its last byte arrived
    uint32_t slices = 1;          ///< packets the frame came in
    uint32_t first_packet_us = 0; ///< vkQueuePresentKHR -> the frame's first packet received
    uint32_t last_packet_us = 0;  ///< vkQueuePresentKHR -> its last packet received
    uint32_t wait_us = 0;      ///< last packet's arrival -> drawing, its decode excluded: queued behind other frames, FIFO pacing
    uint32_t present_us = 0;   ///< drawing into the window (pacing wait excluded)
    uint32_t total_us = 0;     ///< vkQueuePresentKHR -> the frame is in the window
    uint32_t bitrate_kbps = 0; ///< the rate the frame was encoded at; 0 for lossless codecs
};

class FrameStats {
public:
    /// Opens the CSV named by ANARCHY_STATS_CSV, if set (appending: several swapchains or processes may share it).
    void open_from_environment();
    void record(const FrameTiming& t);
    ~FrameStats();

    /// The CSV header line (also used by `anarchy run` to read the file back).
    static const char* csv_header();

private:
    std::mutex mu_;
    std::FILE* file_ = nullptr;
};

}  // namespace anarchy::client
