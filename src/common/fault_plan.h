// Fault injection for tests: an environment variable names one command whose N-th call fails on purpose.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace anarchy {

/// A planned fault read once from an environment variable of the form "vkName[:N]" (N-th call, default 1st).
/// Unset, it costs one load and branch per check.
class FaultPlan {
public:
    explicit FaultPlan(const char* env_var);
    /// True when the variable names a command.
    bool armed() const { return armed_; }
    /// Counts a call of `command`; true exactly on the planned call of the planned command.
    bool hit(std::string_view command) {
        if (!armed_ || command != command_) return false;
        return calls_.fetch_add(1) + 1 == nth_;
    }
    const std::string& variable() const { return variable_; }

private:
    std::string variable_;
    std::string command_;
    uint64_t nth_ = 1;
    bool armed_ = false;
    std::atomic<uint64_t> calls_{0};
};

}  // namespace anarchy
