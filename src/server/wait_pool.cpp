#include "server/wait_pool.h"

#include "common/thread_name.h"

namespace anarchy::server {

void WaitPool::add(PendingWait w) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (!stopping_) {
            queue_.push_back(std::move(w));
            if (idle_ == 0 && threads_.size() < kMaxThreads) threads_.emplace_back([this] {
                set_thread_name("anarchy-wait");
                run();
            });
            cv_.notify_one();
            return;
        }
    }
    // The session is ending: answer here (the step sees the session closing and gives up at once).
    while (!w.step(0)) {
    }
    if (w.finish) w.finish();
}

void WaitPool::run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
        ++idle_;
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        --idle_;
        if (queue_.empty()) return;  // stopping, nothing left
        PendingWait w = std::move(queue_.front());
        queue_.pop_front();
        uint64_t slice = queue_.empty() ? kLongSliceNs : kShortSliceNs;
        auto running = running_.insert(w.device);
        lock.unlock();
        bool done = w.step(slice);
        // The reply may read the device's memory (updates): it too must end before the device goes.
        if (done && w.finish) w.finish();
        // A finished wait lets go of what it held now, outside the lock (a parked destroy may run here).
        if (done) w = PendingWait{};
        lock.lock();
        running_.erase(running);
        if (!done) queue_.push_back(std::move(w));
        ran_.notify_all();
    }
}

void WaitPool::stop() {
    std::vector<std::thread> threads;
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
        threads.swap(threads_);
    }
    cv_.notify_all();
    for (auto& t : threads)
        if (t.joinable()) t.join();
    // Waits queued after the last thread left (none should be: add() starts no thread once stopping).
    std::deque<PendingWait> left;
    {
        std::lock_guard<std::mutex> lock(mu_);
        left.swap(queue_);
    }
    for (auto& w : left) {
        while (!w.step(0)) {
        }
        if (w.finish) w.finish();
    }
}

void WaitPool::finish_device(uint64_t device) {
    std::deque<PendingWait> mine;
    {
        std::unique_lock<std::mutex> lock(mu_);
        ran_.wait(lock, [&] { return running_.count(device) == 0; });
        for (auto it = queue_.begin(); it != queue_.end();) {
            if (it->device == device) {
                mine.push_back(std::move(*it));
                it = queue_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& w : mine) {
        while (!w.step(0)) {
        }
        if (w.finish) w.finish();
    }
}

size_t WaitPool::threads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_.size();
}

size_t WaitPool::pending() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
}

}  // namespace anarchy::server
