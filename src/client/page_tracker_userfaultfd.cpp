// Page tracking with userfaultfd write-protect: a clean page of the program view is write-protected in its page
// table entry (a marker when the page was never touched); the first write blocks the writing thread and queues a
// message that the tracker's handler thread answers by lifting the protection, setting the dirty bit and waking
// the writer. Unlike mprotect this needs no signal handler and catches writes the kernel does for the
// program (read(2) into mapped memory), and un-protecting a page never splits the mapping.
//
// The handler thread is one per tracker, runs with every signal blocked, never touches program views (it would
// block on itself), and is never stopped for the process-wide tracker (exit_group ends it; nothing waits on it).
// Stale pages (DESIGN.md decision 8): the program view is also registered for minor faults (a page present in the
// memfd but not mapped in the view). Marking pages stale drops them from the program view (MADV_DONTNEED drops the
// mapping, not the shared memory); the next access takes a minor fault, and the handler thread fetches the stale
// run through the runtime (a call whose reply the runtime's receiver thread applies), then maps the pages back
// write-protected (UFFDIO_CONTINUE_MODE_WP) and wakes the thread. While fetching it holds no lock: the state it
// needs is shared (StaleState), so a region freed meanwhile only turns it dead. A minor fault on a page that is not
// stale (first touch of a page the driver wrote, or one the kernel unmapped) just maps it back.
//
// Pages un-protected by UFFDIO_WRITEPROTECT stay read-only in the page table (the kernel does not make shared
// mappings writable again there), so without help each of them takes a second, ordinary write fault: 250 us for a
// MiB on the NVIDIA host. So a fault that opens a group of pages drops the group from the program view and maps
// it back writable with UFFDIO_CONTINUE (open_writable: about 40 us a MiB there, and the writer then goes on at
// memcpy speed), where the region is registered for minor faults. Otherwise a second thread (the filler)
// pre-faults the group writable with MADV_POPULATE_WRITE while the writer goes on. Never the handler thread: the
// populate may itself take a fault that only the handler thread can answer (a page re-protected meanwhile by
// take_dirty, or a page the driver view holds and the program view has not mapped yet).
//
// After fork the child has no handler thread and its views are plain shared memory: see page_tracker.cpp. The
// child must not touch the inherited userfaultfd: its ioctls would change the parent's protections.
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "client/page_tracker.h"
#include "common/log.h"

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif
#ifndef UFFDIO_CONTINUE_MODE_WP
#define UFFDIO_CONTINUE_MODE_WP ((__u64)1 << 1)
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
#define UFFD_FEATURE_WP_HUGETLBFS_SHMEM (1 << 12)
#endif

namespace anarchy::client {
namespace {

using page_tracker_detail::system_page_size;

/// A userfaultfd that may report faults taken in kernel mode; -1 and *error otherwise.
int open_userfaultfd(std::string* error) {
    int fd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
    if (fd >= 0) return fd;
    std::string why = std::string("userfaultfd(): ") + strerror(errno);
    // /dev/userfaultfd grants kernel-mode faults to whoever may open it, whatever vm.unprivileged_userfaultfd.
    int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
    if (dev < 0) {
        *error = why + "; /dev/userfaultfd: " + strerror(errno);
        return -1;
    }
    fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
    int saved = errno;
    close(dev);
    if (fd < 0) *error = why + "; USERFAULTFD_IOC_NEW: " + strerror(saved);
    return fd;
}

/// UFFDIO_WRITEPROTECT, retried while the kernel answers EAGAIN (the address space is changing under it).
bool write_protect(int uffd, uintptr_t start, uint64_t len, bool protect) {
    struct uffdio_writeprotect wp;
    wp.range.start = start;
    wp.range.len = len;
    // Lifting it never wakes the writer here: on_fault wakes it only once the dirty bit is set.
    wp.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : UFFDIO_WRITEPROTECT_MODE_DONTWAKE;
    for (int attempt = 0; attempt < 1000; attempt++) {
        if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) == 0) return true;
        if (errno != EAGAIN && errno != EINTR) return false;
    }
    return false;
}

