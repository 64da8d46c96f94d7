// The session's wait pool: bounded threads whatever is pending, and a wait that never completes does not hold
// the others back.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "server/wait_pool.h"

namespace anarchy::server {
namespace {

using namespace std::chrono_literals;

/// A wait that completes once `released` is set, sleeping up to its slice per step like a driver wait would.
PendingWait gated_wait(std::atomic<bool>& released, std::atomic<int>& finished) {
    PendingWait w;
    w.step = [&released](uint64_t slice_ns) {
        auto end = std::chrono::steady_clock::now() + std::chrono::nanoseconds(slice_ns);
        while (!released.load()) {
            if (std::chrono::steady_clock::now() >= end) return false;
            std::this_thread::sleep_for(100us);
        }
        return true;
    };
    w.finish = [&finished] { finished++; };
    return w;
}

TEST(WaitPool, ManyPendingWaitsNeverTakeMoreThanTheBoundOfThreads) {
    WaitPool pool;
    std::atomic<bool> released{false};
    std::atomic<int> finished{0};
    for (int i = 0; i < 200; ++i) pool.add(gated_wait(released, finished));
    std::this_thread::sleep_for(50ms);
    EXPECT_LE(pool.threads(), WaitPool::kMaxThreads);
    released = true;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (finished.load() < 200 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(finished.load(), 200);
    EXPECT_LE(pool.threads(), WaitPool::kMaxThreads);
}

TEST(WaitPool, AWaitThatNeverCompletesDoesNotBlockLaterOnes) {
    WaitPool pool;
    std::atomic<bool> never{false}, now{true};
    std::atomic<int> stuck_finished{0}, quick_finished{0};
    // More stuck waits than threads: every thread is busy with one when the quick waits arrive.
    for (size_t i = 0; i < WaitPool::kMaxThreads + 2; ++i) pool.add(gated_wait(never, stuck_finished));
    std::this_thread::sleep_for(20ms);
    for (int i = 0; i < 10; ++i) pool.add(gated_wait(now, quick_finished));
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (quick_finished.load() < 10 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(quick_finished.load(), 10) << "quick waits answered while the stuck ones keep waiting";
    EXPECT_EQ(stuck_finished.load(), 0);
    never = true;  // let stop() finish them
    pool.stop();
    EXPECT_EQ(stuck_finished.load(), int(WaitPool::kMaxThreads + 2));
}

TEST(WaitPool, FinishingADeviceAnswersItsWaitsAndLeavesTheOthers) {
    WaitPool pool;
    std::atomic<bool> going{false}, never{false};
    std::atomic<int> device_finished{0}, other_finished{0};
    // Waits on device 1 give up once it is going (as Session::abandoned makes the real ones); device 2's never end.
    for (int i = 0; i < 6; ++i) {
        PendingWait w = gated_wait(going, device_finished);
        w.device = 1;
        pool.add(std::move(w));
        PendingWait o = gated_wait(never, other_finished);
        o.device = 2;
        pool.add(std::move(o));
    }
    std::this_thread::sleep_for(20ms);
    going = true;
    pool.finish_device(1);
    // Every wait on device 1 answered before finish_device returned: none is left running or queued.
    EXPECT_EQ(device_finished.load(), 6);
    EXPECT_EQ(other_finished.load(), 0);
    never = true;
    pool.stop();
    EXPECT_EQ(other_finished.load(), 6);
}

TEST(WaitPool, WaitsAddedAfterStopAreAnsweredAtOnce) {
    WaitPool pool;
    pool.stop();
    std::atomic<bool> done{true};
    std::atomic<int> finished{0};
    pool.add(gated_wait(done, finished));
    EXPECT_EQ(finished.load(), 1);
    EXPECT_EQ(pool.threads(), 0u);
}

}  // namespace
}  // namespace anarchy::server
