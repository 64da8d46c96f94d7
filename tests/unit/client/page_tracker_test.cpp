// Page tracking, every test run for each backend: exact dirty runs, no lost write under concurrent writers,
// kernel writes into mapped memory, region destruction under load, SIGSEGV chaining and death, and the cost.
#include "client/page_tracker.h"

#include <gtest/gtest.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace anarchy::client {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

std::vector<PageRun> runs_of(const std::set<uint64_t>& pages) {
    std::vector<PageRun> runs;
    for (uint64_t p : pages) {
        if (!runs.empty() && runs.back().first + runs.back().count == p)
            runs.back().count++;
        else
            runs.push_back({p, 1});
    }
    return runs;
}

std::string describe(const std::vector<PageRun>& runs) {
    std::string s;
    for (auto& r : runs) s += "[" + std::to_string(r.first) + "+" + std::to_string(r.count) + "] ";
    return s;
}

const char* name_of(PageTrackerBackend b) { return b == PageTrackerBackend::Userfaultfd ? "userfaultfd" : "mprotect"; }

TEST(DirtyBitmapTest, RunsMergeAcrossWordsAndSummaryWords) {
    DirtyBitmap bits(3 * 4096 + 7);
    std::set<uint64_t> pages = {0, 1, 2, 62, 63, 64, 65, 127, 4095, 4096, 4097, 8191, 3 * 4096 + 6};
    for (uint64_t p = 200; p < 200 + 64 * 3 + 5; p++) pages.insert(p);  // whole words in a run
    for (uint64_t p : pages) bits.mark(p);
    std::vector<PageRun> out;
    bits.take(out);
    EXPECT_EQ(out, runs_of(pages)) << describe(out);
    out.clear();
    bits.take(out);
    EXPECT_TRUE(out.empty());
}

// HotPages alone: which pages stay open and are reported, take by take.
struct HotPagesRun {
    HotPages hot;
    std::vector<PageRun> runs, rearm;
    HotPagesRun() { hot.set_enabled(true); }
    /// One take with `taken` dirty; returns what is reported.
    std::vector<PageRun> take(std::vector<PageRun> taken) {
        runs = std::move(taken);
        hot.take(runs, 0, rearm);
        return runs;
    }
};

TEST(HotPagesTest, APageWrittenAgainSoonStaysOpenForItsTimeThenIsReProtected) {
    HotPagesRun h;
    EXPECT_EQ(h.take({{5, 1}}), (std::vector<PageRun>{{5, 1}}));
    EXPECT_EQ(h.rearm, (std::vector<PageRun>{{5, 1}}));  // the first write: re-protected
    EXPECT_TRUE(h.take({}).empty());
    EXPECT_EQ(h.take({{5, 1}, {9, 1}}), (std::vector<PageRun>{{5, 1}, {9, 1}}));
    EXPECT_EQ(h.rearm, (std::vector<PageRun>{{9, 1}}));  // 5 written again 2 takes later: open
    EXPECT_EQ(h.hot.open_pages(), 1u);
    // Reported at every take while open (it may be written without a fault), merged with what was taken.
    for (uint64_t t = 1; t < HotPages::kOpenTakes; ++t) {
        ASSERT_EQ(h.take(t == 3 ? std::vector<PageRun>{{4, 1}, {7, 2}} : std::vector<PageRun>{}),
                  t == 3 ? (std::vector<PageRun>{{4, 2}, {7, 2}}) : (std::vector<PageRun>{{5, 1}}))
            << "take " << t;
        ASSERT_EQ(h.rearm, t == 3 ? (std::vector<PageRun>{{4, 1}, {7, 2}}) : std::vector<PageRun>{}) << "take " << t;
    }
    // Its time is up: reported once more and re-protected in the same take.
    EXPECT_EQ(h.take({}), (std::vector<PageRun>{{5, 1}}));
    EXPECT_EQ(h.rearm, (std::vector<PageRun>{{5, 1}}));
    EXPECT_EQ(h.hot.open_pages(), 0u);
    EXPECT_TRUE(h.take({}).empty());
    // Written again soon after closing: open again.
    EXPECT_EQ(h.take({{5, 1}}), (std::vector<PageRun>{{5, 1}}));
    EXPECT_TRUE(h.rearm.empty());
}

