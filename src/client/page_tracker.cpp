// The portable part of page tracking: the dirty bitmap. page_tracker_linux.cpp has the two views of a memfd and
// the choice of a Linux backend; page_tracker_win32.cpp the whole Windows tracker.
#include "client/page_tracker.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iterator>
#include <cstring>

#include "common/log.h"

namespace anarchy::client {

DirtyBitmap::DirtyBitmap(uint64_t pages)
    : pages_(pages),
      leaf_(new std::atomic<uint64_t>[(pages + 63) / 64]()),
      summary_(new std::atomic<uint64_t>[(pages + 4095) / 4096]()),
      summary_words_((pages + 4095) / 4096) {}

void DirtyBitmap::take(std::vector<PageRun>& out) {
    // Merge with the previous run only if it is one we appended in this call.
    size_t first_new = out.size();
    for (uint64_t sw = 0; sw < summary_words_; sw++) {
        if (summary_[sw].load(std::memory_order_relaxed) == 0) continue;  // no write to the cache line when clean
        uint64_t s = summary_[sw].exchange(0);
        while (s) {
            uint64_t word = sw * 64 + __builtin_ctzll(s);
            s &= s - 1;
            uint64_t l = leaf_[word].exchange(0);
            while (l) {
                unsigned start = __builtin_ctzll(l);
                uint64_t shifted = l >> start;
                unsigned len = ~shifted == 0 ? 64 - start : __builtin_ctzll(~shifted);
                l = start + len >= 64 ? 0 : l & ~(((uint64_t(1) << len) - 1) << start);
                uint64_t first = word * 64 + start;
                if (out.size() > first_new && out.back().first + out.back().count == first)
                    out.back().count += len;
                else
                    out.push_back({first, len});
            }
        }
    }
}

namespace {
/// Open pages of every region of the process together (HotPages::kMaxOpenInProcess), and stream pages
/// (HotPages::kMaxStreamPagesInProcess).
std::atomic<size_t> g_open_pages{0};
std::atomic<size_t> g_stream_pages{0};

/// Whether `r` overlaps any of `n` sorted disjoint runs.
bool overlaps_any(const PageRun* runs, size_t n, const PageRun& r) {
    const PageRun* end = runs + n;
    const PageRun* it =
        std::upper_bound(runs, end, r.first, [](uint64_t v, const PageRun& x) { return v < x.first + x.count; });
    return it != end && it->first < r.first + r.count;
}

/// Sorts runs by their first page and merges those that overlap or touch, in place.
void normalize(std::vector<PageRun>& runs) {
    std::sort(runs.begin(), runs.end(), [](const PageRun& a, const PageRun& b) { return a.first < b.first; });
    size_t n = 0;
    for (const PageRun& r : runs) {
        if (n > 0 && runs[n - 1].first + runs[n - 1].count >= r.first) {
            runs[n - 1].count = std::max(runs[n - 1].first + runs[n - 1].count, r.first + r.count) - runs[n - 1].first;
        } else {
            runs[n++] = r;
        }
    }
    runs.resize(n);
}

/// The parts of sorted disjoint `a` inside (keep) or outside (!keep) sorted disjoint `b`.
std::vector<PageRun> clip(const std::vector<PageRun>& a, const std::vector<PageRun>& b, bool keep) {
    std::vector<PageRun> out;
    size_t j = 0;
    for (const PageRun& r : a) {
        uint64_t at = r.first;
        const uint64_t end = r.first + r.count;
        while (j < b.size() && b[j].first + b[j].count <= at) ++j;
        for (size_t k = j; k < b.size() && b[k].first < end && at < end; ++k) {
            const uint64_t in_begin = std::max(at, b[k].first), in_end = std::min(end, b[k].first + b[k].count);
            if (!keep && in_begin > at) out.push_back({at, in_begin - at});
            if (keep) out.push_back({in_begin, in_end - in_begin});
            at = in_end;
        }
        if (!keep && at < end) out.push_back({at, end - at});
    }
    return out;
}

uint64_t pages_in(const std::vector<PageRun>& runs) {
    uint64_t n = 0;
    for (const PageRun& r : runs) n += r.count;
    return n;
}
}  // namespace

HotPages::HotPages() {
    const char* v = std::getenv("ANARCHY_PAGE_TRACKING_HOT");
    enabled_ = !(v && std::strcmp(v, "0") == 0);
}

HotPages::~HotPages() {
    g_open_pages.fetch_sub(open_.size());
    g_stream_pages.fetch_sub(stream_pages_);
}

void HotPages::set_stream_pages(size_t pages) {
    if (pages >= stream_pages_)
        g_stream_pages.fetch_add(pages - stream_pages_);
    else
        g_stream_pages.fetch_sub(stream_pages_ - pages);
    stream_pages_ = pages;
}

size_t HotPages::stream_pages_in_process() { return g_stream_pages.load(); }

void HotPages::changed(const std::vector<PageRun>& changed_runs) {
    stream_feedback_ = true;
    if (streams_.empty()) return;
    std::vector<PageRun> unchanged = clip(streams_, changed_runs, false);
    if (unchanged.empty()) return;
    streams_ = clip(streams_, changed_runs, true);
    set_stream_pages(pages_in(streams_));
    stream_closing_.insert(stream_closing_.end(), unchanged.begin(), unchanged.end());
    normalize(stream_closing_);
}

void HotPages::take_streams(std::vector<PageRun>& rearm, std::vector<PageRun>& report) {
    // Close what was found unchanged, or every stream when nobody compared what the last take reported (or hot
    // pages were turned off): re-protected now and reported once more (it may have been written meanwhile).
    if (!stream_feedback_ || !enabled_) {
        stream_closing_.insert(stream_closing_.end(), streams_.begin(), streams_.end());
        streams_.clear();
        normalize(stream_closing_);
    }
    stream_feedback_ = false;
    report.assign(stream_closing_.begin(), stream_closing_.end());
    rearm.insert(rearm.end(), stream_closing_.begin(), stream_closing_.end());
    stream_closing_.clear();
    set_stream_pages(pages_in(streams_));
    // The large runs just taken: open when written again soon after being re-protected (or over a stream page
    // that was re-protected meanwhile, e.g. mapped back after a stale fetch).
    while (!recent_large_.empty() && takes_ - recent_large_.front().take > kStreamRecentTakes)
        recent_large_.pop_front();
    bool opened = false;
    const size_t streams_before = streams_.size();
    std::vector<PageRun> rearmed;
    // Takes pages from the process's share, if it has them (regions of other runtimes take theirs meanwhile).
    auto reserve = [](uint64_t count) {
        size_t now = g_stream_pages.load();
        do {
            if (now + count > kMaxStreamPagesInProcess) return false;
        } while (!g_stream_pages.compare_exchange_weak(now, now + count));
        return true;
    };
    for (const PageRun& r : large_) {
        bool again = overlaps_any(streams_.data(), streams_before, r);
        for (const RecentRuns& was : recent_large_) again = again || overlaps_any(was.runs.data(), was.runs.size(), r);
        if (enabled_ && again && reserve(r.count)) {
            streams_.push_back(r);
            stream_pages_ += r.count;  // already in the process total
            opened = true;
        } else {
            rearm.push_back(r);
            if (enabled_) rearmed.push_back(r);
        }
    }
    if (!rearmed.empty()) recent_large_.push_back({takes_, std::move(rearmed)});  // sorted: large_ is
    if (opened) normalize(streams_);
    set_stream_pages(pages_in(streams_));  // gives back what a run over a stream counted twice
    report.insert(report.end(), streams_.begin(), streams_.end());
}

bool HotPages::open_one(uint64_t page) {
    if (open_.size() >= kMaxOpen) return false;
    size_t now = g_open_pages.load();
    do {
        if (now >= kMaxOpenInProcess) return false;
    } while (!g_open_pages.compare_exchange_weak(now, now + 1));
    open_.emplace(page, takes_ + kOpenTakes);
    return true;
}

size_t HotPages::open_in_process() { return g_open_pages.load(); }

void HotPages::set_enabled(bool on) {
    enabled_ = on;
    if (!on) recent_.clear();  // open pages are closed (re-protected) by the next take
}

void HotPages::take(std::vector<PageRun>& runs, size_t first_new, std::vector<PageRun>& rearm) {
    rearm.clear();
    ++takes_;
    if (open_.empty() && streams_.empty() && stream_closing_.empty() && (!enabled_ || runs.size() == first_new)) {
        stream_feedback_ = false;
        rearm.assign(runs.begin() + std::ptrdiff_t(first_new), runs.end());
        return;
    }
    auto add = [](std::vector<PageRun>& to, size_t from, uint64_t page) {
        if (to.size() > from && to.back().first + to.back().count == page)
            to.back().count++;
        else
            to.push_back({page, 1});
    };
    // The pages taken: a small run's pages one by one, as candidates; large runs as stream candidates.
    large_.clear();
    for (size_t i = first_new; i < runs.size(); ++i) {
        const PageRun r = runs[i];
        if (r.count > kSmallRun || !enabled_) {
            const auto from = open_.lower_bound(r.first), to = open_.lower_bound(r.first + r.count);
            g_open_pages.fetch_sub(size_t(std::distance(from, to)));
            open_.erase(from, to);
            large_.push_back(r);
            continue;
        }
        for (uint64_t p = r.first; p < r.first + r.count; ++p) {
            if (auto o = open_.find(p); o != open_.end()) {
                // Open and still faulted (re-protected meanwhile, e.g. mapped back after a stale fetch): stays open.
                o->second = takes_ + kOpenTakes;
                continue;
            }
            auto was = recent_.find(p);
            if (was != recent_.end() && takes_ - was->second <= kRecentTakes && open_one(p)) {
                recent_.erase(was);
                continue;
            }
            add(rearm, 0, p);
            recent_[p] = takes_;
        }
    }
    const auto taken_begin = runs.begin() + std::ptrdiff_t(first_new);
    const auto taken_end = runs.end();
    take_streams(rearm, stream_report_);
    // The open pages not taken: reported (written without a fault, perhaps), and closed when their time is up.
    extra_.clear();
    for (auto it = open_.begin(); it != open_.end();) {
        const uint64_t p = it->first;
        auto after = std::upper_bound(taken_begin, taken_end, p, [](uint64_t v, const PageRun& r) { return v < r.first; });
        const bool taken = after != taken_begin && p < std::prev(after)->first + std::prev(after)->count;
        if (!taken) add(extra_, 0, p);
        if (it->second <= takes_ || !enabled_) {
            add(rearm, 0, p);
            recent_[p] = takes_;
            it = open_.erase(it);
            g_open_pages.fetch_sub(1);
        } else {
            ++it;
        }
    }
    if (!extra_.empty() || !stream_report_.empty()) {
        // Report the taken runs, the open pages' and the streams' as one ordered list (streams may overlap taken
        // runs: the ones opened at this take).
        merged_.assign(taken_begin, taken_end);
        merged_.insert(merged_.end(), extra_.begin(), extra_.end());
        merged_.insert(merged_.end(), stream_report_.begin(), stream_report_.end());
        normalize(merged_);
        runs.resize(first_new);
        runs.insert(runs.end(), merged_.begin(), merged_.end());
    }
    normalize(rearm);
    // Bounded bookkeeping: forget pages re-protected too long ago to turn hot.
    if (recent_.size() > 4096) {
        for (auto it = recent_.begin(); it != recent_.end();)
            it = takes_ - it->second > kRecentTakes ? recent_.erase(it) : std::next(it);
        if (recent_.size() > 4096) recent_.clear();
    }
}

void TrackedRegion::note_changed(const std::vector<PageRun>& changed_4k) {
    const uint64_t ratio = std::max<uint64_t>(1, system_page_ / kPageSize);
    changed_.clear();
    for (const PageRun& r : changed_4k) {
        const uint64_t first = r.first / ratio, end = (r.first + r.count + ratio - 1) / ratio;
        changed_.push_back({first, end - first});
    }
    normalize(changed_);
    hot_.changed(changed_);
}

void TrackedRegion::take_and_rearm(DirtyBitmap& bits, std::vector<PageRun>& out, uint64_t system_page,
                                   const std::function<bool(uint64_t, uint64_t, std::string*)>& protect) {
    system_page_ = system_page;
    const size_t first_new = out.size();
    bits.take(out);
    hot_.take(out, first_new, rearm_);
    for (const PageRun& r : rearm_) {
        std::string why;
        if (protect(r.first, r.count, &why)) continue;
        // Still writable: keep reporting the run until it can be re-protected, or its writes would be lost.
        static std::atomic<bool> warned{false};
        if (!warned.exchange(true))
            LOG_WARN("page tracking: re-protecting %llu pages failed (%s); they stay dirty",
                     (unsigned long long)r.count, why.c_str());
        for (uint64_t p = r.first; p < r.first + r.count; p++) bits.mark(p);
    }
    to_4k_units(out, first_new, system_page);
}

void TrackedRegion::to_4k_units(std::vector<PageRun>& out, size_t first_new, uint64_t system_page) {
    uint64_t ratio = system_page / kPageSize;
    if (ratio <= 1) return;
    for (size_t i = first_new; i < out.size(); i++) {
        out[i].first *= ratio;
        out[i].count *= ratio;
    }
}

}  // namespace anarchy::client
