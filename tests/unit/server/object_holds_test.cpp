// What deferred work holds: a destroy of a held object is parked and the holder cancelled; the destroy runs once
// the last hold goes, and at once for objects nothing holds.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "server/object_holds.h"
#include "server/wait_pool.h"

namespace anarchy::server {
namespace {

TEST(ObjectHolds, DestroyOfAnUnheldObjectRunsAtOnce) {
    ObjectHolds holds;
    int destroyed = 0;
    EXPECT_FALSE(holds.destroy_or_park(7, [&] { destroyed++; }));
    EXPECT_EQ(destroyed, 1);
    auto h = holds.hold({8});
    EXPECT_FALSE(holds.destroy_or_park(7, [&] { destroyed++; }));
    EXPECT_EQ(destroyed, 2);
    EXPECT_FALSE(h->cancelled());
}

TEST(ObjectHolds, DestroyOfAHeldObjectWaitsForTheLastHoldAndCancelsEachHolder) {
    ObjectHolds holds;
    int destroyed = 0;
    auto first = holds.hold({1, 2});
    auto second = holds.hold_handles(std::vector<uint64_t>{2, 2, 0});
    EXPECT_TRUE(holds.destroy_or_park(2, [&] { destroyed++; }));
    EXPECT_EQ(destroyed, 0);
    EXPECT_EQ(holds.parked(), 1u);
    EXPECT_TRUE(first->cancelled());
    EXPECT_TRUE(second->cancelled());
    first.reset();
    EXPECT_EQ(destroyed, 0);
    second.reset();
    EXPECT_EQ(destroyed, 1);
    EXPECT_EQ(holds.parked(), 0u);
    // The handle is free again: a new object the driver gives the same handle is not parked.
    EXPECT_FALSE(holds.destroy_or_park(2, [&] { destroyed++; }));
    EXPECT_EQ(destroyed, 2);
}

TEST(ObjectHolds, AWaitOnThePoolLetsGoWhenItAnswersSoTheParkedDestroyRuns) {
    ObjectHolds holds;
    WaitPool pool;
    std::atomic<int> destroyed{0};
    std::atomic<bool> answered_cancelled{false};
    auto hold = holds.hold({42});
    PendingWait w;
    w.device = 1;
    w.step = [hold, &answered_cancelled](uint64_t) {
        if (hold->cancelled()) {
            answered_cancelled = true;
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return false;  // a fence that never signals
    };
    hold.reset();  // only the wait holds it now
    pool.add(std::move(w));
    EXPECT_TRUE(holds.destroy_or_park(42, [&] { destroyed++; }));
    for (int i = 0; i < 2000 && destroyed == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_TRUE(answered_cancelled);
    EXPECT_EQ(destroyed, 1);
    EXPECT_EQ(pool.pending(), 0u);
}

}  // namespace
}  // namespace anarchy::server