TEST(HotPagesTest, LateWritesLargeRunsAndTheCapKeepPagesProtected) {
    HotPagesRun h;
    h.take({{1, 1}});
    for (uint64_t t = 0; t < HotPages::kRecentTakes; ++t) h.take({});
    h.take({{1, 1}});  // kRecentTakes + 1 takes later: too late to turn hot
    EXPECT_EQ(h.rearm, (std::vector<PageRun>{{1, 1}}));
    h.take({{100, 64}});
    h.take({});
    h.take({});
    h.take({{100, 64}});  // a large run written again 3 takes later: not a small page, not a stream
    EXPECT_EQ(h.rearm, (std::vector<PageRun>{{100, 64}}));
    EXPECT_EQ(h.hot.open_pages(), 0u);
    // At most kMaxOpen pages open; the others keep faulting.
    std::vector<PageRun> many;
    for (uint64_t p = 0; p < HotPages::kMaxOpen + 8; ++p) many.push_back({1000 + 2 * p, 1});
    h.take(many);
    h.take(many);
    EXPECT_EQ(h.hot.open_pages(), HotPages::kMaxOpen);
    EXPECT_EQ(h.rearm.size(), 8u);
    // A large run over open pages closes them; turning hot pages off closes the rest at the next take.
    h.take({{1000, 20}});
    EXPECT_EQ(h.hot.open_pages(), HotPages::kMaxOpen - 10);
    h.hot.set_enabled(false);
    const std::vector<PageRun> last = h.take({});
    EXPECT_EQ(last.size(), HotPages::kMaxOpen - 10);
    EXPECT_EQ(h.rearm, last);
    EXPECT_EQ(h.hot.open_pages(), 0u);
    h.take({{1, 1}});
    h.take({{1, 1}});
    EXPECT_EQ(h.rearm, (std::vector<PageRun>{{1, 1}}));  // off: every page re-protected at once
}

TEST(HotPagesTest, ARunWrittenAgainAtEveryTakeStaysOpenWhileItKeepsChanging) {
    HotPagesRun h;
    EXPECT_EQ(h.take({{100, 64}}), (std::vector<PageRun>{{100, 64}}));
    EXPECT_EQ(h.rearm, (std::vector<PageRun>{{100, 64}}));  // the first time: re-protected
    // Written again at the next take (a fault opened it, in groups): open as a stream, reported, not re-protected.
    EXPECT_EQ(h.take({{100, 16}, {116, 48}}), (std::vector<PageRun>{{100, 64}}));
    EXPECT_TRUE(h.rearm.empty());
    EXPECT_EQ(h.hot.stream_pages(), 64u);
    // Every take reports it while the comparison finds it changed; no write faults, nothing re-protected.
    for (int t = 0; t < 5; ++t) {
        h.hot.changed({{100, 64}});
        ASSERT_EQ(h.take({}), (std::vector<PageRun>{{100, 64}})) << t;
        ASSERT_TRUE(h.rearm.empty()) << t;
    }
    // Part of it found unchanged: those pages are re-protected by the next take and reported once more with it.
    h.hot.changed({{90, 5}, {100, 10}, {150, 14}});
    EXPECT_EQ(h.take({{300, 1}}), (std::vector<PageRun>{{100, 64}, {300, 1}}));
    EXPECT_EQ(h.rearm, (std::vector<PageRun>{{110, 40}, {300, 1}}));
    EXPECT_EQ(h.hot.stream_pages(), 24u);
    // No comparison reported after a take: every stream page is re-protected by the next one.
    EXPECT_EQ(h.take({}), (std::vector<PageRun>{{100, 10}, {150, 14}}));
    EXPECT_EQ(h.rearm, (std::vector<PageRun>{{100, 10}, {150, 14}}));
    EXPECT_EQ(h.hot.stream_pages(), 0u);
    EXPECT_TRUE(h.take({}).empty());
    // Turning hot pages off closes streams too.
    h.take({{500, 8}});
    h.take({{500, 8}});
    EXPECT_EQ(h.hot.stream_pages(), 8u);
    h.hot.changed({{500, 8}});
    h.hot.set_enabled(false);
    EXPECT_EQ(h.take({}), (std::vector<PageRun>{{500, 8}}));
    EXPECT_EQ(h.rearm, (std::vector<PageRun>{{500, 8}}));
    EXPECT_EQ(h.hot.open_pages(), 0u);
}

TEST(HotPagesTest, StreamsOfTheProcessStayWithinTheirCap) {
    const size_t before = HotPages::stream_pages_in_process();
    const uint64_t big = HotPages::kMaxStreamPagesInProcess / 2 + 1;
    HotPagesRun a, b;
    a.take({{0, big}});
    a.take({{0, big}});
    EXPECT_EQ(a.hot.stream_pages(), big);
    b.take({{0, big}});
    b.take({{0, big}});  // would pass the cap: keeps faulting
    EXPECT_EQ(b.rearm, (std::vector<PageRun>{{0, big}}));
    EXPECT_EQ(b.hot.stream_pages(), 0u);
    EXPECT_EQ(HotPages::stream_pages_in_process(), before + big);
    a.take({});  // no comparison reported: closed, back to the process
    EXPECT_EQ(HotPages::stream_pages_in_process(), before);
}

TEST(HotPagesTest, TheProcessKeepsAtMostItsShareOpenWhateverTheRegions) {
    const size_t before = HotPages::open_in_process();
    std::vector<PageRun> many;
    for (uint64_t p = 0; p < HotPages::kMaxOpen; ++p) many.push_back({2 * p, 1});
    {
        std::vector<std::unique_ptr<HotPagesRun>> regions;
        size_t open = 0;
        for (size_t r = 0; r < HotPages::kMaxOpenInProcess / HotPages::kMaxOpen + 3; ++r) {
            regions.push_back(std::make_unique<HotPagesRun>());
            regions.back()->take(many);
            regions.back()->take(many);
            open += regions.back()->hot.open_pages();
        }
        EXPECT_EQ(open, HotPages::kMaxOpenInProcess - before);
        EXPECT_EQ(HotPages::open_in_process(), HotPages::kMaxOpenInProcess);
        EXPECT_EQ(regions.back()->hot.open_pages(), 0u);  // none left for it: its pages keep faulting
        // A region's open pages go back to the process when they close...
        regions.front()->hot.set_enabled(false);
        regions.front()->take({});
        EXPECT_EQ(HotPages::open_in_process(), HotPages::kMaxOpenInProcess - HotPages::kMaxOpen);
    }
    // ...and when the region goes.
    EXPECT_EQ(HotPages::open_in_process(), before);
}

