// Page tracking with mprotect and SIGSEGV: a clean page of the program view is read-only; the first write faults,
// the handler makes that page writable, sets its dirty bit and returns so the write repeats. Faults that are not
// ours go to the handler the program had before us, exactly as if we were not there.
//
// Limits: writes the kernel does on the program's behalf into a clean page (read(2), recv(2) into mapped memory)
// fail with EFAULT instead of faulting; a program that installs its own SIGSEGV handler after us receives our
// faults until the next create() or take_dirty() puts us back on top (chaining to its handler).
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <sched.h>

#include "client/page_tracker.h"
#include "common/log.h"

namespace anarchy::client {
namespace {

using page_tracker_detail::system_page_size;

class MprotectRegion;

/// One published region. The handler reads it without locks: begin/end to find a candidate, then `users`
/// to hold the region while it uses it; destruction unpublishes and waits for users to drain.
struct Slot {
    std::atomic<uintptr_t> begin{0};
    std::atomic<uintptr_t> end{0};
    std::atomic<MprotectRegion*> region{nullptr};
    std::atomic<uint32_t> users{0};
};

constexpr size_t kMaxRegions = 16384;
Slot g_slots[kMaxRegions];
std::atomic<size_t> g_high_water{0};  // slots at or above are unused: the handler scans below it

// Guarded by g_install_mutex: slot allocation and (re)installing the handler.
std::mutex g_install_mutex;
bool g_slot_used[kMaxRegions];
bool g_installed = false;
int g_pid = 0;  // the process that installed the handler (set once, before any region exists)

// The program's handler we chain to; double-buffered so re-hooking never rewrites the one a handler reads.
struct sigaction g_previous[2];
std::atomic<int> g_previous_index{0};
std::atomic<bool> g_dying{false};  // set once we hand a fatal fault to SIG_DFL: never re-hook after that

void install_handler_locked();

class MprotectRegion final : public TrackedRegion {
public:
    MprotectRegion(uint8_t* program, uint8_t* driver, uint64_t size, uint64_t mapped_size)
        : TrackedRegion(program, driver, size, mapped_size), bits_(mapped_size / system_page_size()) {}
    ~MprotectRegion() override;

    /// Publishes into a free slot; false when the table is full.
    bool publish();
    void take_dirty(std::vector<PageRun>& out) override;
    /// From the signal handler: true when addr is ours and the write may now proceed.
    bool on_fault(uintptr_t addr);

private:
    bool unprotect_and_mark(uint64_t first_page, uint64_t pages);