/// What the handler thread uses of a region while it fetches with no lock held. Shared with the region, so a region
/// freed meanwhile leaves it valid: alive turns false (under mu) before the views are unmapped.
struct StaleState {
    std::mutex mu;                // guards alive and bits; held while mapping pages back, never while fetching
    bool alive = true;
    std::vector<uint64_t> bits;   // one per system page: stale
    StaleFetch fetch;             // set before any page goes stale, then never changed
    uintptr_t program = 0;
    uint64_t pages = 0;
    uint64_t next_fetch = ~uint64_t(0);  // handler thread only: the page after the last fetch
    uint64_t fetch_scale = 1;            // handler thread only: grows while the program reads on in order
    bool test(uint64_t p) const { return (bits[p >> 6] >> (p & 63)) & 1; }
    void set(uint64_t p, bool on) {
        if (on)
            bits[p >> 6] |= uint64_t(1) << (p & 63);
        else
            bits[p >> 6] &= ~(uint64_t(1) << (p & 63));
    }
};

/// Whether UFFDIO_CONTINUE takes UFFDIO_CONTINUE_MODE_WP (Linux 6.4+); found out on first use.
std::atomic<bool> g_continue_wp{true};

/// Maps pages [first, end) of the program view back from the memfd (UFFDIO_CONTINUE, waking nobody), write-protected
/// (`protect`) or writable. A page that cannot be mapped (EEXIST: mapped already; EFAULT/ENOENT: a hole of the
/// memfd) is skipped, or with `unprotect_unmapped` un-protected the ordinary way, so that its next write cannot
/// fault for ever.
void map_pages(uintptr_t program, int uffd, uint64_t first, uint64_t end, bool protect, bool unprotect_unmapped) {
    uint64_t ps = system_page_size();
    uint64_t p = first;
    int retries = 0;
    while (p < end) {
        struct uffdio_continue c;
        memset(&c, 0, sizeof c);
        c.range.start = program + p * ps;
        c.range.len = (end - p) * ps;
        bool wp = protect && g_continue_wp.load();
        c.mode = UFFDIO_CONTINUE_MODE_DONTWAKE | (wp ? UFFDIO_CONTINUE_MODE_WP : 0);
        int rc = ioctl(uffd, UFFDIO_CONTINUE, &c);
        int err = errno;
        int64_t mapped = rc == 0 ? int64_t((end - p) * ps) : c.mapped;
        if (mapped > 0 && protect && !wp) write_protect(uffd, program + p * ps, uint64_t(mapped), true);
        if (rc == 0) return;
        if (mapped > 0) {
            p += uint64_t(mapped) / ps;
            continue;
        }
        if (wp && (err == EINVAL || mapped == -EINVAL)) {
            // An older kernel: map, then protect (a write by another thread in between goes untracked).
            static std::atomic<bool> warned{false};
            if (!warned.exchange(true)) LOG_WARN("page tracking: UFFDIO_CONTINUE_MODE_WP refused; protecting after");
            g_continue_wp = false;
            continue;
        }
        if ((err == EAGAIN || mapped == -EAGAIN) && ++retries < 100) continue;
        if (unprotect_unmapped) write_protect(uffd, program + p * ps, ps, false);
        p++;
    }
}

/// Maps pages [first, end) of the program view back after a minor fault, write-protected. Caller holds st.mu and
/// has checked st.alive.
void map_back(StaleState& st, int uffd, uint64_t first, uint64_t end) {
    map_pages(st.program, uffd, first, end, true, false);
}

/// What the filler thread uses of a region: shared, so a region freed meanwhile only turns it dead. The region's
/// destructor takes mu (waiting for a populate in flight) before the views go.
struct PopulateState {
    std::mutex mu;
    bool alive = true;
    uintptr_t program = 0;
    /// take_dirty calls so far (changed under mu; the handler thread reads it without): a fill asked for before the
    /// latest one is stale. Run after the take re-protected its pages, it would fault on them and mark pages nobody
    /// wrote dirty again.
    std::atomic<uint64_t> takes{0};
};

class UffdTracker;