class PageTrackerTest : public ::testing::TestWithParam<PageTrackerBackend> {
protected:
    /// One tracker per backend for the whole process (created lazily, so death-test children start clean).
    PageTracker* tracker() {
        static std::map<PageTrackerBackend, std::unique_ptr<PageTracker>> trackers;
        static std::map<PageTrackerBackend, std::string> errors;
        auto b = GetParam();
        if (!trackers.count(b) && !errors.count(b)) {
            std::string error;
            trackers[b] = PageTracker::create_backend(b, &error);
            if (!trackers[b]) errors[b] = error;
        }
        if (trackers[b]) return trackers[b].get();
        return nullptr;
    }
    /// Skips (saying why) only where this kernel refuses userfaultfd to this user; as root it must work.
    bool skip_if_unavailable() {
        if (tracker()) return false;
        std::string error;
        PageTracker::create_backend(GetParam(), &error);
        if (GetParam() == PageTrackerBackend::Userfaultfd && geteuid() != 0) {
            std::printf("userfaultfd refused to this user: %s\n", error.c_str());
            return true;
        }
        ADD_FAILURE() << name_of(GetParam()) << " unavailable: " << error;
        return true;
    }
    /// Hot pages off unless asked for: most tests check that a take reports exactly the pages written.
    std::unique_ptr<TrackedRegion> make(uint64_t size, bool hot = false) {
        std::string error;
        auto r = tracker()->create(size, &error);
        EXPECT_TRUE(r) << error;
        if (r) r->set_hot_pages(hot);
        return r;
    }
};

TEST_P(PageTrackerTest, ScatteredWritesAreExactlyTheReportedRuns) {
    if (skip_if_unavailable()) GTEST_SKIP();
    auto region = make(256 * kMiB);
    ASSERT_TRUE(region);
    ASSERT_EQ(region->size(), 256 * kMiB);
    uint8_t* p = region->program_view();
    const uint64_t last = 256 * kMiB / kPageSize - 1;
    std::set<uint64_t> pages = {0, 1, 2, 63, 64, 100, 4095, 4096, 4097, 40000, last};
    for (uint64_t page : pages) p[page * kPageSize + (page % 4000)] = static_cast<uint8_t>(page | 1);
    // One write straddling two pages dirties both.
    std::memset(p + 500 * kPageSize - 3, 0xAB, 6);
    pages.insert(499);
    pages.insert(500);
    // Reading a clean page reports nothing.
    volatile uint8_t sink = p[7000 * kPageSize];
    (void)sink;

    std::vector<PageRun> out;
    region->take_dirty(out);
    EXPECT_EQ(out, runs_of(pages)) << describe(out);
    out.clear();
    region->take_dirty(out);
    EXPECT_TRUE(out.empty()) << describe(out);

    // The driver sees the program's bytes; its own writes are never reported.
    uint8_t* d = region->driver_view();
    EXPECT_EQ(d[4096 * kPageSize + 4096 % 4000], static_cast<uint8_t>(4096 | 1));
    EXPECT_EQ(d[500 * kPageSize + 2], 0xAB);
    d[123 * kPageSize] = 9;
    d[last * kPageSize + 1] = 9;
    EXPECT_EQ(p[123 * kPageSize], 9);
    region->take_dirty(out);
    EXPECT_TRUE(out.empty()) << describe(out);

    // Re-armed: the same page written again is reported again, and only it.
    p[64 * kPageSize] = 1;
    region->take_dirty(out);
    EXPECT_EQ(out, (std::vector<PageRun>{{64, 1}})) << describe(out);
}

TEST_P(PageTrackerTest, WriteThenTakeOnOneThreadIsAlwaysInThatTake) {
    if (skip_if_unavailable()) GTEST_SKIP();
    // The program writes then submits: the submit's take_dirty must see the write (the handler marks the page
    // before the writer resumes), not only the next one.
    auto region = make(64 * kPageSize);
    ASSERT_TRUE(region);
    std::vector<PageRun> out;
    for (int i = 0; i < 5000; i++) {
        region->program_view()[(i % 64) * kPageSize + i % 100] = static_cast<uint8_t>(i);
        out.clear();
        region->take_dirty(out);
        ASSERT_EQ(out, (std::vector<PageRun>{{uint64_t(i % 64), 1}})) << "write " << i << ": " << describe(out);
    }
}

