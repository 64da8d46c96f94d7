// The waits a session answers later (fences, semaphores, idle queues, query results), served by a few threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace anarchy::server {

/// What is left of a wait's timeout (the program's timeout counts from when the server got the wait).
class WaitDeadline {
public:
    explicit WaitDeadline(uint64_t timeout_ns) : timeout_ns_(timeout_ns), start_(std::chrono::steady_clock::now()) {}
    uint64_t left_ns() const {
        auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_);
        uint64_t e = static_cast<uint64_t>(elapsed.count());
        return timeout_ns_ > e ? timeout_ns_ - e : 0;
    }
    /// The timeout to give the driver for this slice, and whether the slice ends the whole wait when it times out.
    uint64_t slice(uint64_t slice_ns, bool& last) const {
        uint64_t left = left_ns();
        last = left <= slice_ns;
        return last ? left : slice_ns;
    }

private:
    uint64_t timeout_ns_;
    std::chrono::steady_clock::time_point start_;
};

/// One pending wait. step(slice_ns) waits at most slice_ns in the driver and returns true once the wait is over
/// (it has then written its reply body); false means "not yet, call me again".
struct PendingWait {
    uint32_t seq = 0;
    bool wants_reply = false;
    uint64_t device = 0;  ///< the VkDevice whose objects it waits on (0: none), for WaitPool::finish_device
    std::function<bool(uint64_t slice_ns)> step;
    std::function<void()> finish;  ///< sends the reply; runs on a pool thread after step returned true
};

/// A bounded pool: at most kMaxThreads threads whatever the session does. Each thread takes the oldest wait and
/// gives it one slice; an unfinished wait goes to the back of the queue, so a wait that never completes delays
/// the others by at most one slice per turn and never holds a thread for good. Threads start on demand and live
/// until the pool stops.
class WaitPool {
public:
    static constexpr size_t kMaxThreads = 4;
    /// The slice a wait gets while no other wait is queued, and while others are.
    static constexpr uint64_t kLongSliceNs = 50'000'000;
    static constexpr uint64_t kShortSliceNs = 1'000'000;

    WaitPool() = default;
    ~WaitPool() { stop(); }
    WaitPool(const WaitPool&) = delete;
    WaitPool& operator=(const WaitPool&) = delete;

    void add(PendingWait w);
    /// Stops taking waits, lets each queued wait finish its current slice, and joins the threads. The steps must
    /// notice the session is closing (they then answer VK_ERROR_DEVICE_LOST at once).
    void stop();
    /// Answers every wait on `device` before it is destroyed: lets a slice in progress end, then steps each of
    /// its waits until it answers. The steps must notice the device is going (Session::abandoned); waits of
    /// other devices carry on.
    void finish_device(uint64_t device);
    size_t threads() const;
    size_t pending() const;

private:
    void run();

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<PendingWait> queue_;  ///< guarded by mu_
    std::vector<std::thread> threads_;  ///< guarded by mu_
    size_t idle_ = 0;                ///< threads waiting for work; guarded by mu_
    std::multiset<uint64_t> running_;  ///< devices of the waits threads are stepping or finishing; guarded by mu_
    std::condition_variable ran_;    ///< notified when a thread puts a wait down
    bool stopping_ = false;          ///< guarded by mu_
};

}  // namespace anarchy::server
