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
/// Open pages of every region of the process together (HotPages::kMaxOpenInProcess).
std::atomic<size_t> g_open_pages{0};
}  // namespace

HotPages::HotPages() {
    const char* v = std::getenv("ANARCHY_PAGE_TRACKING_HOT");
    enabled_ = !(v && std::strcmp(v, "0") == 0);
}

HotPages::~HotPages() { g_open_pages.fetch_sub(open_.size()); }

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
    if (open_.empty() && (!enabled_ || runs.size() == first_new)) {
        rearm.assign(runs.begin() + std::ptrdiff_t(first_new), runs.end());
        return;
    }
    auto add = [](std::vector<PageRun>& to, size_t from, uint64_t page) {
        if (to.size() > from && to.back().first + to.back().count == page)
            to.back().count++;
        else
            to.push_back({page, 1});
    };
    // The pages taken: a small run's pages one by one, as candidates.
    for (size_t i = first_new; i < runs.size(); ++i) {
        const PageRun r = runs[i];
        if (r.count > kSmallRun || !enabled_) {
            const auto from = open_.lower_bound(r.first), to = open_.lower_bound(r.first + r.count);
            g_open_pages.fetch_sub(size_t(std::distance(from, to)));
            open_.erase(from, to);
            rearm.push_back(r);
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
    // The open pages not taken: reported (written without a fault, perhaps), and closed when their time is up.
    const auto taken_begin = runs.begin() + std::ptrdiff_t(first_new);
    const auto taken_end = runs.end();
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
    if (!extra_.empty()) {
        // Report the taken runs and the open pages' as one ordered list (they never overlap).
        merged_.clear();
        std::merge(taken_begin, taken_end, extra_.begin(), extra_.end(), std::back_inserter(merged_),
                   [](const PageRun& a, const PageRun& b) { return a.first < b.first; });
        runs.resize(first_new);
        for (const PageRun& r : merged_) {
            if (runs.size() > first_new && runs.back().first + runs.back().count == r.first)
                runs.back().count += r.count;
            else
                runs.push_back(r);
        }
    }
    std::sort(rearm.begin(), rearm.end(), [](const PageRun& a, const PageRun& b) { return a.first < b.first; });
    // Bounded bookkeeping: forget pages re-protected too long ago to turn hot.
    if (recent_.size() > 4096) {
        for (auto it = recent_.begin(); it != recent_.end();)
            it = takes_ - it->second > kRecentTakes ? recent_.erase(it) : std::next(it);
        if (recent_.size() > 4096) recent_.clear();
    }
}

void TrackedRegion::take_and_rearm(DirtyBitmap& bits, std::vector<PageRun>& out, uint64_t system_page,
                                   const std::function<bool(uint64_t, uint64_t, std::string*)>& protect) {
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