TEST_P(PageTrackerTest, ConcurrentWritersLoseNoWrite) {
    if (skip_if_unavailable()) GTEST_SKIP();
    const uint64_t pages = 4096;  // 16 MiB: small enough that pages are re-dirtied while being taken
    auto region = make(pages * kPageSize);
    ASSERT_TRUE(region);
    std::vector<uint8_t> reference(pages * kPageSize, 0);
    std::atomic<int> running{4};
    std::atomic<uint64_t> takes_done{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; t++) {
        writers.emplace_back([&, t] {
            std::mt19937_64 rng(t + 1);
            uint8_t* p = region->program_view();
            // Until both enough writes and enough takes happened to interleave (on a loaded machine or not).
            for (uint64_t seq = 1; seq <= 20000 || (takes_done.load() < 20 && seq < 50000000); seq++) {
                uint64_t page = rng() % pages;
                // Each thread its own slot of the page: the page's last bytes say which write came last.
                std::memcpy(p + page * kPageSize + t * 8 + (seq % 64) * 32, &seq, sizeof seq);
            }
            running--;
        });
    }
    uint64_t takes = 0, reported = 0;
    std::vector<PageRun> out;
    auto copy_reported = [&] {
        out.clear();
        region->take_dirty(out);
        for (auto& r : out) {
            std::memcpy(reference.data() + r.first * kPageSize, region->driver_view() + r.first * kPageSize,
                        r.count * kPageSize);
            reported += r.count;
        }
        takes++;
        takes_done++;
    };
    // Taking as often as a program submits, not in a tight loop: re-arming every page the moment it is written
    // would make every write a fault, all served by the one uffd handler thread (minutes on 16 cores).
    while (running.load() > 0) {
        copy_reported();
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    for (auto& w : writers) w.join();
    copy_reported();
    std::printf("[ %s ] %llu take_dirty calls, %llu pages reported\n", name_of(GetParam()),
                (unsigned long long)takes, (unsigned long long)reported);
    uint64_t lost = 0;
    for (uint64_t page = 0; page < pages; page++)
        if (std::memcmp(reference.data() + page * kPageSize, region->driver_view() + page * kPageSize, kPageSize) != 0)
            lost++;
    EXPECT_EQ(lost, 0u) << "pages whose last write was never reported";
    out.clear();
    region->take_dirty(out);
    EXPECT_TRUE(out.empty()) << describe(out);
}

TEST_P(PageTrackerTest, KernelWritesIntoProgramView) {
    if (skip_if_unavailable()) GTEST_SKIP();
    auto region = make(1 * kMiB);
    ASSERT_TRUE(region);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const char msg[] = "bytes written by the kernel";
    ASSERT_EQ(write(fds[1], msg, sizeof msg), (ssize_t)sizeof msg);
    uint8_t* target = region->program_view() + 5 * kPageSize + 100;
    ssize_t n = read(fds[0], target, sizeof msg);
    std::vector<PageRun> out;
    if (GetParam() == PageTrackerBackend::Userfaultfd) {
        EXPECT_EQ(n, (ssize_t)sizeof msg) << strerror(errno);
    } else {
        // mprotect cannot catch the kernel's own write: the call fails and the bytes stay in the pipe. Touching
        // the page first (what a program sees as "it works after I write to it") makes it succeed.
        ASSERT_EQ(n, -1);
        EXPECT_EQ(errno, EFAULT);
        region->take_dirty(out);
        EXPECT_TRUE(out.empty()) << describe(out);
        target[0] = 0;
        n = read(fds[0], target, sizeof msg);
        EXPECT_EQ(n, (ssize_t)sizeof msg) << strerror(errno);
    }
    EXPECT_EQ(std::memcmp(region->driver_view() + 5 * kPageSize + 100, msg, sizeof msg), 0);
    out.clear();
    region->take_dirty(out);
    EXPECT_EQ(out, (std::vector<PageRun>{{5, 1}})) << describe(out);
    close(fds[0]);
    close(fds[1]);
}

TEST_P(PageTrackerTest, RegionsComeAndGoWhileOthersAreWritten) {
    if (skip_if_unavailable()) GTEST_SKIP();
    const uint64_t pages = 1024;
    std::vector<std::unique_ptr<TrackedRegion>> stable;
    for (int i = 0; i < 3; i++) stable.push_back(make(pages * kPageSize));
    for (auto& r : stable) ASSERT_TRUE(r);
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; t++) {
        threads.emplace_back([&, t] {
            std::mt19937 rng(t);
            uint8_t* p = stable[t]->program_view();
            while (!stop.load()) p[(rng() % pages) * kPageSize + t] = 1;
        });
        // A taker per stable region keeps re-protecting, so its writers keep faulting.
        threads.emplace_back([&, t] {
            std::vector<PageRun> out;
            while (!stop.load()) {
                out.clear();
                stable[t]->take_dirty(out);
            }
        });
    }
    for (int round = 0; round < 300; round++) {
        auto r = make((1 + round % 7) * 64 * 1024);
        if (!r) break;
        // A write followed by take_dirty on the same thread is always in that call (a write then a submit).
        r->program_view()[round % 13 * kPageSize] = 1;
        std::vector<PageRun> out;
        r->take_dirty(out);
        EXPECT_EQ(out, (std::vector<PageRun>{{uint64_t(round % 13), 1}})) << "round " << round << ": " << describe(out);
        if (HasFailure()) break;
    }
    stop = true;
    for (auto& t : threads) t.join();
}

