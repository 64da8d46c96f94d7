// Page tracking benchmark: for each backend, the cost of one tracked write fault (first touch of a page and a
// re-armed page), of take_dirty on 1 MiB and 1 GiB regions with 0, 1 and 100 scattered dirty pages, and of a MiB
// written in a row (memcpy) then taken, against the same memcpy into untracked memory.
//
//   page_tracker_bench [--pages N]   (N faults per measurement, default 2000)
//
// Figures are medians of repeated runs in microseconds. Fault cost includes the kernel's work (userfaultfd: a
// round trip through the handler thread; mprotect: a signal and an mprotect call), so they depend on the
// machine's load and, in a VM, on how fast TLB-flush interrupts reach other virtual CPUs.
#include <sys/resource.h>

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

long minor_faults() {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/// Median microseconds of memcpy of a MiB into dst plus take_dirty (when r is given) over `rounds` rounds;
/// *faults: the minor faults the process took per round.
double mib_in_a_row(uint8_t* dst, TrackedRegion* r, int rounds, double* faults) {
    long faults_before = minor_faults();
    std::vector<uint8_t> src(uint64_t(1) << 20);
    std::vector<double> samples;
    std::vector<PageRun> out;
    for (int i = 0; i < rounds; i++) {
        std::memset(src.data(), i, src.size());
        out.clear();
        auto a = Clock::now();
        std::memcpy(dst, src.data(), src.size());
        if (r) r->take_dirty(out);
        samples.push_back(us(Clock::now() - a));
    }
    *faults = double(minor_faults() - faults_before) / rounds;
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
    std::vector<uint8_t> plain(uint64_t(1) << 20);
    double untracked_faults, tracked_faults;
    double untracked = mib_in_a_row(plain.data(), nullptr, 200, &untracked_faults);
    double tracked = mib_in_a_row(small->program_view(), small.get(), 200, &tracked_faults);
    std::printf("%-12s 1 MiB in a row then take_dirty: %.1f us, %.0f page faults (the same memcpy untracked: %.1f us, "
                "%.0f faults)\n", name, tracked, tracked_faults, untracked, untracked_faults);
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
