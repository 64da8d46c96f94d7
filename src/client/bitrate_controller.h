// Video quality that follows the link: the client watches how long frames spend on the way (queueing shows as a
// growing transfer time long before frames are lost) and how fast their bytes arrive, and asks the server's
// encoders for a lower rate when the link falls behind and a higher one, up to the rate the stream started at,
// while it keeps up. Decisions are made on half-second windows of frames, at most one a second. Pure logic: the
// caller feeds it frames and sends what it decides.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace anarchy::client {

class BitrateController {
public:
    using Clock = std::chrono::steady_clock;

    /// A new rate to ask for, or (lossless streams) a video codec to switch to, and why (for the log).
    struct Decision {
        uint32_t kbps = 0;
        bool to_video = false;  ///< lossless frames have queued on the link for kOverloadedToSwitch windows
        std::string why;
    };

    /// One frame arrived: its encoded size, the rate it was encoded at (0 for a lossless codec or constant
    /// quality, which have no rate to move), whether it is lossless, and its time on the link
    /// (FrameTiming::transfer_us). Returns a decision when the rate or the codec should change.
    std::optional<Decision> on_frame(Clock::time_point arrived, uint64_t bytes, uint32_t encoded_kbps,
                                     uint32_t transfer_us, bool lossless = false);

    /// The rate last asked for (or the stream's own before any request); 0 before the first rated frame.
    uint32_t target_kbps() const { return target_; }
    /// The rate the stream started at: the ceiling.
    uint32_t ceiling_kbps() const { return ceiling_; }

    static constexpr std::chrono::milliseconds kWindow{500};
    static constexpr std::chrono::milliseconds kHold{1000};  ///< at least this long between two changes
    /// Lossless frames are given up for a video codec only after queueing this many windows in a row (4 s), by
    /// at least kLosslessQueueingUs: a busy machine delays frames too, but not for that long by that much.
    static constexpr uint32_t kOverloadedToSwitch = 8;
    static constexpr uint32_t kLosslessQueueingUs = 30000;

private:
    std::optional<Decision> judge(Clock::time_point now, bool lossless);

    uint32_t ceiling_ = 0;
    uint32_t floor_ = 0;
    uint32_t target_ = 0;
    Clock::time_point window_start_{};
    std::vector<uint32_t> transfers_;  ///< this window's transfer times, microseconds
    uint64_t window_bytes_ = 0;
    std::deque<uint32_t> medians_;     ///< the last windows' median transfer times (the unloaded one is their min)
    uint32_t calm_windows_ = 0;        ///< consecutive windows near the unloaded transfer time
    uint32_t calm_since_queueing_ = 0; ///< windows since the link last fell behind
    uint32_t limit_seen_ = 0;          ///< kbit/s that got through when the link last fell behind
    uint32_t overloaded_windows_ = 0;  ///< consecutive windows of lossless frames queueing on the link
    Clock::time_point last_change_{};
};

}  // namespace anarchy::client
