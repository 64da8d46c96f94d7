// The way back to lossless frames: a `--codec auto` stream that moved to a video codec because its lossless frames
// did not fit the link asks, from time to time, whether the link would carry them now. It times a link probe
// (bytes the server sends on the video channel between frames) and compares what came through with what the
// lossless frames needed: their size before the switch times the frame rate now. The first probe waits a few
// seconds after the switch; each probe that finds the link still too slow doubles the wait (up to a minute), and
// so does each return, so a link that keeps changing is not probed or switched back and forth every few seconds.
// Probes are small: about 10 ms of the lossless frames' rate, at least 64 KiB, so a slow link is held up briefly.
// Pure logic, fed by the video channel's receiver thread; not thread-safe by itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace anarchy::client {

class LosslessReturn {
public:
    using Clock = std::chrono::steady_clock;

    /// A frame arrived on the video channel: its encoded bytes and whether it is lossless.
    void on_frame(Clock::time_point arrived, uint64_t bytes, bool lossless);
    /// The stream moved to a video codec because its lossless frames did not fit: probing starts after the wait.
    void on_switched_to_video(Clock::time_point now);
    /// The bytes of a probe to ask the server for now, if one is due (then it counts as sent at `now`).
    std::optional<uint32_t> probe_due(Clock::time_point now);

    struct Verdict {
        bool back_to_lossless = false;
        std::string why;  ///< for the log: what the link carried against what lossless frames need
    };
    /// The probe's bytes arrived. A verdict when a probe was outstanding; probing stops after a return.
    std::optional<Verdict> on_probe_data(Clock::time_point arrived, uint64_t bytes);

    /// A video stream that may still go back to lossless.
    bool waiting() const { return waiting_; }
    /// What lossless frames need at the current frame rate, kbit/s (0 while unknown).
    double lossless_kbps(Clock::time_point now) const;
    /// The wait before the next probe (doubles after each failed probe and each return).
    std::chrono::seconds wait() const { return wait_; }

    static constexpr std::chrono::seconds kFirstWait{5};
    static constexpr std::chrono::seconds kLongestWait{60};
    /// The link must carry this much more than lossless frames need: they vary with the picture.
    static constexpr double kMargin = 1.3;
    static constexpr uint32_t kSmallestProbe = 64u << 10;
    static constexpr uint32_t kLargestProbe = 4u << 20;

private:
    double frames_per_second(Clock::time_point now) const;

    double lossless_bytes_ = 0;           ///< running average of lossless frame sizes
    std::deque<Clock::time_point> arrivals_;  ///< frames of the last second
    bool waiting_ = false;
    std::chrono::seconds wait_ = kFirstWait;
    Clock::time_point next_probe_{};
    bool probing_ = false;
    Clock::time_point probe_sent_{};
    uint32_t probe_bytes_ = 0;
    uint64_t bytes_during_probe_ = 0;  ///< frame bytes that shared the link with the probe
};

}  // namespace anarchy::client
