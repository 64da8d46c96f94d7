// Page tracking with userfaultfd write-protect: a clean page of the program view is write-protected in its page
// table entry (a marker when the page was never touched); the first write blocks the writing thread and queues a
// message that the tracker's handler thread answers by lifting the protection, setting the dirty bit and waking
// the writer. Unlike mprotect this needs no signal handler and catches writes the kernel does for the
// program (read(2) into mapped memory), and un-protecting a page never splits the mapping.
//
// The handler thread is one per tracker, runs with every signal blocked, never touches program views (it would
// block on itself), and is never stopped for the process-wide tracker (exit_group ends it; nothing waits on it).
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
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "client/page_tracker.h"
#include "common/log.h"

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
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

class UffdTracker;

class UffdRegion final : public TrackedRegion {
public:
    UffdRegion(UffdTracker* tracker, uint8_t* program, uint8_t* driver, uint64_t size, uint64_t mapped_size)
        : TrackedRegion(program, driver, size, mapped_size), tracker_(tracker), bits_(mapped_size / system_page_size()) {}
    ~UffdRegion() override;
    void take_dirty(std::vector<PageRun>& out) override;
    /// From the handler thread (table lock held): lifts the protection of addr's page, then marks it.
    void on_fault(uintptr_t addr, int uffd);
    bool registered = false;

private:
    UffdTracker* tracker_;
    DirtyBitmap bits_;
};

class UffdTracker final : public PageTracker {
public:
    UffdTracker(int uffd, int stop_fd) : uffd_(uffd), stop_fd_(stop_fd), pid_(getpid()) {}
    ~UffdTracker() override {
        uint64_t one = 1;
        if (thread_.joinable()) {
            (void)!write(stop_fd_, &one, sizeof one);
            thread_.join();
        }
        close(stop_fd_);
        close(uffd_);
    }
    const char* backend_name() const override { return "userfaultfd"; }
    std::unique_ptr<TrackedRegion> create(uint64_t size, std::string* error) override;
    /// Starts the handler thread with every signal blocked, so program signals never land on it.
    void start();
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
    void handle_fault(const uffd_msg& msg);

    int uffd_;
    int stop_fd_;
    int pid_;
    std::thread thread_;
    std::mutex mutex_;                           // guards regions_; held while the handler uses a region
    std::map<uintptr_t, UffdRegion*> regions_;   // program view start -> region
};

/// Pages un-protected together on one fault. A fault costs about 10 us (a round trip through the handler
/// thread); comparing a clean page with the snapshot at the next flush costs well under 1 us. So a fault opens
/// its whole aligned group: a program writing 1 MiB in a row takes 16 faults instead of 256, and one writing a
/// few bytes pays a few microseconds of comparison. ANARCHY_PAGE_TRACKING_GROUP (pages, a power of two) sets it.
uint64_t fault_group_pages() {
    static const uint64_t pages = [] {
        uint64_t n = 16;
        if (const char* v = std::getenv("ANARCHY_PAGE_TRACKING_GROUP")) n = std::strtoull(v, nullptr, 10);
        if (n == 0 || (n & (n - 1)) != 0 || n > 4096) n = 16;
        return n;
    }();
    return pages;
}

void UffdRegion::on_fault(uintptr_t addr, int uffd) {
    uint64_t ps = system_page_size();
    uint64_t page = (addr - reinterpret_cast<uintptr_t>(program_)) / ps;
    uint64_t group = fault_group_pages();
    uint64_t first = page & ~(group - 1);
    uint64_t count = std::min(group, bits_.pages() - first);
    // Un-protect, mark, then wake. Un-protect before marking: take_dirty clears then re-protects, so the bit
    // can never end clear while the page stays writable. Mark before waking: the writer's next step may be the
    // submit that calls take_dirty, which must see its write.
    uintptr_t start = reinterpret_cast<uintptr_t>(program_) + first * ps;
    if (write_protect(uffd, start, count * ps, false)) {
        for (uint64_t p = first; p < first + count; ++p) bits_.mark(p);
    } else if (write_protect(uffd, start + (page - first) * ps, ps, false)) {
        bits_.mark(page);
    } else {
        LOG_WARN("page tracking: un-protecting a page failed: %s", strerror(errno));  // the writer faults again
    }
    struct uffdio_range range = {reinterpret_cast<uintptr_t>(program_) + page * ps, ps};
    ioctl(uffd, UFFDIO_WAKE, &range);
}

void UffdRegion::take_dirty(std::vector<PageRun>& out) {
    if (tracker_->forked()) return;  // the child's view is untracked shared memory
    size_t first_new = out.size();
    bits_.take(out);
    uint64_t ps = system_page_size();
    for (size_t i = first_new; i < out.size(); i++) {
        if (write_protect(tracker_->uffd(), reinterpret_cast<uintptr_t>(program_) + out[i].first * ps, out[i].count * ps,
                          true))
            continue;
        // Still writable: keep reporting the run until it can be re-protected, or its writes would be lost.
        static std::atomic<bool> warned{false};
        if (!warned.exchange(true))
            LOG_WARN("page tracking: re-protecting %llu pages failed (%s); they stay dirty",
                     (unsigned long long)out[i].count, strerror(errno));
        for (uint64_t p = out[i].first; p < out[i].first + out[i].count; p++) bits_.mark(p);
    }
    to_4k_units(out, first_new, ps);
}

UffdRegion::~UffdRegion() {
    tracker_->unpublish(this);
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
    uint64_t ps = system_page_size();
    uint64_t mapped = size == 0 ? ps : (size + ps - 1) / ps * ps;
    uint8_t* program;
    uint8_t* driver;
    if (!page_tracker_detail::map_two_views(mapped, &program, &driver, error)) return nullptr;
    auto region = std::make_unique<UffdRegion>(this, program, driver, size, mapped);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        regions_[reinterpret_cast<uintptr_t>(program)] = region.get();
    }
    struct uffdio_register reg;
    memset(&reg, 0, sizeof reg);
    reg.range.start = reinterpret_cast<uintptr_t>(program);
    reg.range.len = mapped;
    reg.mode = UFFDIO_REGISTER_MODE_WP;
    if (ioctl(uffd_, UFFDIO_REGISTER, &reg) != 0) {
        *error = std::string("UFFDIO_REGISTER (write-protect) of a memfd mapping: ") + strerror(errno);
        return nullptr;
    }
    region->registered = true;
    if (!(reg.ioctls & (uint64_t(1) << _UFFDIO_WRITEPROTECT))) {
        *error = "UFFDIO_WRITEPROTECT not offered for memfd mappings";
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
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    pthread_setname_np(thread_.native_handle(), "anarchy-uffd");
}

void UffdTracker::handle_fault(const uffd_msg& msg) {
    uintptr_t addr = msg.arg.pagefault.address;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = regions_.upper_bound(addr);
    if (it != regions_.begin()) {
        UffdRegion* r = std::prev(it)->second;
        uintptr_t base = reinterpret_cast<uintptr_t>(r->program_view());
        if (addr < base + r->mapped_size() && (msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP)) {
            r->on_fault(addr, uffd_);
            return;
        }
    }
    // A region destroyed since the fault was queued: nothing to track, but never leave a writer asleep.
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
    api.features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM;  // write-protect for shared memory (memfd), Linux 5.19+
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
    auto tracker = std::make_unique<UffdTracker>(uffd, stop_fd);
    tracker->start();
    // Prove the whole path on one page before promising it: some kernels offer the feature but refuse memfds.
    if (!tracker->create(1, error)) return nullptr;
    return tracker;
}

}  // namespace page_tracker_detail

}  // namespace anarchy::client