class UffdRegion final : public TrackedRegion {
public:
    UffdRegion(UffdTracker* tracker, uint8_t* program, uint8_t* driver, uint64_t size, uint64_t mapped_size,
               bool stale)
        : TrackedRegion(program, driver, size, mapped_size), tracker_(tracker), bits_(mapped_size / system_page_size()) {
        populate_->program = reinterpret_cast<uintptr_t>(program);
        if (stale) {
            stale_ = std::make_shared<StaleState>();
            stale_->program = reinterpret_cast<uintptr_t>(program);
            stale_->pages = mapped_size / system_page_size();
            stale_->bits.assign((stale_->pages + 63) / 64, 0);
        }
    }
    ~UffdRegion() override;
    void take_dirty(std::vector<PageRun>& out) override;
    bool supports_stale() const override { return stale_ != nullptr; }
    void set_fetch(StaleFetch fetch) override {
        if (!stale_) return;
        std::lock_guard<std::mutex> lock(stale_->mu);
        stale_->fetch = std::move(fetch);
    }
    bool mark_stale(uint64_t offset, uint64_t size) override;
    void clear_stale(uint64_t offset, uint64_t size) override;
    /// From the handler thread (table lock held): lifts the protection of addr's page, then marks it.
    void on_fault(uintptr_t addr, int uffd);
    /// From the handler thread: makes pages [first, first + count) writable in the page table at once, by dropping
    /// them from the program view and mapping them back writable (UFFDIO_CONTINUE): un-protected with
    /// UFFDIO_WRITEPROTECT, shared pages stay read-only and each takes another fault on its first write. Needs
    /// minor-fault registration (false without it: the caller un-protects them the ordinary way).
    bool open_writable(uint64_t first, uint64_t count, int uffd);
    std::shared_ptr<StaleState> stale_state() const { return stale_; }
    bool registered = false;

private:
    /// [first, end) in system pages of the pages overlapping the byte range; false if empty.
    bool page_span(uint64_t offset, uint64_t size, uint64_t& first, uint64_t& end) const {
        uint64_t ps = system_page_size();
        if (!stale_ || size == 0 || offset >= mapped_size_) return false;
        first = offset / ps;
        end = std::min(stale_->pages, (std::min(offset + size, mapped_size_) + ps - 1) / ps);
        return first < end;
    }
    UffdTracker* tracker_;
    DirtyBitmap bits_;
    std::shared_ptr<StaleState> stale_;
    std::shared_ptr<PopulateState> populate_ = std::make_shared<PopulateState>();
};

class UffdTracker final : public PageTracker {
public:
    UffdTracker(int uffd, int stop_fd, bool minor) : uffd_(uffd), stop_fd_(stop_fd), pid_(getpid()), minor_(minor) {}
    ~UffdTracker() override {
        uint64_t one = 1;
        if (filler_.joinable()) {
            {
                std::lock_guard<std::mutex> lock(fill_mu_);
                fill_stop_ = true;
            }
            fill_cv_.notify_one();
            filler_.join();
        }
        if (thread_.joinable()) {
            (void)!write(stop_fd_, &one, sizeof one);
            thread_.join();
        }
        close(stop_fd_);
        close(uffd_);
    }
    const char* backend_name() const override { return "userfaultfd"; }
    bool supports_stale() const override { return minor_; }
    std::unique_ptr<TrackedRegion> create(uint64_t size, std::string* error) override;
    /// Starts the handler and filler threads with every signal blocked, so program signals never land on them.
    void start();
    /// From the handler thread: asks the filler to make bytes [offset, offset + size) of a region's program view
    /// writable in the page table. Never waits for the filler; a request that finds the queue full is dropped (the
    /// writer then takes the ordinary faults itself).
    /// `takes`: the region's PopulateState::takes read before the pages were un-protected.
    void request_fill(std::shared_ptr<PopulateState> region, uint64_t offset, uint64_t size, uint64_t takes);
    void unpublish(UffdRegion* region) {
        // A forked child has no handler thread and mutex_ may have been held at fork: nobody reads the map there.
        if (forked()) return;
        std::lock_guard<std::mutex> lock(mutex_);
        regions_.erase(reinterpret_cast<uintptr_t>(region->program_view()));
    }
    int uffd() const { return uffd_; }
    /// In a forked child every ioctl on the inherited userfaultfd would act on the PARENT's address space (the
    /// file is bound to the mm that created it), so a child's regions must never issue one.
    bool forked() const { return page_tracker_detail::in_forked_child(pid_); }

private:
    void run();
    void fill();
    void handle_fault(const uffd_msg& msg);
    struct FillRequest {
        std::shared_ptr<PopulateState> region;
        uint64_t offset, size;  // bytes of the program view
        uint64_t takes;         // the region's PopulateState::takes when asked
    };