TEST_P(PageTrackerTest, ForkedChildWritesWithoutHangingAndParentKeepsTracking) {
    if (skip_if_unavailable()) GTEST_SKIP();
    auto region = make(16 * kPageSize);
    ASSERT_TRUE(region);
    region->program_view()[kPageSize] = 1;
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // Shared pages, no tracking that anyone reads: writes must simply work, and so must destruction.
        alarm(10);
        region->program_view()[2 * kPageSize] = 2;
        region->program_view()[3 * kPageSize] = 3;
        std::string error;
        bool refused = !tracker()->create(kPageSize, &error);
        region.reset();
        _exit(refused ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    // MAP_SHARED: the child's bytes are in the parent's memory; the parent's own tracking is intact.
    EXPECT_EQ(region->driver_view()[3 * kPageSize], 3);
    region->program_view()[5 * kPageSize] = 5;
    std::vector<PageRun> out;
    region->take_dirty(out);
    EXPECT_EQ(out, (std::vector<PageRun>{{1, 1}, {5, 1}})) << describe(out);
}

// A program handler that recovers with siglongjmp, as crash-tolerant programs do.
sigjmp_buf g_jump;
std::atomic<int> g_program_faults{0};
void program_handler(int, siginfo_t*, void*) {
    g_program_faults++;
    siglongjmp(g_jump, 1);
}

void install_program_handler() {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = program_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, nullptr);
}

/// Writes to a PROT_NONE page and returns whether the program handler caught it.
bool program_handler_catches_fault(uint8_t* guard) {
    int before = g_program_faults.load();
    if (sigsetjmp(g_jump, 1) == 0) {
        *reinterpret_cast<volatile uint8_t*>(guard) = 1;
        return false;
    }
    return g_program_faults.load() == before + 1;
}

/// Runs in a fresh process: the program handler comes first, the tracker second, another handler third.
int chaining_child(PageTrackerBackend backend) {
    uint8_t* guard = static_cast<uint8_t*>(mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    install_program_handler();
    std::string error;
    auto tracker = PageTracker::create_backend(backend, &error);
    if (!tracker) return 10;
    auto region = tracker->create(1 * kMiB, &error);
    if (!region) return 11;
    region->program_view()[3 * kPageSize] = 1;  // ours: must not reach the program
    if (g_program_faults.load() != 0) return 12;
    if (!program_handler_catches_fault(guard)) return 13;
    std::vector<PageRun> out;
    region->take_dirty(out);
    if (out != std::vector<PageRun>{{3, 1}}) return 14;
    // A handler installed after the tracker (a JVM, a crash reporter) is chained to once we re-hook, which
    // create() and take_dirty() do.
    install_program_handler();
    out.clear();
    region->take_dirty(out);
    region->program_view()[4 * kPageSize] = 1;
    if (g_program_faults.load() != 1) return 15;
    if (!program_handler_catches_fault(guard)) return 16;
    out.clear();
    region->take_dirty(out);
    if (out != std::vector<PageRun>{{4, 1}}) return 17;
    return 0;
}

TEST_P(PageTrackerTest, ProgramHandlerInstalledFirstStillGetsItsFaults) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(_exit(chaining_child(GetParam())), ::testing::ExitedWithCode(0), "");
}

TEST_P(PageTrackerTest, NullWriteStillKillsWithSigsegv) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    auto die = [](PageTrackerBackend backend) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        std::string error;
        auto tracker = PageTracker::create_backend(backend, &error);
        if (!tracker) _exit(10);
        auto region = tracker->create(1 * kMiB, &error);
        if (!region) _exit(11);
        region->program_view()[0] = 1;
        *reinterpret_cast<volatile int*>(static_cast<uintptr_t>(0)) = 1;
        _exit(12);
    };
    EXPECT_EXIT(die(GetParam()), ::testing::KilledBySignal(SIGSEGV), "");
}

/// Minor page faults this thread took so far.
long thread_minor_faults() {
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_minflt;
}

