// Finds the bytes of a mapped range that changed since the last synchronisation, so only those travel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace anarchy::protocol {

/// Calls emit(offset, length) for each run of bytes where current differs from snapshot, comparing a page
/// at a time first; runs closer than kMergeGap bytes are merged (fewer headers beat a few extra bytes).
template <typename Emit>
void for_each_changed_run(const uint8_t* current, const uint8_t* snapshot, size_t size, Emit&& emit) {
    constexpr size_t kPage = 4096;
    constexpr size_t kMergeGap = 32;
    size_t run_start = 0, run_end = 0;
    bool in_run = false;
    for (size_t page = 0; page < size; page += kPage) {
        size_t n = size - page < kPage ? size - page : kPage;
        if (std::memcmp(current + page, snapshot + page, n) == 0) continue;
        for (size_t i = page; i < page + n; ++i) {
            // Skip equal 8-byte words quickly; look at bytes only inside a differing word.
            if ((i & 7) == 0 && i + 8 <= page + n) {
                uint64_t a, b;
                std::memcpy(&a, current + i, 8);
                std::memcpy(&b, snapshot + i, 8);
                if (a == b) { i += 7; continue; }
            }
            if (current[i] == snapshot[i]) continue;
            if (in_run && i <= run_end + kMergeGap) {
                run_end = i + 1;
            } else {
                if (in_run) emit(run_start, run_end - run_start);
                run_start = i;
                run_end = i + 1;
                in_run = true;
            }
        }
    }
    if (in_run) emit(run_start, run_end - run_start);
}

}  // namespace anarchy::protocol