    int uffd_;
    int stop_fd_;
    int pid_;
    bool minor_;  // minor faults of shared memory offered: regions can have stale pages
    std::thread thread_;
    std::thread filler_;
    std::mutex fill_mu_;                         // guards fills_ and fill_stop_
    std::condition_variable fill_cv_;
    std::deque<FillRequest> fills_;
    bool fill_stop_ = false;
    std::mutex mutex_;                           // guards regions_; held while the handler uses a region
    std::map<uintptr_t, UffdRegion*> regions_;   // program view start -> region
};

/// Pages un-protected together on one fault of a writer going through memory in a row. A fault costs about 10-20 us
/// (a round trip through the handler thread); comparing a clean page with the snapshot at the next flush costs
/// well under 1 us. So such a fault opens its whole aligned group, and a writer that goes on opens more at each
/// fault: as many pages as it wrote in a row so far, up to kMaxGrowthPages. 1 MiB written in a row then takes 6
/// faults (pages 0, 1, 16, 32, 64, 128) instead of 17 with fixed groups or 256 one by one, and at most
/// kMaxGrowthPages - 1 clean pages are compared for nothing. ANARCHY_PAGE_TRACKING_GROUP (pages, a power of two)
/// sets the first group; 1 opens single pages only.
uint64_t fault_group_pages() {
    static const uint64_t pages = [] {
        uint64_t n = 16;
        if (const char* v = std::getenv("ANARCHY_PAGE_TRACKING_GROUP")) n = std::strtoull(v, nullptr, 10);
        if (n == 0 || (n & (n - 1)) != 0 || n > 4096) n = 16;
        return n;
    }();
    return pages;
}
constexpr uint64_t kMaxGrowthPages = 128;

/// Whether opened groups are mapped back writable at once (UffdRegion::open_writable);
/// ANARCHY_PAGE_TRACKING_REMAP=0 turns it off (they are un-protected, and the filler makes them writable).
bool mapped_writable_enabled() {
    static const bool on = [] {
        const char* v = std::getenv("ANARCHY_PAGE_TRACKING_REMAP");
        return !(v && std::strcmp(v, "0") == 0);
    }();
    return on;
}

/// Whether opened groups are made writable by the filler thread; ANARCHY_PAGE_TRACKING_FILL=0 turns it off.
bool fill_enabled() {
    static const bool on = [] {
        const char* v = std::getenv("ANARCHY_PAGE_TRACKING_FILL");
        return !(v && std::strcmp(v, "0") == 0);
    }();
    return on;
}

