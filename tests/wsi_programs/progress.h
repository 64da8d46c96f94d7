// What a scenario reports and where it is: one "PASS ..." line per check and "INFO ..." lines for what the
// platform chose to report, on stdout; and the step in progress, which a watchdog thread names before it ends the
// program when no step has begun for too long. Vulkan waits here all have timeouts, but vkQueuePresentKHR,
// vkDeviceWaitIdle and X round trips have none: the watchdog is what keeps those from hanging a test run.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace anarchy::wsitest {

class Progress {
public:
    /// Starts the watchdog: if `stall_limit` passes without a call to step(), it prints the step to stderr and
    /// exits with status 1.
    Progress(std::string scenario, std::chrono::seconds stall_limit);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    /// Names what the program is about to do and restarts the watchdog's clock.
    void step(std::string what);
    /// The same for destructors: names the step for the watchdog only, so that a failure's message still names
    /// the step that failed and not the cleanup that ran while the exception unwound.
    void cleanup_step(std::string what);
    /// Prints "PASS <what>".
    void pass(const std::string& what);
    /// Prints "INFO <what>".
    void info(const std::string& what);
    /// The step last named by step().
    std::string current_step() const;
    const std::string& scenario() const { return scenario_; }

private:
    void watch();

    const std::string scenario_;
    const std::chrono::seconds stall_limit_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::string step_;                                // guarded by mutex_
    std::string watched_;                             // guarded by mutex_; what the watchdog names
    std::chrono::steady_clock::time_point deadline_;  // guarded by mutex_
    bool stopping_ = false;                           // guarded by mutex_
    std::thread watchdog_;
};

}  // namespace anarchy::wsitest
