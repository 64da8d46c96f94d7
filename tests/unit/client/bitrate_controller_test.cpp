// The bitrate controller on made-up frame arrivals: a link that keeps up leaves the rate alone, a link that falls
// behind brings it down within a couple of seconds to what gets through, and once the limit goes the rate climbs
// back to where the stream started, never past it.
#include "client/bitrate_controller.h"

#include <gtest/gtest.h>

namespace anarchy::client {
namespace {

using Clock = BitrateController::Clock;
using std::chrono::milliseconds;

// Feeds frames encoded at the controller's current target for `duration`. The link carries `link_kbps` (0:
// unlimited): a frame of bytes b takes b*8/link ms on it, and frames that come faster than that queue behind one
// another, up to `max_queued` of them (the swapchain's images bound how far ahead the program gets).
struct Link {
    BitrateController controller;
    Clock::time_point now = Clock::time_point{} + std::chrono::hours(1);
    uint32_t encoded_kbps = 8000;  ///< what the server encodes at (follows the decisions)
    std::vector<uint32_t> decisions;

    void run(milliseconds duration, uint32_t link_kbps, uint32_t fps = 60) {
        const auto end = now + duration;
        const auto interval = std::chrono::microseconds(1000000 / fps);
        double queue_ms = 0;  // backlog on the link when the next frame is sent
        while (now < end) {
            const uint64_t bytes = uint64_t(encoded_kbps) * 1000 / 8 / fps;
            double on_link_ms = 1.0;  // unloaded: about a millisecond
            auto step = interval;
            if (link_kbps) {
                const double send_ms = double(bytes) * 8 / link_kbps;
                on_link_ms += queue_ms + send_ms;
                // The program is held back by images that come back only as frames arrive.
                const double frame_ms = std::max(1000.0 / fps, send_ms);
                queue_ms = std::min(queue_ms + send_ms - 1000.0 / fps, 3 * send_ms);
                if (queue_ms < 0) queue_ms = 0;
                step = std::chrono::microseconds(int64_t(frame_ms * 1000));
            }
            now += step;
            if (auto d = controller.on_frame(now, bytes, encoded_kbps, uint32_t(on_link_ms * 1000))) {
                decisions.push_back(d->kbps);
                encoded_kbps = d->kbps;
                EXPECT_FALSE(d->why.empty());
            }
        }
    }
};

TEST(BitrateController, LinkThatKeepsUpLeavesTheRateAlone) {
    Link l;
    l.run(milliseconds(20000), 0);
    EXPECT_TRUE(l.decisions.empty());
    EXPECT_EQ(l.controller.target_kbps(), 8000u);
    EXPECT_EQ(l.controller.ceiling_kbps(), 8000u);
}

TEST(BitrateController, LosslessStreamsHaveNoRate) {
    BitrateController c;
    auto t = Clock::now();
    for (int i = 0; i < 600; ++i) EXPECT_FALSE(c.on_frame(t += milliseconds(16), 500000, 0, 90000));
    EXPECT_EQ(c.target_kbps(), 0u);
}

TEST(BitrateController, FallsToWhatTheLinkCarriesThenClimbsBack) {
    Link l;
    l.run(milliseconds(3000), 0);
    ASSERT_TRUE(l.decisions.empty());
    // The link now carries 2 Mbit/s: within 3 s the rate is below it.
    l.run(milliseconds(3000), 2000);
    ASSERT_FALSE(l.decisions.empty());
    EXPECT_LT(l.controller.target_kbps(), 2000u);
    // It stays near the link's rate while the limit lasts (never below the floor, no collapse).
    l.run(milliseconds(10000), 2000);
    EXPECT_LT(l.controller.target_kbps(), 2300u);
    EXPECT_GT(l.controller.target_kbps(), 900u);
    const uint32_t limited = l.controller.target_kbps();
    // The limit goes: back up to the starting rate within 15 s, and never past it.
    l.decisions.clear();
    l.run(milliseconds(15000), 0);
    EXPECT_EQ(l.controller.target_kbps(), 8000u) << "from " << limited;
    for (size_t i = 1; i < l.decisions.size(); ++i) EXPECT_GE(l.decisions[i], l.decisions[i - 1]);
    for (uint32_t d : l.decisions) EXPECT_LE(d, 8000u);
}

TEST(BitrateController, LosslessFramesThatQueueMoveToVideoOnlyAfterFourSeconds) {
    BitrateController c;
    auto t = Clock::now();
    // A busy machine: frames late by up to 20 ms now and then never make the stream give up lossless.
    for (int i = 0; i < 1200; ++i) {
        auto d = c.on_frame(t += milliseconds(16), 200000, 0, i % 7 == 0 ? 21000 : 1000, true);
        EXPECT_FALSE(d) << "frame " << i;
    }
    // The link falls behind for good: 120 ms on it (frames queue behind one another).
    int switched_after = -1;
    for (int i = 0; i < 600 && switched_after < 0; ++i) {
        if (auto d = c.on_frame(t += milliseconds(40), 200000, 0, 120000, true)) {
            EXPECT_TRUE(d->to_video);
            EXPECT_NE(d->why.find("lossless"), std::string::npos);
            switched_after = i;
        }
    }
    // Eight half-second windows of 40 ms frames: about 100 frames, not fewer.
    EXPECT_GE(switched_after, 95);
    EXPECT_LE(switched_after, 130);
}

TEST(BitrateController, AtMostOneChangeASecond) {
    Link l;
    l.run(milliseconds(2000), 0);
    const size_t before = l.decisions.size();
    l.run(milliseconds(5000), 300);
    EXPECT_LE(l.decisions.size() - before, 5u);
    EXPECT_GE(l.controller.target_kbps(), 250u);  // the floor: a thirty-second of the start, at least 250
}

}  // namespace
}  // namespace anarchy::client