void UffdRegion::on_fault(uintptr_t addr, int uffd) {
    uint64_t ps = system_page_size();
    uint64_t page = (addr - reinterpret_cast<uintptr_t>(program_)) / ps;
    // An isolated write opens its own page only (the next flush compares 4 KiB, not the group); a write next to a
    // page already written since the last flush is a writer going through memory in a row, and opens the group
    // around it, or, once it has written more than a group in a row, as many pages again from here on.
    uint64_t group = fault_group_pages();
    uint64_t first = page, count = 1;
    if (group > 1 && page > 0 && bits_.test(page - 1)) {
        // The pages written in a row just behind this one, counted up to the largest group opened.
        uint64_t behind = 1;
        const uint64_t limit = std::max(group, kMaxGrowthPages);
        while (behind < limit && behind < page && bits_.test(page - 1 - behind)) ++behind;
        if (behind < group) {
            first = page & ~(group - 1);
            count = group;
        } else {
            count = behind;
        }
        count = std::min(count, bits_.pages() - first);
    }
    // Un-protect, mark, then wake. Un-protect before marking: take_dirty clears then re-protects, so the bit
    // can never end clear while the page stays writable. Mark before waking: the writer's next step may be the
    // submit that calls take_dirty, which must see its write.
    uintptr_t start = reinterpret_cast<uintptr_t>(program_) + first * ps;
    const uint64_t takes = populate_->takes.load(std::memory_order_acquire);  // before: a take after it wins
    if (count > 1 && open_writable(first, count, uffd)) {
        for (uint64_t p = first; p < first + count; ++p) bits_.mark(p);
    } else if (write_protect(uffd, start, count * ps, false)) {
        for (uint64_t p = first; p < first + count; ++p) bits_.mark(p);
        if (count > 1 && fill_enabled()) tracker_->request_fill(populate_, first * ps, count * ps, takes);
    } else if (write_protect(uffd, start + (page - first) * ps, ps, false)) {
        bits_.mark(page);
    } else {
        LOG_WARN("page tracking: un-protecting a page failed: %s", strerror(errno));  // the writer faults again
    }
    struct uffdio_range range = {reinterpret_cast<uintptr_t>(program_) + page * ps, ps};
    ioctl(uffd, UFFDIO_WAKE, &range);
}

bool UffdRegion::open_writable(uint64_t first, uint64_t count, int uffd) {
    if (!stale_ || !mapped_writable_enabled()) return false;
    const uint64_t ps = system_page_size();
    const uintptr_t program = reinterpret_cast<uintptr_t>(program_);
    // Under the stale lock: mark_stale cannot drop pages meanwhile, and stale pages are left to their fetch.
    std::lock_guard<std::mutex> lock(stale_->mu);
    if (!stale_->alive) return false;
    const uint64_t end = std::min(first + count, stale_->pages);
    for (uint64_t p = first; p < end;) {
        uint64_t q = p;
        const bool stale = stale_->test(p);
        while (q < end && stale_->test(q) == stale) ++q;
        if (stale) {
            // Not mapped: lifting the protection (a marker, if any) lets the next access take its minor fault.
            write_protect(uffd, program + p * ps, (q - p) * ps, false);
        } else if (madvise(program_ + p * ps, (q - p) * ps, MADV_DONTNEED) == 0) {
            map_pages(program, uffd, p, q, false, true);
        } else {
            write_protect(uffd, program + p * ps, (q - p) * ps, false);
        }
        p = q;
    }
    return true;
}

void UffdRegion::take_dirty(std::vector<PageRun>& out) {
    if (tracker_->forked()) return;  // the child's view is untracked shared memory
    {
        // Waits for a fill in flight; those still queued go stale (their pages are about to be re-protected).
        std::lock_guard<std::mutex> lock(populate_->mu);
        populate_->takes.fetch_add(1, std::memory_order_release);
    }
    const uint64_t ps = system_page_size();
    take_and_rearm(bits_, out, ps, [&](uint64_t first, uint64_t count, std::string* why) {
        if (write_protect(tracker_->uffd(), reinterpret_cast<uintptr_t>(program_) + first * ps, count * ps, true))
            return true;
        *why = strerror(errno);
        return false;
    });
}

bool UffdRegion::mark_stale(uint64_t offset, uint64_t size) {
    uint64_t first, end;
    if (!page_span(offset, size, first, end)) return stale_ != nullptr;
    if (tracker_->forked()) return false;
    uint64_t ps = system_page_size();
    std::lock_guard<std::mutex> lock(stale_->mu);
    // Only a page present in the memfd takes a minor fault; a hole would be filled with zeros without one.
    if (madvise(driver_ + first * ps, (end - first) * ps, MADV_POPULATE_WRITE) != 0) {
        for (uint64_t p = first; p < end; ++p) (void)*static_cast<volatile uint8_t*>(driver_ + p * ps);
    }
    for (uint64_t p = first; p < end; ++p) stale_->set(p, true);
    if (madvise(program_ + first * ps, (end - first) * ps, MADV_DONTNEED) != 0) {
        LOG_WARN("page tracking: dropping stale pages from the program view: %s", strerror(errno));
        for (uint64_t p = first; p < end; ++p) stale_->set(p, false);
        return false;
    }
    return true;
}