TEST_P(PageTrackerTest, AWriterGoingOnInARowOpensGrowingGroupsAndLosesNothing) {
    if (skip_if_unavailable()) GTEST_SKIP();
    // The groups and the filler are userfaultfd's; mprotect opens page by page, and must report the same pages.
    // ctest runs this binary with ANARCHY_PAGE_TRACKING_GROUP=1 (exact runs for the other tests); this test is about
    // the default groups of 16. The tracker reads the variable at its first fault, which in ctest's one-test
    // process comes after this line.
    setenv("ANARCHY_PAGE_TRACKING_GROUP", "16", 1);
    auto region = make(4 * kMiB);
    ASSERT_TRUE(region);
    uint8_t* p = region->program_view();
    std::vector<PageRun> out;
    for (int round = 0; round < 3; round++) {
        // Pages 0 and 1 written in a row: the second fault opens the aligned group of 16 and asks the filler to
        // make it writable in the page table (UFFDIO_WRITEPROTECT leaves shared pages read-only, so each would
        // take an ordinary write fault). The writer goes on past the group: the fault at 16 opens 16 more, the
        // one at 32 opens 32, and so on up to 128 pages, so the take reports at most 127 pages nobody wrote.
        p[0] = uint8_t(round + 1);
        p[kPageSize] = uint8_t(round + 1);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        long before = thread_minor_faults();
        for (uint64_t page = 2; page < 16; page++) p[page * kPageSize] = uint8_t(round + 1);
        // Printed only: on a host it is 0 once the filler ran, but a virtual machine with shadow page tables
        // counts its own resynchronisation faults here too.
        std::printf("round %d: %ld faults writing 14 pages the filler had made writable\n", round,
                    thread_minor_faults() - before);
        for (uint64_t page = 16; page < 300; page++) p[page * kPageSize + 5] = uint8_t(round + 1);
        out.clear();
        region->take_dirty(out);
        ASSERT_FALSE(out.empty());
        EXPECT_EQ(out.size(), 1u) << describe(out);
        EXPECT_EQ(out.front().first, 0u);
        EXPECT_GE(out.front().count, 300u) << describe(out);
        EXPECT_LE(out.front().count, 300u + 127u) << describe(out);
        for (uint64_t page = 0; page < 300; page++)
            ASSERT_EQ(region->driver_view()[page * kPageSize + (page < 16 ? 0 : 5)], round + 1) << page;
        // Re-armed: an isolated write after the take opens its own page only.
        p[1000 * kPageSize] = 7;
        out.clear();
        region->take_dirty(out);
        EXPECT_EQ(out, (std::vector<PageRun>{{1000, 1}})) << describe(out);
    }
}

/// A second thread writing 8-byte sequence numbers into the pages `page_of(seq)` names until stopped (with a short
/// pause every 64 writes), and what must have reached the driver view: the tests copy each reported page into
/// `reference`, and in the end every page must equal the region's.
class OtherWriter {
public:
    OtherWriter(TrackedRegion& region, std::function<uint64_t(uint64_t)> page_of)
        : region_(region), reference(region.mapped_size(), 0), thread_([this, page_of] {
              for (uint64_t seq = 1; !stop_.load(); ++seq) {
                  std::memcpy(region_.program_view() + page_of(seq) * kPageSize + (seq % 500) * 8, &seq, sizeof seq);
                  if (seq % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(20));
              }
          }) {}
    ~OtherWriter() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    /// Pages whose bytes differ between `reference` and the driver view: writes that were never reported.
    uint64_t lost() const {
        uint64_t n = 0;
        for (uint64_t page = 0; page < reference.size() / kPageSize; page++)
            if (std::memcmp(reference.data() + page * kPageSize, region_.driver_view() + page * kPageSize, kPageSize))
                n++;
        return n;
    }

private:
    TrackedRegion& region_;
    std::atomic<bool> stop_{false};

public:
    std::vector<uint8_t> reference;

private:
    std::thread thread_;
};

TEST_P(PageTrackerTest, HotPagesWrittenWithoutFaultsLoseNoWrite) {
    if (skip_if_unavailable()) GTEST_SKIP();
    // An upload ring's pattern (the memory benchmark's): small writes cycling over 16 places, a take after each, and
    // a second thread writing 8 other pages meanwhile. Copying what each take reports must end with every byte.
    auto region = make(1024 * kPageSize, true);
    ASSERT_TRUE(region);
    uint8_t* p = region->program_view();
    OtherWriter other(*region, [](uint64_t seq) { return 512 + (seq % 8) * 3; });
    std::vector<uint8_t>& reference = other.reference;
    std::vector<PageRun> out;
    size_t most_open = 0;
    for (uint64_t frame = 0; frame < 3000; ++frame) {
        const uint64_t page = (frame % 16) * 60 + 1;
        for (uint64_t i = 0; i < 64; ++i) p[page * kPageSize + ((frame * 64 + i) * 61) % kPageSize] = uint8_t(frame + i);
        out.clear();
        region->take_dirty(out);
        bool reported = false;
        for (const PageRun& r : out) {
            std::memcpy(reference.data() + r.first * kPageSize, region->driver_view() + r.first * kPageSize,
                        r.count * kPageSize);
            reported = reported || (page >= r.first && page < r.first + r.count);
        }
        ASSERT_TRUE(reported) << "frame " << frame << ": " << describe(out);
        most_open = std::max(most_open, region->open_pages());
    }
    other.stop();
    // Until every open page has closed, a take may still report one: take until none is reported.
    for (uint64_t t = 0; t <= HotPages::kOpenTakes + 1; ++t) {
        out.clear();
        region->take_dirty(out);
        for (const PageRun& r : out)
            std::memcpy(reference.data() + r.first * kPageSize, region->driver_view() + r.first * kPageSize,
                        r.count * kPageSize);
    }
    EXPECT_TRUE(out.empty()) << describe(out);
    EXPECT_EQ(region->open_pages(), 0u);
    EXPECT_GE(most_open, 16u) << "the 16 places written again and again should have stayed open";
    EXPECT_LE(most_open, HotPages::kMaxOpen);
    EXPECT_EQ(other.lost(), 0u) << "pages whose last write was never reported";
}

