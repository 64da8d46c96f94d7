// StartLatch: std::latch's count_down / arrive_and_wait on a mutex and a condition variable, for programs that
// start threads together. Not std::latch or std::barrier: without futexes (mingw), GCC 12's libstdc++ waits on
// them by checking the value outside its pool mutex and notifying without taking it, so a waiter that checks
// just before the last arrival's notify sleeps forever. Under Wine, threads_writing hung that way about one run
// in ten (a writer blocked in the barrier after its partner had passed it and exited).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace anarchy::testprog {

/// Single use, like std::latch: opens once `count` arrivals have counted down.
class StartLatch {
public:
    explicit StartLatch(uint32_t count) : left_(count) {}
    StartLatch(const StartLatch&) = delete;
    StartLatch& operator=(const StartLatch&) = delete;

    /// One arrival without waiting (a thread that gives up must still let the others go).
    void count_down() {
        std::lock_guard<std::mutex> lock(mu_);
        if (left_ > 0 && --left_ == 0) open_.notify_all();
    }
    /// Arrives and waits until every arrival has come.
    void arrive_and_wait() {
        std::unique_lock<std::mutex> lock(mu_);
        if (left_ > 0 && --left_ == 0) open_.notify_all();
        open_.wait(lock, [&] { return left_ == 0; });
    }

private:
    std::mutex mu_;
    std::condition_variable open_;
    uint32_t left_;  // guarded by mu_
};

}  // namespace anarchy::testprog
