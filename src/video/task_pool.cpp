#include "video/task_pool.h"

#include <algorithm>
#include <cstdlib>

#if defined(_WIN32)
#include <windows.h>
#elif defined(__linux__)
#include <sched.h>
#endif

#include "common/thread_name.h"

namespace anarchy::video {

TaskPool::TaskPool(uint32_t threads) {
    const uint32_t helpers = std::max(threads, 1u) - 1;
    helpers_.reserve(helpers);
    for (uint32_t i = 0; i < helpers; ++i) helpers_.emplace_back([this, i] {
        set_thread_name("anarchy-codec");
        helper_loop(i + 1);
    });
}

TaskPool::~TaskPool() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    start_.notify_all();
    for (std::thread& t : helpers_) t.join();
}

void TaskPool::run(uint32_t count, const std::function<void(uint32_t, uint32_t)>& fn) {
    if (count == 0) return;
    if (helpers_.empty() || count == 1) {
        for (uint32_t i = 0; i < count; ++i) fn(i, 0);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        job_ = &fn;
        count_ = count;
        next_.store(0, std::memory_order_relaxed);
        failure_ = nullptr;
        busy_ = uint32_t(helpers_.size());
        ++generation_;
    }
    start_.notify_all();
    work(0);
    std::exception_ptr failure;
    {
        // Every helper must have left the job before fn (the caller's) goes out of scope.
        std::unique_lock<std::mutex> lock(mu_);
        done_.wait(lock, [&] { return busy_ == 0; });
        job_ = nullptr;
        failure = failure_;
    }
    if (failure) std::rethrow_exception(failure);
}

void TaskPool::work(uint32_t worker) {
    for (;;) {
        const uint32_t i = next_.fetch_add(1, std::memory_order_relaxed);
        if (i >= count_) return;
        try {
            (*job_)(i, worker);
        } catch (...) {
            std::lock_guard<std::mutex> lock(mu_);
            if (!failure_) failure_ = std::current_exception();
        }
    }
}

void TaskPool::helper_loop(uint32_t worker) {
    uint64_t seen = 0;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mu_);
            start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
            if (stopping_) return;
            seen = generation_;
        }
        work(worker);
        bool last;
        {
            std::lock_guard<std::mutex> lock(mu_);
            last = --busy_ == 0;
        }
        if (last) done_.notify_one();
    }
}

uint32_t default_codec_threads() {
    if (const char* v = std::getenv("ANARCHY_CODEC_THREADS")) {
        const long n = std::strtol(v, nullptr, 10);
        if (n >= 1 && n <= 64) return uint32_t(n);
    }
    return std::clamp(usable_cpus(), 2u, 9u) - 1;
}

uint32_t usable_cpus() {
#if defined(_WIN32)
    DWORD_PTR process = 0, system = 0;
    if (GetProcessAffinityMask(GetCurrentProcess(), &process, &system) && process) {
        uint32_t n = 0;
        for (; process; process &= process - 1) ++n;
        return n;
    }
#elif defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return uint32_t(CPU_COUNT(&set));
#endif

    return std::max(std::thread::hardware_concurrency(), 1u);
}

}  // namespace anarchy::video