TEST_P(PageTrackerTest, StreamsWrittenWithoutFaultsLoseNoWrite) {
    if (skip_if_unavailable()) GTEST_SKIP();
    // An upload heap's pattern: 64 pages filled in full before every take (from frame 1000 on only their first
    // half, from 2000 on none), with a second thread writing into that run's first half and elsewhere meanwhile
    // (not its second half: pages it kept changing there would rightly stay open, and the count checked at frame
    // 1999 would depend on its timing). The take loop does what the runtime does: copy each reported page whose
    // bytes changed and tell the region which did.
    auto region = make(1024 * kPageSize, true);
    ASSERT_TRUE(region);
    uint8_t* p = region->program_view();
    OtherWriter other(*region, [](uint64_t seq) { return seq % 2 ? 100 + (seq / 2) % 32 : 700 + (seq % 16) * 5; });
    std::vector<uint8_t>& reference = other.reference;
    std::vector<PageRun> out, changed;
    std::vector<uint8_t> fill(64 * kPageSize);
    size_t most_streamed = 0;
    auto take = [&] {
        out.clear();
        changed.clear();
        region->take_dirty(out);
        for (const PageRun& r : out) {
            for (uint64_t page = r.first; page < r.first + r.count; ++page) {
                uint8_t* now = region->driver_view() + page * kPageSize;
                uint8_t* was = reference.data() + page * kPageSize;
                if (std::memcmp(now, was, kPageSize) == 0) continue;
                std::memcpy(was, now, kPageSize);
                if (!changed.empty() && changed.back().first + changed.back().count == page)
                    changed.back().count++;
                else
                    changed.push_back({page, 1});
            }
        }
        region->note_changed(changed);
    };
    for (uint64_t frame = 0; frame < 3000; ++frame) {
        const uint64_t filled = frame < 1000 ? 64 : frame < 2000 ? 32 : 0;
        for (size_t i = 0; i < filled * kPageSize; i += 8) std::memcpy(&fill[i], &frame, 8);
        std::memcpy(p + 100 * kPageSize, fill.data(), filled * kPageSize);
        take();
        // Right after the take that finds half the run unchanged, a write into that half: the take that closes it
        // must still report it (it was writable until then).
        if (frame == 1000) p[140 * kPageSize + 7] = 0x5A;
        if (frame == 2000) p[110 * kPageSize + 9] = 0xA5;
        most_streamed = std::max(most_streamed, region->open_pages());
        if (frame == 1999) {
            EXPECT_LE(region->open_pages(), 32u + HotPages::kMaxOpen);
        }
    }
    other.stop();
    for (uint64_t t = 0; t <= HotPages::kOpenTakes + 2; ++t) take();
    EXPECT_TRUE(out.empty()) << describe(out);
    EXPECT_EQ(region->open_pages(), 0u);
    EXPECT_GE(most_streamed, 64u) << "the 64 pages filled at every take should have stayed open";
    EXPECT_EQ(other.lost(), 0u) << "pages whose last write was never reported";
}

TEST_P(PageTrackerTest, CostOfFaultsAndOfTakeDirtyOnOneGiB) {
    if (skip_if_unavailable()) GTEST_SKIP();
    using Clock = std::chrono::steady_clock;
    auto us = [](Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); };
    auto region = make(1024 * kMiB);
    ASSERT_TRUE(region);
    uint8_t* p = region->program_view();
    const int kPages = 2000;
    // First touch (page allocated and fault), then a re-armed page (fault only).
    auto t0 = Clock::now();
    for (int i = 0; i < kPages; i++) p[uint64_t(i) * 37 * kPageSize] = 1;
    auto t1 = Clock::now();
    std::vector<PageRun> out;
    region->take_dirty(out);
    ASSERT_EQ(out.size(), size_t(kPages));
    auto t2 = Clock::now();
    for (int i = 0; i < kPages; i++) p[uint64_t(i) * 37 * kPageSize] = 2;
    auto t3 = Clock::now();
    out.clear();
    auto t4 = Clock::now();
    region->take_dirty(out);
    auto t5 = Clock::now();
    double one_dirty = 0, none_dirty = 0;
    const int kRounds = 200;
    for (int i = 0; i < kRounds; i++) {
        p[uint64_t(i) * 999 * kPageSize % (1024 * kMiB)] = 3;
        out.clear();
        auto a = Clock::now();
        region->take_dirty(out);
        auto b = Clock::now();
        region->take_dirty(out);
        auto c = Clock::now();
        EXPECT_EQ(out.size(), 1u);
        one_dirty += us(b - a);
        none_dirty += us(c - b);
    }
    std::printf("[ %s ] fault: %.2f us/page first touch, %.2f us/page re-armed; 1 GiB take_dirty: %.2f us with 1 dirty "
                "page, %.2f us clean, %.1f us with %d scattered dirty pages\n",
                name_of(GetParam()), us(t1 - t0) / kPages, us(t3 - t2) / kPages, one_dirty / kRounds,
                none_dirty / kRounds, us(t5 - t4), kPages);
}