void UffdRegion::clear_stale(uint64_t offset, uint64_t size) {
    uint64_t first, end;
    if (!page_span(offset, size, first, end)) return;
    std::lock_guard<std::mutex> lock(stale_->mu);
    for (uint64_t p = first; p < end; ++p) stale_->set(p, false);
}

/// Pages fetched per minor fault at most: the stale run around the page inside its aligned MiB. A program reading
/// on in order (a fault right where the last fetch ended) doubles it, up to kMaxFetchScale MiB, so a long read
/// pays fewer round trips.
constexpr uint64_t kFetchChunkBytes = uint64_t(1) << 20;
constexpr uint64_t kMaxFetchScale = 16;

/// From the handler thread, no lock held: fetches the stale run around addr's page (if stale), maps it back.
void on_minor_fault(StaleState& st, uintptr_t addr, int uffd) {
    uint64_t ps = system_page_size();
    uint64_t page = (addr - st.program) / ps;
    uint64_t chunk = std::max<uint64_t>(1, kFetchChunkBytes / ps);
    st.fetch_scale = page == st.next_fetch ? std::min(kMaxFetchScale, st.fetch_scale * 2) : 1;
    uint64_t lo = page / chunk * chunk, hi = std::min(st.pages, page == st.next_fetch ? page + chunk * st.fetch_scale
                                                                                       : lo + chunk);
    uint64_t a = page, b = page + 1;
    bool fetched = false;
    for (int attempt = 0;; ++attempt) {
        {
            std::lock_guard<std::mutex> lock(st.mu);
            if (!st.alive) return;
            if (!st.test(page)) {
                if (!fetched) {
                    // Not stale: map back its write-tracking group, as a write fault opens it.
                    uint64_t group = fault_group_pages();
                    a = page & ~(group - 1);
                    b = std::min(st.pages, a + group);
                }
                // Only pages no longer stale: one marked stale again meanwhile must fault again.
                for (uint64_t p = a; p < b;) {
                    if (st.test(p)) {
                        ++p;
                        continue;
                    }
                    uint64_t q = p;
                    while (q < b && !st.test(q)) ++q;
                    map_back(st, uffd, p, q);
                    p = q;
                }
                return;
            }
            a = page;
            while (a > lo && st.test(a - 1)) --a;
            b = page + 1;
            while (b < hi && st.test(b)) ++b;
        }
        bool ok = attempt < 16 && st.fetch && st.fetch(a * ps, (b - a) * ps);
        fetched = true;
        st.next_fetch = b;
        if (!ok) {
            // Never leave the program hanging: the pages keep what the driver view holds (the last known bytes).
            static std::atomic<bool> warned{false};
            if (!warned.exchange(true))
                LOG_WARN("page tracking: fetching stale pages failed; they keep their last known bytes");
            std::lock_guard<std::mutex> lock(st.mu);
            for (uint64_t p = a; p < b; ++p) st.set(p, false);
        }
    }
}

UffdRegion::~UffdRegion() {
    if (!tracker_->forked()) {
        // Waits for a populate in flight, while the region is still published: a fault the populate takes must
        // find the region to be answered. (A forked child has no filler, and the lock may have been held at fork.)
        std::lock_guard<std::mutex> lock(populate_->mu);
        populate_->alive = false;
    }
    tracker_->unpublish(this);
    if (stale_) {
        // A fetch in flight on the handler thread finds it dead and maps nothing into views about to go.
        std::lock_guard<std::mutex> lock(stale_->mu);
        stale_->alive = false;
    }
    if (registered && !tracker_->forked()) {
        // Wakes any thread still waiting on the range (a program bug: it writes memory being freed).
        struct uffdio_range range = {reinterpret_cast<uintptr_t>(program_), mapped_size_};
        ioctl(tracker_->uffd(), UFFDIO_UNREGISTER, &range);
    }
    munmap(program_, mapped_size_);
    munmap(driver_, mapped_size_);
}

