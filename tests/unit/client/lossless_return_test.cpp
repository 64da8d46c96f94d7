// The way back to lossless frames, on made-up arrivals: no probe before the stream moved to a video codec nor
// before the wait; a probe sized to the lossless frames' rate; a link that carries too little keeps the video
// codec and doubles the wait; one that carries enough brings lossless back, and the next return waits longer.
#include "client/lossless_return.h"

#include <gtest/gtest.h>

namespace anarchy::client {
namespace {

using Clock = LosslessReturn::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct Stream {
    LosslessReturn r;
    Clock::time_point now = Clock::time_point{} + std::chrono::hours(1);
    std::optional<uint32_t> probe;

    /// Frames of `bytes` at 60 frames/s for `duration`; stops at the first probe asked for.
    void frames(milliseconds duration, uint64_t bytes, bool lossless) {
        const auto end = now + duration;
        while (now < end && !probe) {
            now += std::chrono::microseconds(16667);
            r.on_frame(now, bytes, lossless);
            probe = r.probe_due(now);
        }
    }
};

TEST(LosslessReturn, NoProbeWhileLosslessOrBeforeTheWait) {
    Stream s;
    s.frames(seconds(3), 200000, true);  // 200 KB lossless frames at 60/s: 96 Mbit/s
    EXPECT_FALSE(s.probe) << "a lossless stream is not probed";
    EXPECT_FALSE(s.r.waiting());
    s.r.on_switched_to_video(s.now);
    s.frames(LosslessReturn::kFirstWait - seconds(1), 20000, false);
    EXPECT_FALSE(s.probe) << "probed before the first wait was over";
    s.frames(seconds(2), 20000, false);
    ASSERT_TRUE(s.probe);
    // About 10 ms of 96 Mbit/s with the margin: 156 KB.
    EXPECT_GE(*s.probe, LosslessReturn::kSmallestProbe);
    EXPECT_NEAR(double(*s.probe), 200000.0 * 60 * 1.3 * 0.010, 20000);
    EXPECT_FALSE(s.r.probe_due(s.now)) << "a second probe while one is out";
}

TEST(LosslessReturn, ASlowLinkKeepsTheVideoCodecAndWaitsLongerEachTime) {
    Stream s;
    s.frames(seconds(2), 200000, true);
    s.r.on_switched_to_video(s.now);
    s.frames(seconds(10), 20000, false);
    ASSERT_TRUE(s.probe);
    // 50 Mbit/s: the probe takes its size * 8 / 50e6 seconds; frames beside it count as carried too.
    const uint32_t bytes = *s.probe;
    const auto took = std::chrono::microseconds(int64_t(bytes * 8 / 50e6 * 1e6));
    auto v = s.r.on_probe_data(s.now + took, bytes);
    ASSERT_TRUE(v);
    EXPECT_FALSE(v->back_to_lossless) << v->why;
    EXPECT_TRUE(s.r.waiting());
    EXPECT_EQ(s.r.wait(), 2 * LosslessReturn::kFirstWait);
    EXPECT_FALSE(s.r.on_probe_data(s.now + took, bytes)) << "a verdict without a probe out";
    s.now += took;
    s.probe.reset();
    s.frames(2 * LosslessReturn::kFirstWait - seconds(1), 20000, false);
    EXPECT_FALSE(s.probe) << "probed again before the doubled wait";
    s.frames(seconds(2), 20000, false);
    EXPECT_TRUE(s.probe);
}

TEST(LosslessReturn, AFastLinkBringsLosslessBackAndTheNextReturnWaitsLonger) {
    Stream s;
    s.frames(seconds(2), 200000, true);
    s.r.on_switched_to_video(s.now);
    s.frames(seconds(10), 20000, false);
    ASSERT_TRUE(s.probe);
    const uint32_t bytes = *s.probe;
    // 1 Gbit/s.
    auto v = s.r.on_probe_data(s.now + std::chrono::microseconds(int64_t(bytes * 8 / 1e9 * 1e6)), bytes);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->back_to_lossless) << v->why;
    EXPECT_FALSE(s.r.waiting());
    EXPECT_NE(v->why.find("lossless frames need"), std::string::npos) << v->why;
    // Lossless again, then too slow again: the next probe waits twice as long as the first did.
    s.probe.reset();
    s.frames(seconds(2), 200000, true);
    EXPECT_FALSE(s.probe);
    s.r.on_switched_to_video(s.now);
    s.frames(LosslessReturn::kFirstWait + seconds(1), 20000, false);
    EXPECT_FALSE(s.probe) << "a link that changes often is probed as often as the first time";
    s.frames(LosslessReturn::kFirstWait, 20000, false);
    EXPECT_TRUE(s.probe);
}

TEST(LosslessReturn, NoFramesNoProbe) {
    Stream s;
    s.r.on_switched_to_video(s.now);  // never saw a lossless frame: nothing to compare the link with
    s.frames(seconds(10), 20000, false);
    EXPECT_FALSE(s.probe);
}

}  // namespace
}  // namespace anarchy::client
