#include "progress.h"

#include <cstdio>
#include <cstdlib>

namespace anarchy::wsitest {

Progress::Progress(std::string scenario, std::chrono::seconds stall_limit)
    : scenario_(std::move(scenario)),
      stall_limit_(stall_limit),
      step_("setting up (X connection, window, instance)"),
      watched_("setting up (X connection, window, instance)"),
      deadline_(std::chrono::steady_clock::now() + stall_limit) {
    watchdog_ = std::thread([this] { watch(); });
}

Progress::~Progress() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    watchdog_.join();
}

void Progress::step(std::string what) {
    std::lock_guard lock(mutex_);
    step_ = what;
    watched_ = std::move(what);
    deadline_ = std::chrono::steady_clock::now() + stall_limit_;
}

void Progress::cleanup_step(std::string what) {
    std::lock_guard lock(mutex_);
    watched_ = std::move(what);
    deadline_ = std::chrono::steady_clock::now() + stall_limit_;
}

void Progress::pass(const std::string& what) {
    std::printf("PASS %s\n", what.c_str());
    std::fflush(stdout);
}

void Progress::info(const std::string& what) {
    std::printf("INFO %s\n", what.c_str());
    std::fflush(stdout);
}

std::string Progress::current_step() const {
    std::lock_guard lock(mutex_);
    return step_;
}

void Progress::watch() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (std::chrono::steady_clock::now() >= deadline_) {
            std::fflush(stdout);
            std::fprintf(stderr,
                         "anarchy_wsi_test %s: FAILED: watchdog: no progress for %lld s during '%s' (a call that "
                         "never returned)\n",
                         scenario_.c_str(), (long long)stall_limit_.count(), watched_.c_str());
            std::fflush(stderr);
            // Other threads may be stuck inside the driver holding locks: leave without running destructors.
            std::_Exit(1);
        }
        wake_.wait_until(lock, deadline_);
    }
}

}  // namespace anarchy::wsitest