TEST_P(PageTrackerTest, StalePagesAreFetchedOnFirstTouchAndStayWriteTracked) {
    if (skip_if_unavailable()) GTEST_SKIP();
    auto region = make(4 * kMiB);
    ASSERT_TRUE(region);
    if (GetParam() == PageTrackerBackend::Mprotect) {
        EXPECT_FALSE(tracker()->supports_stale());
        EXPECT_FALSE(region->mark_stale(0, kPageSize));
        return;
    }
    ASSERT_TRUE(tracker()->supports_stale());
    ASSERT_TRUE(region->supports_stale());
    uint8_t* p = region->program_view();
    uint8_t* d = region->driver_view();
    std::mutex mu;
    std::vector<std::pair<uint64_t, uint64_t>> fetches;
    std::atomic<bool> fail{false};
    // What the runtime does: merge the GPU's bytes into the driver view (the program's unsent page 5 keeps its
    // bytes), then clear the stale marks. It runs on the handler thread: creating and freeing another region
    // there proves the handler holds no table lock while fetching.
    region->set_fetch([&](uint64_t offset, uint64_t size) {
        if (fail) return false;
        {
            std::lock_guard<std::mutex> lock(mu);
            fetches.push_back({offset, size});
        }
        std::string error;
        auto other = tracker()->create(kPageSize, &error);
        EXPECT_TRUE(other) << error;
        other.reset();
        for (uint64_t i = offset; i < offset + size; ++i)
            if (i / kPageSize != 5) d[i] = uint8_t(0x40 + i / kMiB);
        region->clear_stale(offset, size);
        return true;
    });
    p[5 * kPageSize] = 7;  // written, not taken yet
    volatile uint8_t sink = p[2 * kMiB + 10];  // mapped before it goes stale
    (void)sink;
    ASSERT_TRUE(region->mark_stale(0, 3 * kMiB));

    // A read fetches the stale run around it, within its aligned MiB, once.
    EXPECT_EQ(p[2 * kMiB + 10], 0x42);
    EXPECT_EQ(p[2 * kMiB + 5000], 0x42);
    // Several threads touching the rest at once: each MiB fetched once, every reader sees the fetched bytes.
    std::vector<std::thread> readers;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 4; ++t)
        readers.emplace_back([&, t] {
            for (uint64_t at = t * kPageSize + 17; at < 2 * kMiB; at += 4 * kPageSize)
                if (at / kPageSize != 5 && p[at] != uint8_t(0x40 + at / kMiB)) wrong++;
        });
    for (auto& t : readers) t.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(p[5 * kPageSize], 7) << "the program's unsent write must survive the fetch";
    {
        std::lock_guard<std::mutex> lock(mu);
        std::set<std::pair<uint64_t, uint64_t>> got(fetches.begin(), fetches.end());
        EXPECT_EQ(got, (std::set<std::pair<uint64_t, uint64_t>>{{0, kMiB}, {kMiB, kMiB}, {2 * kMiB, kMiB}}));
        EXPECT_EQ(fetches.size(), 3u);
    }
    // Still write-tracked: the page written before (its group) and a fetched page written after.
    // (A write opens its aligned group of pages: ANARCHY_PAGE_TRACKING_GROUP, 16 unless set.)
    auto only_group_of = [](const std::vector<PageRun>& runs, uint64_t page) {
        return runs.size() == 1 && runs[0].first <= page && page < runs[0].first + runs[0].count &&
               runs[0].count <= 16 && runs[0].first / 16 == page / 16;
    };
    std::vector<PageRun> out;
    region->take_dirty(out);
    EXPECT_TRUE(only_group_of(out, 5)) << describe(out);
    out.clear();
    p[2 * kMiB + 3 * kPageSize] = 1;
    region->take_dirty(out);
    EXPECT_TRUE(only_group_of(out, 515)) << describe(out);
    // A page never stale does not fetch.
    EXPECT_EQ(p[3 * kMiB + 100], 0);
    // A failed fetch leaves the driver view's bytes and never hangs the program.
    fail = true;
    d[3 * kMiB + 2 * kPageSize] = 9;
    ASSERT_TRUE(region->mark_stale(3 * kMiB + 2 * kPageSize, 10));
    EXPECT_EQ(p[3 * kMiB + 2 * kPageSize], 9);
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(fetches.size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Backends, PageTrackerTest,
                         ::testing::Values(PageTrackerBackend::Userfaultfd, PageTrackerBackend::Mprotect),
                         [](const auto& info) { return std::string(name_of(info.param)); });

TEST(PageTrackerSelectionTest, ProcessTrackerPrefersUserfaultfd) {
    const char* forced = getenv("ANARCHY_PAGE_TRACKING");
    const char* chosen = PageTracker::instance().backend_name();
    std::printf("process-wide tracker: %s\n", chosen);
    if (!forced && geteuid() == 0) {
        EXPECT_STREQ(chosen, "userfaultfd");
    }
}

}  // namespace
}  // namespace anarchy::client
