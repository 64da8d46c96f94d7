#include "client/bitrate_controller.h"

#include <algorithm>
#include <cstdio>

namespace anarchy::client {
namespace {

// Windows remembered for the unloaded transfer time: 10 s.
constexpr size_t kRememberedWindows = 20;
// A window needs this many frames to say anything.
constexpr size_t kMinFrames = 3;
// Calm windows after which the rate the link last fell behind at no longer slows the way up: 4 s.
constexpr uint32_t kCalmToForget = 8;

std::string describe(const char* what, uint32_t median_us, uint32_t base_us, double arriving_kbps) {
    char text[160];
    std::snprintf(text, sizeof text, "%s: frames spend %.1f ms on the link (%.1f ms unloaded), arriving at %.0f kbit/s",
                  what, median_us / 1e3, base_us / 1e3, arriving_kbps);
    return text;
}

}  // namespace

std::optional<BitrateController::Decision> BitrateController::on_frame(Clock::time_point arrived, uint64_t bytes,
                                                                       uint32_t encoded_kbps, uint32_t transfer_us,
                                                                       bool lossless) {
    if (encoded_kbps == 0 && !lossless) return std::nullopt;
    if (window_start_ == Clock::time_point{}) window_start_ = arrived;
    if (ceiling_ == 0 && !lossless) {
        ceiling_ = encoded_kbps;
        target_ = encoded_kbps;
        floor_ = std::max<uint32_t>(250, ceiling_ / 32);
        window_start_ = arrived;
        last_change_ = arrived;
    }
    transfers_.push_back(transfer_us);
    window_bytes_ += bytes;
    if (arrived - window_start_ < kWindow) return std::nullopt;
    auto decision = judge(arrived, lossless);
    window_start_ = arrived;
    transfers_.clear();
    window_bytes_ = 0;
    return decision;
}

std::optional<BitrateController::Decision> BitrateController::judge(Clock::time_point now, bool lossless) {
    if (transfers_.size() < kMinFrames) return std::nullopt;
    std::nth_element(transfers_.begin(), transfers_.begin() + transfers_.size() / 2, transfers_.end());
    const uint32_t median = transfers_[transfers_.size() / 2];
    medians_.push_back(median);
    while (medians_.size() > kRememberedWindows) medians_.pop_front();
    const uint32_t base = *std::min_element(medians_.begin(), medians_.end());
    const double seconds = std::chrono::duration<double>(now - window_start_).count();
    const double arriving_kbps = seconds > 0 ? window_bytes_ * 8 / 1000.0 / seconds : 0;

    // Queueing: transfer time well above the unloaded one (doubled, and by at least 8 ms: a frame interval at
    // 120 Hz). The new rate is below both the current one and what actually got through.
    const bool queueing = median > base + std::max<uint32_t>(8000, base);
    if (lossless) {
        // No rate to move: only a codec that fits the link helps, and switching costs sharpness for good.
        const bool overloaded = median > base + std::max<uint32_t>(kLosslessQueueingUs, 2 * base);
        overloaded_windows_ = overloaded ? overloaded_windows_ + 1 : 0;
        if (overloaded_windows_ < kOverloadedToSwitch) return std::nullopt;
        overloaded_windows_ = 0;
        return Decision{0, true, describe("lossless frames do not fit the link", median, base, arriving_kbps)};
    }
    const bool calm = median <= base + std::max<uint32_t>(4000, base / 2);
    calm_windows_ = calm ? calm_windows_ + 1 : 0;
    calm_since_queueing_ = queueing ? 0 : calm_since_queueing_ + 1;
    if (now - last_change_ < kHold) return std::nullopt;
    uint32_t next = target_;
    const char* what = nullptr;
    if (queueing) {
        const double cut = std::min(target_ * 0.7, arriving_kbps * 0.85);
        next = std::max<uint32_t>(floor_, static_cast<uint32_t>(cut));
        limit_seen_ = static_cast<uint32_t>(arriving_kbps);
        what = "the link falls behind";
    } else if (calm_windows_ >= 2 && target_ < ceiling_) {
        // Carefully near the rate at which the link last fell behind, briskly once it has kept up for a while
        // (the limit has gone) or far below it.
        const bool near_limit = calm_since_queueing_ < kCalmToForget && target_ * 1.15 > limit_seen_;
        next = std::min<uint32_t>(ceiling_, static_cast<uint32_t>(target_ * (near_limit ? 1.06 : 1.3)) + 1);
        what = "the link keeps up";
    }
    // Changes under 5 % are noise.
    if (!what || (next > target_ ? next - target_ : target_ - next) * 20 < target_) return std::nullopt;
    target_ = next;
    last_change_ = now;
    calm_windows_ = 0;
    return Decision{next, false, describe(what, median, base, arriving_kbps)};
}

}  // namespace anarchy::client
