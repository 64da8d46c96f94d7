// Finds the bytes of a mapped range that changed since the last synchronisation, so only those travel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace anarchy::protocol {

/// Calls emit(offset, length) for each run of bytes where current differs from snapshot. Equal pages are
/// skipped with one memcmp; inside a page that differs, equal 32-byte blocks are skipped and differing blocks are
/// taken whole, with the run's first and last bytes trimmed to the exact change. Runs closer than kMergeGap bytes
/// are merged (fewer headers beat a few extra bytes). Blocks of four words compared without a branch per word keep
/// a page that changed throughout at memory speed: a MiB written a frame is compared in tens of microseconds.
template <typename Emit>
void for_each_changed_run(const uint8_t* current, const uint8_t* snapshot, size_t size, Emit&& emit) {
    constexpr size_t kPage = 4096;
    constexpr size_t kMergeGap = 32;
    constexpr size_t kBlock = 32;
    size_t run_start = 0, run_end = 0;
    bool in_run = false;
    auto add = [&](size_t begin, size_t end) {
        if (in_run && begin <= run_end + kMergeGap) {
            run_end = end;
            return;
        }
        if (in_run) emit(run_start, run_end - run_start);
        run_start = begin;
        run_end = end;
        in_run = true;
    };
    auto block_differs = [&](size_t at) {
        uint64_t x = 0;
        for (size_t w = 0; w < kBlock; w += 8) {
            uint64_t a, b;
            std::memcpy(&a, current + at + w, 8);
            std::memcpy(&b, snapshot + at + w, 8);
            x |= a ^ b;
        }
        return x != 0;
    };
    for (size_t page = 0; page < size; page += kPage) {
        const size_t end = size - page < kPage ? size : page + kPage;
        if (std::memcmp(current + page, snapshot + page, end - page) == 0) continue;
        size_t i = page;
        while (i < end) {
            while (i + kBlock <= end && !block_differs(i)) i += kBlock;
            if (i + kBlock > end) {  // the last few bytes of the range, one by one
                for (; i < end; ++i)
                    if (current[i] != snapshot[i]) add(i, i + 1);
                break;
            }
            size_t first = i;
            while (current[first] == snapshot[first]) ++first;
            size_t next = i + kBlock;
            while (next + kBlock <= end && block_differs(next)) next += kBlock;
            size_t last = next;
            while (current[last - 1] == snapshot[last - 1]) --last;
            add(first, last);
            i = next;
        }
    }
    if (in_run) emit(run_start, run_end - run_start);
}

/// Brings `size` bytes the other side wrote (`incoming`) into `current`, where the program may have written since
/// `snapshot` was last synchronised: a byte the program changed (current differs from snapshot) keeps the program's
/// value (it goes up with the next submit), every other byte takes the incoming one; the snapshot becomes
/// `incoming`. Whole 64-byte blocks the program did not touch are copied at once. What a MiB costs here (about
/// 0.2 ms on the NVIDIA host) is the two copies themselves.
inline void merge_incoming(uint8_t* current, uint8_t* snapshot, const uint8_t* incoming, size_t size) {
    constexpr size_t kBlock = 64;
    for (size_t k = 0; k < size;) {
        const size_t n = size - k < kBlock ? size - k : kBlock;
        if (std::memcmp(current + k, snapshot + k, n) == 0) {
            std::memcpy(current + k, incoming + k, n);
        } else {
            for (size_t j = k; j < k + n; ++j)
                if (current[j] == snapshot[j]) current[j] = incoming[j];
        }
        std::memcpy(snapshot + k, incoming + k, n);
        k += n;
    }
}

}  // namespace anarchy::protocol