    DirtyBitmap bits_;
    size_t slot_ = kMaxRegions;
};

bool MprotectRegion::unprotect_and_mark(uint64_t first_page, uint64_t pages) {
    uint64_t ps = system_page_size();
    if (mprotect(program_ + first_page * ps, pages * ps, PROT_READ | PROT_WRITE) != 0) return false;
    // Un-protect before marking: take_dirty clears then re-protects, so the bit can never end clear while the
    // page stays writable.
    for (uint64_t p = first_page; p < first_page + pages; p++) bits_.mark(p);
    return true;
}

bool MprotectRegion::on_fault(uintptr_t addr) {
    uintptr_t base = reinterpret_cast<uintptr_t>(program_);
    if (addr < base || addr >= base + mapped_size_) return false;
    uint64_t page = (addr - base) / system_page_size();
    if (unprotect_and_mark(page, 1)) return true;
    // One page at a time can split the mapping into more areas than vm.max_map_count allows (ENOMEM). Wider
    // aligned blocks merge with their writable neighbours; they are all reported dirty, which is only extra work.
    for (uint64_t block : {uint64_t(64), uint64_t(4096), bits_.pages()}) {
        uint64_t first = page / block * block;
        uint64_t count = first + block > bits_.pages() ? bits_.pages() - first : block;
        if (unprotect_and_mark(first, count)) return true;
    }
    return false;
}

void MprotectRegion::take_dirty(std::vector<PageRun>& out) {
    {
        // Someone may have installed a SIGSEGV handler over ours since (Wine, a JVM, a crash reporter).
        std::lock_guard<std::mutex> lock(g_install_mutex);
        install_handler_locked();
    }
    const uint64_t ps = system_page_size();
    take_and_rearm(bits_, out, ps, [&](uint64_t first, uint64_t count, std::string* why) {
        if (mprotect(program_ + first * ps, count * ps, PROT_READ) == 0) return true;
        *why = strerror(errno);
        return false;
    });
}

bool MprotectRegion::publish() {
    std::lock_guard<std::mutex> lock(g_install_mutex);
    for (size_t i = 0; i < kMaxRegions; i++) {
        if (g_slot_used[i]) continue;
        g_slot_used[i] = true;
        slot_ = i;
        Slot& s = g_slots[i];
        s.region.store(this);
        s.end.store(reinterpret_cast<uintptr_t>(program_) + mapped_size_);
        s.begin.store(reinterpret_cast<uintptr_t>(program_));
        if (g_high_water.load() < i + 1) g_high_water.store(i + 1);
        return true;
    }
    return false;
}

MprotectRegion::~MprotectRegion() {
    if (slot_ < kMaxRegions) {
        Slot& s = g_slots[slot_];
        s.region.store(nullptr);
        s.begin.store(0);
        s.end.store(0);
        // A handler that loaded the region counted itself in users first, so once users is zero nobody holds it.
        while (s.users.load() != 0) sched_yield();
        // In a forked child the mutex may have been held at fork by a thread that is gone: leave the slot used.
        if (!page_tracker_detail::in_forked_child(g_pid)) {
            std::lock_guard<std::mutex> lock(g_install_mutex);
            g_slot_used[slot_] = false;
        }
    }
    munmap(program_, mapped_size_);
    munmap(driver_, mapped_size_);
}

void chain_to_previous(int sig, siginfo_t* info, void* context) {
    const struct sigaction& prev = g_previous[g_previous_index.load()];
    if (prev.sa_flags & SA_SIGINFO) {
        prev.sa_sigaction(sig, info, context);
        return;
    }
    if (prev.sa_handler == SIG_DFL || prev.sa_handler == SIG_IGN) {
        // What the program would have had: die of this signal. A hardware fault repeats on return; a signal
        // sent by someone (si_code <= 0) is raised again, pending until we return. The kernel never ignores a
        // fault's SIGSEGV, so SIG_IGN dies too.
        g_dying.store(true);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(sig, &dfl, nullptr);
        if (info->si_code <= 0) raise(sig);
        return;
    }
    prev.sa_handler(sig);
}

void on_segv(int sig, siginfo_t* info, void* context) {
    int saved_errno = errno;
    if (info->si_code == SEGV_ACCERR) {
        uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
        size_t n = g_high_water.load(std::memory_order_acquire);
        for (size_t i = 0; i < n; i++) {
            Slot& s = g_slots[i];
            if (addr < s.begin.load(std::memory_order_relaxed) || addr >= s.end.load(std::memory_order_relaxed))
                continue;
            s.users.fetch_add(1);
            MprotectRegion* r = s.region.load();
            bool handled = r && r->on_fault(addr);  // the region re-checks: the slot may have been reused
            s.users.fetch_sub(1);
            if (handled) {
                errno = saved_errno;
                return;
            }
        }
    }
    errno = saved_errno;
    chain_to_previous(sig, info, context);
}

/// Installs on_segv unless it is the current handler, remembering the current one to chain to.
void install_handler_locked() {
    if (g_dying.load()) return;
    struct sigaction current;
    if (sigaction(SIGSEGV, nullptr, &current) != 0) return;
    if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_segv) return;
    int next = 1 - g_previous_index.load();
    g_previous[next] = current;
    g_previous_index.store(next);
    struct sigaction ours;
    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = on_segv;
    // The program's handler runs inside ours, so ours takes its mask and SA_NODEFER; SA_ONSTACK so a thread
    // with an alternate signal stack (Wine, Go) keeps using it.
    ours.sa_mask = current.sa_mask;
    ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART | (current.sa_flags & SA_NODEFER);
    if (sigaction(SIGSEGV, &ours, nullptr) == 0) {
        if (!g_installed) g_pid = getpid();
        g_installed = true;
    }
}

class MprotectTracker final : public PageTracker {
public:
    MprotectTracker() : pid_(getpid()) {}
    const char* backend_name() const override { return "mprotect"; }

    std::unique_ptr<TrackedRegion> create(uint64_t size, std::string* error) override {
        if (page_tracker_detail::in_forked_child(pid_)) {
            *error = "page tracker used in a forked child";
            return nullptr;
        }
        {
            std::lock_guard<std::mutex> lock(g_install_mutex);
            install_handler_locked();
            if (!g_installed) {
                *error = std::string("installing the SIGSEGV handler: ") + strerror(errno);
                return nullptr;
            }
        }
        uint64_t mapped = page_tracker_detail::mapped_size_for(size);
        uint8_t* program;
        uint8_t* driver;
        if (!page_tracker_detail::map_two_views(mapped, &program, &driver, error)) return nullptr;
        if (mprotect(program, mapped, PROT_READ) != 0) {
            *error = std::string("mprotect: ") + strerror(errno);
            munmap(program, mapped);
            munmap(driver, mapped);
            return nullptr;
        }
        auto region = std::make_unique<MprotectRegion>(program, driver, size, mapped);
        if (!region->publish()) {
            *error = "too many tracked regions (" + std::to_string(kMaxRegions) + ")";
            return nullptr;
        }
        return region;
    }

private:
    int pid_;
};

}  // namespace

namespace page_tracker_detail {
std::unique_ptr<PageTracker> make_mprotect_tracker(std::string*) { return std::make_unique<MprotectTracker>(); }
}  // namespace page_tracker_detail

}  // namespace anarchy::client