std::unique_ptr<TrackedRegion> UffdTracker::create(uint64_t size, std::string* error) {
    if (page_tracker_detail::in_forked_child(pid_)) {
        *error = "page tracker used in a forked child";
        return nullptr;
    }
    uint64_t mapped = page_tracker_detail::mapped_size_for(size);
    uint8_t* program;
    uint8_t* driver;
    if (!page_tracker_detail::map_two_views(mapped, &program, &driver, error)) return nullptr;
    auto region = std::make_unique<UffdRegion>(this, program, driver, size, mapped, minor_);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        regions_[reinterpret_cast<uintptr_t>(program)] = region.get();
    }
    struct uffdio_register reg;
    memset(&reg, 0, sizeof reg);
    reg.range.start = reinterpret_cast<uintptr_t>(program);
    reg.range.len = mapped;
    reg.mode = UFFDIO_REGISTER_MODE_WP | (minor_ ? UFFDIO_REGISTER_MODE_MINOR : 0);
    if (ioctl(uffd_, UFFDIO_REGISTER, &reg) != 0) {
        *error = std::string("UFFDIO_REGISTER (write-protect) of a memfd mapping: ") + strerror(errno);
        return nullptr;
    }
    region->registered = true;
    if (!(reg.ioctls & (uint64_t(1) << _UFFDIO_WRITEPROTECT))) {
        *error = "UFFDIO_WRITEPROTECT not offered for memfd mappings";
        return nullptr;
    }
    if (minor_ && !(reg.ioctls & (uint64_t(1) << _UFFDIO_CONTINUE))) {
        *error = "UFFDIO_CONTINUE not offered for memfd mappings";
        return nullptr;
    }
    // Arms every page, populated or not (the kernel leaves a marker in empty entries of shared memory).
    if (!write_protect(uffd_, reinterpret_cast<uintptr_t>(program), mapped, true)) {
        *error = std::string("UFFDIO_WRITEPROTECT: ") + strerror(errno);
        return nullptr;
    }
    return region;
}

