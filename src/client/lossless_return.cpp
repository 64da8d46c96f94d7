#include "client/lossless_return.h"

#include <algorithm>
#include <cstdio>

namespace anarchy::client {

namespace {

// How much of the running average one lossless frame moves.
constexpr double kAverageWeight = 0.1;
// A probe lasts about this long at the rate lossless frames need.
constexpr double kProbeSeconds = 0.010;

}  // namespace

void LosslessReturn::on_frame(Clock::time_point arrived, uint64_t bytes, bool lossless) {
    if (lossless)
        lossless_bytes_ = lossless_bytes_ == 0 ? double(bytes) : lossless_bytes_ + kAverageWeight * (double(bytes) - lossless_bytes_);
    arrivals_.push_back(arrived);
    while (!arrivals_.empty() && arrived - arrivals_.front() > std::chrono::seconds(1)) arrivals_.pop_front();
    if (probing_) bytes_during_probe_ += bytes;
}

void LosslessReturn::on_switched_to_video(Clock::time_point now) {
    waiting_ = true;
    probing_ = false;
    next_probe_ = now + wait_;
}

double LosslessReturn::frames_per_second(Clock::time_point now) const {
    size_t n = 0;
    for (auto t : arrivals_)
        if (now - t <= std::chrono::seconds(1)) ++n;
    return double(n);
}

double LosslessReturn::lossless_kbps(Clock::time_point now) const {
    return lossless_bytes_ * 8 * frames_per_second(now) / 1000.0;
}

std::optional<uint32_t> LosslessReturn::probe_due(Clock::time_point now) {
    if (!waiting_ || probing_ || now < next_probe_) return std::nullopt;
    const double need_kbps = lossless_kbps(now);
    if (need_kbps <= 0) return std::nullopt;  // no lossless frame seen yet, or no frames now: nothing to compare
    const double bytes = need_kbps * 1000 / 8 * kMargin * kProbeSeconds;
    probe_bytes_ = uint32_t(std::clamp(bytes, double(kSmallestProbe), double(kLargestProbe)));
    probing_ = true;
    probe_sent_ = now;
    bytes_during_probe_ = 0;
    return probe_bytes_;
}

std::optional<LosslessReturn::Verdict> LosslessReturn::on_probe_data(Clock::time_point arrived, uint64_t bytes) {
    if (!probing_) return std::nullopt;
    probing_ = false;
    const double seconds = std::max(std::chrono::duration<double>(arrived - probe_sent_).count(), 1e-6);
    // Everything that came through while the probe was on its way: the probe and the frames beside it.
    const double carried_kbps = double(bytes + bytes_during_probe_) * 8 / seconds / 1000;
    const double need_kbps = lossless_kbps(arrived);
    Verdict v;
    v.back_to_lossless = need_kbps > 0 && carried_kbps >= need_kbps * kMargin;
    char text[200];
    std::snprintf(text, sizeof text, "the link carried %.0f kbit/s in %.1f ms, lossless frames need %.0f kbit/s",
                  carried_kbps, seconds * 1e3, need_kbps);
    v.why = text;
    // Each probe that fails, and each return (a link that changes often), makes the next one wait longer.
    wait_ = std::min(wait_ * 2, kLongestWait);
    if (v.back_to_lossless)
        waiting_ = false;
    else
        next_probe_ = arrived + wait_;
    return v;
}

}  // namespace anarchy::client
