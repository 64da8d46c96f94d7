// A small persistent pool of threads that runs one indexed job at a time on all of them, the calling thread
// included: a frame's tiles are compressed or expanded on every core without starting a thread per frame.
// Plain std::thread, mutex and condition variables, so it builds for Windows (mingw-w64) as well.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace anarchy::video {

/// Runs fn(index, worker) for every index of a job across a fixed set of threads. One job at a time; run() is
/// called by one thread at a time (the codec that owns the pool).
class TaskPool {
public:
    /// threads counts the caller: 1 runs everything on the caller's thread and starts none.
    explicit TaskPool(uint32_t threads);
    ~TaskPool();
    TaskPool(const TaskPool&) = delete;
    TaskPool& operator=(const TaskPool&) = delete;

    /// Threads that work on a job, the caller included.
    uint32_t threads() const { return uint32_t(helpers_.size()) + 1; }

    /// Calls fn(index, worker) once for each index in [0, count) and returns when every call has returned.
    /// worker is below threads() and names the thread, for per-thread scratch memory. An exception thrown by fn is
    /// rethrown here (the first one; the other indices still run).
    void run(uint32_t count, const std::function<void(uint32_t index, uint32_t worker)>& fn);

private:
    void helper_loop(uint32_t worker);
    void work(uint32_t worker);

    std::vector<std::thread> helpers_;
    std::mutex mu_;
    std::condition_variable start_;  ///< a new job (generation_ changed) or stopping_
    std::condition_variable done_;   ///< busy_ reached 0
    // Guarded by mu_:
    uint64_t generation_ = 0;
    uint32_t busy_ = 0;  ///< helpers still inside the current job
    bool stopping_ = false;
    std::exception_ptr failure_;
    // Set before a job starts, read by the threads working on it:
    const std::function<void(uint32_t, uint32_t)>* job_ = nullptr;
    uint32_t count_ = 0;
    std::atomic<uint32_t> next_{0};  ///< the next index to hand out
};

/// Threads a codec uses when its settings say 0: ANARCHY_CODEC_THREADS when set (1-64), else one fewer than
/// usable_cpus(), at least 1 and at most 8 (beyond that a frame's tiles are too few to spread and memory bandwidth
/// is the limit). The CPU left over is the session thread's on the server and the program's on the client: with
/// every CPU encoding, the server took commands and answered fence waits late and the GPU idled. Measured on the
/// H200, server on 8 CPUs, 2560x1600 lz4-tiles, 3000 frames: the program at 657-675 frames/s with 8 encoding
/// threads against 1036-1056 with 7 (native 1295), frames shown 270 against 293-297 a second, p50 7.0 against
/// 6.5 ms, the GPU busy 57-64 % against 100 % natively; the encoding threads at SCHED_IDLE instead of one fewer gave
/// the same (1057), at nice 10 or 19 little (719-723).
uint32_t default_codec_threads();
/// The CPUs this process may run on (its affinity mask: taskset, a cgroup cpuset, Windows' process affinity), not
/// every CPU of the machine as std::thread::hardware_concurrency() counts.
uint32_t usable_cpus();

}  // namespace anarchy::video