void UffdTracker::start() {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    thread_ = std::thread([this] { run(); });
    filler_ = std::thread([this] { fill(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    pthread_setname_np(thread_.native_handle(), "anarchy-uffd");
    pthread_setname_np(filler_.native_handle(), "anarchy-uffd-fill");
}

void UffdTracker::request_fill(std::shared_ptr<PopulateState> region, uint64_t offset, uint64_t size,
                               uint64_t takes) {
    constexpr size_t kMaxQueued = 64;
    {
        std::lock_guard<std::mutex> lock(fill_mu_);
        if (fills_.size() >= kMaxQueued) return;
        fills_.push_back(FillRequest{std::move(region), offset, size, takes});
    }
    fill_cv_.notify_one();
}

void UffdTracker::fill() {
    for (;;) {
        FillRequest r;
        {
            std::unique_lock<std::mutex> lock(fill_mu_);
            fill_cv_.wait(lock, [&] { return fill_stop_ || !fills_.empty(); });
            if (fill_stop_) return;
            r = std::move(fills_.front());
            fills_.pop_front();
        }
        std::lock_guard<std::mutex> lock(r.region->mu);
        if (!r.region->alive || r.region->takes != r.takes) continue;
        // Failure only costs the writer its ordinary faults (a kernel before 5.14 has no MADV_POPULATE_WRITE).
        (void)madvise(reinterpret_cast<void*>(r.region->program + r.offset), r.size, MADV_POPULATE_WRITE);
    }
}

void UffdTracker::handle_fault(const uffd_msg& msg) {
    uintptr_t addr = msg.arg.pagefault.address;
    std::shared_ptr<StaleState> minor;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = regions_.upper_bound(addr);
        if (it != regions_.begin()) {
            UffdRegion* r = std::prev(it)->second;
            uintptr_t base = reinterpret_cast<uintptr_t>(r->program_view());
            if (addr < base + r->mapped_size()) {
                if (msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) {
                    r->on_fault(addr, uffd_);
                    return;
                }
                if (msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR) minor = r->stale_state();
            }
        }
    }
    // Never with the table lock: the fetch calls into the runtime, whose threads create and free regions.
    if (minor) on_minor_fault(*minor, addr, uffd_);
    // Wake the thread: after a minor fault handled above, or for a region destroyed since the fault was queued
    // (nothing to track, but never leave a writer asleep).
    uint64_t ps = system_page_size();
    struct uffdio_range range = {addr / ps * ps, ps};
    ioctl(uffd_, UFFDIO_WAKE, &range);
}

void UffdTracker::run() {
    uffd_msg msgs[64];
    for (;;) {
        try {
            // Read first and sleep in poll only when nothing is queued: a burst of faults costs one read each.
            ssize_t n = read(uffd_, msgs, sizeof msgs);
            if (n > 0) {
                for (size_t i = 0; i < static_cast<size_t>(n) / sizeof(uffd_msg); i++)
                    if (msgs[i].event == UFFD_EVENT_PAGEFAULT) handle_fault(msgs[i]);
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                // Never spin, never give up: every writer of every region waits on this thread.
                static std::atomic<bool> warned{false};
                if (!warned.exchange(true)) LOG_WARN("page tracking: reading userfaultfd: %s", strerror(errno));
                usleep(1000);
            }
            struct pollfd fds[2] = {{uffd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
            if (poll(fds, 2, -1) < 0) {
                if (errno != EINTR) usleep(1000);
                continue;
            }
            if (fds[1].revents & POLLIN) return;
        } catch (...) {
            // Only logging allocates; losing a log line must not lose the thread every writer waits on.
        }
    }
}

}  // namespace

namespace page_tracker_detail {

std::unique_ptr<PageTracker> make_userfaultfd_tracker(std::string* error) {
    int uffd = open_userfaultfd(error);
    if (uffd < 0) return nullptr;
    struct uffdio_api api;
    memset(&api, 0, sizeof api);
    api.api = UFFD_API;
    // Minor faults of shared memory (stale pages) unless ANARCHY_STALE_THRESHOLD=0 turns stale pages off.
    const char* threshold = getenv("ANARCHY_STALE_THRESHOLD");
    bool want_minor = !(threshold && strtoull(threshold, nullptr, 0) == 0);
    api.features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM;  // write-protect for shared memory (memfd), Linux 5.19+
    if (want_minor) {
        api.features |= UFFD_FEATURE_MINOR_SHMEM;
        if (ioctl(uffd, UFFDIO_API, &api) == 0 && (api.features & UFFD_FEATURE_MINOR_SHMEM)) {
            int stop_fd = eventfd(0, EFD_CLOEXEC);
            if (stop_fd < 0) {
                *error = std::string("eventfd: ") + strerror(errno);
                close(uffd);
                return nullptr;
            }
            auto tracker = std::make_unique<UffdTracker>(uffd, stop_fd, true);
            tracker->start();
            if (tracker->create(1, error)) return tracker;
            LOG_DEBUG("memory", "page tracking: no minor faults of memfd mappings (%s); no stale pages", error->c_str());
            tracker.reset();
        } else {
            close(uffd);
        }
        // A fresh userfaultfd: the API handshake happens once per descriptor.
        uffd = open_userfaultfd(error);
        if (uffd < 0) return nullptr;
        memset(&api, 0, sizeof api);
        api.api = UFFD_API;
        api.features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
    }
    if (ioctl(uffd, UFFDIO_API, &api) != 0) {
        *error = std::string("UFFDIO_API with write-protect of shared memory: ") + strerror(errno);
        close(uffd);
        return nullptr;
    }
    int stop_fd = eventfd(0, EFD_CLOEXEC);
    if (stop_fd < 0) {
        *error = std::string("eventfd: ") + strerror(errno);
        close(uffd);
        return nullptr;
    }
    auto tracker = std::make_unique<UffdTracker>(uffd, stop_fd, false);
    tracker->start();
    // Prove the whole path on one page before promising it: some kernels offer the feature but refuse memfds.
    if (!tracker->create(1, error)) return nullptr;
    return tracker;
}

}  // namespace page_tracker_detail

}  // namespace anarchy::client
