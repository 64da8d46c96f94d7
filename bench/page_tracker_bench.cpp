// Page tracking benchmark: for each backend, the cost of one tracked write fault (first touch of a page and a
// re-armed page), and of take_dirty on 1 MiB and 1 GiB regions with 0, 1 and 1000 scattered dirty pages.
//
//   page_tracker_bench [--pages N]   (N faults per measurement, default 2000)
//
// Figures are medians of repeated runs in microseconds. Fault cost includes the kernel's work (userfaultfd: a
// round trip through the handler thread; mprotect: a signal and an mprotect call), so they depend on the
// machine's load and, in a VM, on how fast TLB-flush interrupts reach other virtual CPUs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "client/page_tracker.h"

using namespace anarchy::client;
using Clock = std::chrono::steady_clock;

namespace {

double us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

/// Mean microseconds of one take_dirty with `dirty` scattered pages written before it.
double take_cost(TrackedRegion& r, uint64_t dirty, int rounds) {
    uint64_t pages = r.mapped_size() / kPageSize;
    std::vector<double> samples;
    std::vector<PageRun> out;
    for (int i = 0; i < rounds; i++) {
        for (uint64_t d = 0; d < dirty; d++) r.program_view()[(d * 7919 + i) % pages * kPageSize] = 1;
        out.clear();
        auto a = Clock::now();
        r.take_dirty(out);
        samples.push_back(us(Clock::now() - a));
    }
    return median(samples);
}

void run(PageTrackerBackend backend, int fault_pages) {
    std::string error;
    auto tracker = PageTracker::create_backend(backend, &error);
    const char* name = backend == PageTrackerBackend::Userfaultfd ? "userfaultfd" : "mprotect";
    if (!tracker) {
        std::printf("%-12s unavailable: %s\n", name, error.c_str());
        return;
    }
    auto big = tracker->create(uint64_t(1) << 30, &error);
    auto small = tracker->create(uint64_t(1) << 20, &error);
    if (!big || !small) {
        std::printf("%-12s create failed: %s\n", name, error.c_str());
        return;
    }
    uint8_t* p = big->program_view();
    std::vector<PageRun> out;
    auto t0 = Clock::now();
    for (int i = 0; i < fault_pages; i++) p[uint64_t(i) * 37 * kPageSize] = 1;
    double first = us(Clock::now() - t0) / fault_pages;
    big->take_dirty(out);
    t0 = Clock::now();
    for (int i = 0; i < fault_pages; i++) p[uint64_t(i) * 37 * kPageSize] = 2;
    double rearmed = us(Clock::now() - t0) / fault_pages;
    big->take_dirty(out);
    std::printf("%-12s fault %.2f us/page (first touch) %.2f us/page (re-armed)\n", name, first, rearmed);
    for (auto* r : {small.get(), big.get()}) {
        const char* size = r == small.get() ? "1 MiB" : "1 GiB";
        std::printf("%-12s take_dirty %s: %.2f us clean, %.2f us 1 dirty, %.1f us 100 scattered dirty\n", name, size,
                    take_cost(*r, 0, 200), take_cost(*r, 1, 200), take_cost(*r, 100, 50));
    }
}

}  // namespace

int main(int argc, char** argv) {
    int pages = 2000;
    for (int i = 1; i + 1 < argc; i++)
        if (!std::strcmp(argv[i], "--pages")) pages = std::atoi(argv[++i]);
    run(PageTrackerBackend::Userfaultfd, pages);
    run(PageTrackerBackend::Mprotect, pages);
    return 0;
}
