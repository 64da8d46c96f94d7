// The portable part of page tracking: the dirty bitmap. page_tracker_linux.cpp has the two views of a memfd and
// the choice of a Linux backend; page_tracker_win32.cpp the whole Windows tracker.
#include "client/page_tracker.h"

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

void TrackedRegion::to_4k_units(std::vector<PageRun>& out, size_t first_new, uint64_t system_page) {
    uint64_t ratio = system_page / kPageSize;
    if (ratio <= 1) return;
    for (size_t i = first_new; i < out.size(); i++) {
        out[i].first *= ratio;
        out[i].count *= ratio;
    }
}

}  // namespace anarchy::client
