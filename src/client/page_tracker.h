// Page-granular write tracking for mapped memory: which pages did the program write since the driver
// last looked, found without scanning the mapping (DESIGN.md decision 8). Two backends behind one interface:
// userfaultfd write-protect (preferred: also catches writes the kernel does for the program, e.g. read(2) into
// mapped memory) and mprotect + a chaining SIGSEGV handler (works everywhere, but such kernel writes fail EFAULT).
// Windows (page_tracker_win32.cpp) has the equivalent of the second: VirtualProtect + a vectored exception handler.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace anarchy::client {

/// The unit of PageRun, whatever the system page size (a larger system page reports all its 4 KiB pages).
inline constexpr uint64_t kPageSize = 4096;

/// One run of pages: [first, first + count) in kPageSize units from the start of the region.
struct PageRun {
    uint64_t first;
    uint64_t count;
    bool operator==(const PageRun&) const = default;
};

/// Dirty bits of one region in two levels: a leaf bit per page and a summary bit per leaf word, so collecting
/// them costs one word per 4096 pages (64 words for 1 GiB) plus the dirty words. mark() is async-signal-safe.
class DirtyBitmap {
public:
    explicit DirtyBitmap(uint64_t pages);
    uint64_t pages() const { return pages_; }
    /// Sets the bit of `page` (then its summary bit, so a collector that sees the summary sees the leaf).
    void mark(uint64_t page) {
        uint64_t word = page >> 6;
        leaf_[word].fetch_or(uint64_t(1) << (page & 63));
        summary_[word >> 6].fetch_or(uint64_t(1) << (word & 63));
    }
    /// True if `page` was marked since the last take (a racy read, good for heuristics only).
    bool test(uint64_t page) const {
        return (leaf_[page >> 6].load(std::memory_order_relaxed) >> (page & 63)) & 1;
    }
    /// Atomically clears every set bit and appends them as merged runs (system-page units).
    void take(std::vector<PageRun>& out);

private:
    static_assert(std::atomic<uint64_t>::is_always_lock_free, "mark() must be async-signal-safe");
    uint64_t pages_;
    std::unique_ptr<std::atomic<uint64_t>[]> leaf_;
    std::unique_ptr<std::atomic<uint64_t>[]> summary_;
    uint64_t summary_words_;
};

/// Which pages stay writable after a take. A write fault costs 10-20 us (a round trip through the uffd handler
/// thread on the NVIDIA host; a signal or an exception and a protection change otherwise), comparing a 4 KiB page
/// with the runtime's snapshot well under one. So a page the program writes again soon after each take, in small
/// pieces (a constant buffer, the slots of an upload ring), stays open: written again within kRecentTakes takes of
/// being re-protected, it is left writable for kOpenTakes takes and reported at every one of them (it may have been
/// written without a fault), then re-protected. At most kMaxOpen pages of a region and kMaxOpenInProcess of the
/// whole process (1 MiB compared at a flush at worst, however many allocations) are open; runs of more than
/// kSmallRun pages (a writer going through memory in a row, which opens growing groups anyway) never open. Every
/// write is still in the take at or after it: an open page is reported at each take, and the take that closes it
/// re-protects it before reporting it.
///
/// Larger runs have a rule of their own (streams): a run written again within kStreamRecentTakes takes of being
/// re-protected (an upload heap or a dynamic vertex buffer the program fills again every frame) stays open as long
/// as the runtime's comparison finds each of its pages changed at every take (changed()); a page found unchanged,
/// or every stream page when no comparison was reported since the last take, is re-protected (and reported once
/// more) at the next take. So such a writer takes no write faults at all, and the comparison it costs is the one
/// its writes need anyway, plus one per page when it stops. At most kMaxStreamPagesInProcess pages of the process
/// are open that way. A writer that comes back to a run only every few takes keeps faulting (comparing its pages
/// at every take in between would cost more). Not thread-safe: the region's take_dirty (one thread at a time) owns it.
class HotPages {
public:
    static constexpr uint64_t kRecentTakes = 32;
    static constexpr uint64_t kOpenTakes = 64;
    static constexpr size_t kMaxOpen = 32;
    static constexpr size_t kMaxOpenInProcess = 256;
    static constexpr uint64_t kSmallRun = 4;
    static constexpr uint64_t kStreamRecentTakes = 2;
    static constexpr size_t kMaxStreamPagesInProcess = 8192;  // 32 MiB of 4 KiB pages
    /// On unless ANARCHY_PAGE_TRACKING_HOT=0.
    HotPages();
    ~HotPages();
    HotPages(const HotPages&) = delete;
    HotPages& operator=(const HotPages&) = delete;
    /// Open pages of all regions of the process; stream pages of all regions.
    static size_t open_in_process();
    static size_t stream_pages_in_process();
    void set_enabled(bool on);
    bool enabled() const { return enabled_; }
    /// Pages open now, small and stream pages (for tests and the runtime's counters).
    size_t open_pages() const { return open_.size() + stream_pages_; }
    size_t stream_pages() const { return stream_pages_; }
    /// One take: `runs[first_new..]` are the dirty runs just taken (system pages, in order). Appends the open pages
    /// that are not among them (merged into runs) and sets `rearm` to the runs to write-protect again now: the taken
    /// pages that do not stay open and the open pages whose time is up.
    void take(std::vector<PageRun>& runs, size_t first_new, std::vector<PageRun>& rearm);
    /// After a take: the pages (sorted runs, system pages) in which the caller found changed bytes when it compared
    /// what that take reported. Stream pages not among them are closed by the next take.
    void changed(const std::vector<PageRun>& changed_runs);

private:
    /// Opens `page` until kOpenTakes takes from now, if both limits allow.
    bool open_one(uint64_t page);
    /// The streams part of take(): decides on the large runs just taken (large_), sets `report` to the stream
    /// pages to report and adds those to re-protect to `rearm`.
    void take_streams(std::vector<PageRun>& rearm, std::vector<PageRun>& report);
    void set_stream_pages(size_t pages);
    bool enabled_;
    uint64_t takes_ = 0;
    std::unordered_map<uint64_t, uint64_t> recent_;  // small-run page -> the take that re-protected it
    std::map<uint64_t, uint64_t> open_;              // open page -> the take that closes it
    std::vector<PageRun> extra_, merged_;            // take()'s, kept to save allocations
    std::vector<PageRun> streams_;                   // open stream runs, sorted, disjoint
    std::vector<PageRun> stream_closing_;            // stream pages found unchanged: closed by the next take
    bool stream_feedback_ = false;                   // changed() called since the last take
    size_t stream_pages_ = 0;                        // pages in streams_ (counted in the process total)
    struct RecentRuns {
        uint64_t take;
        std::vector<PageRun> runs;  // sorted, disjoint
    };
    std::deque<RecentRuns> recent_large_;  // large runs re-protected at each of the last kStreamRecentTakes takes
    std::vector<PageRun> large_, stream_report_;  // take()'s, kept to save allocations
};

/// Brings a byte range of a region (page-aligned) up to date in its driver view: the runtime's fetch of stale pages.
/// Called on the tracker's handler thread with no tracker lock held; false when it failed (the pages then keep
/// the bytes the driver view holds).
using StaleFetch = std::function<bool(uint64_t offset, uint64_t size)>;

/// Host memory shared by two views: the program's (write-tracked) and the driver's (never tracked).
/// Thread-safe: program threads write while any one thread calls take_dirty; destruction must not race
/// take_dirty on the same region (the driver owns both), but may race writes to other regions.
class TrackedRegion {
public:
    virtual ~TrackedRegion() = default;
    /// What vkMapMemory returns; writes through it are tracked.
    uint8_t* program_view() const { return program_; }
    /// An alias of the same pages: the driver reads and writes here without faults or tracking.
    uint8_t* driver_view() const { return driver_; }
    /// Whether pages written again and again stay open between takes (HotPages; on by default). Off, every take
    /// reports exactly the pages written since the last one.
    void set_hot_pages(bool on) { hot_.set_enabled(on); }
    size_t open_pages() const { return hot_.open_pages(); }
    /// Bytes asked for; both views span mapped_size() (whole system pages).
    uint64_t size() const { return size_; }
    uint64_t mapped_size() const { return mapped_size_; }
    /// Appends the runs of pages the program wrote since the last call and re-arms tracking on them.
    /// Race-free against concurrent program writes: a write is in this call's result or the next one's.
    /// Per page: clear the dirty bit, re-protect; the caller reads the contents afterwards via driver_view().
    /// Cost follows the dirty pages (plus one word per 16 MiB of region), not the region size.
    virtual void take_dirty(std::vector<PageRun>& out) = 0;
    /// After take_dirty: the pages (kPageSize units; runs in any order, overlapping or not) of what it reported in
    /// which the caller found changed bytes. Pages kept open for a writer that fills them every time (HotPages'
    /// streams) stay open only while they keep changing. Optional: without it they are re-protected by the next take.
    void note_changed(const std::vector<PageRun>& changed_4k);

    /// Stale pages (DESIGN.md decision 8): bytes the GPU wrote that the driver view does not hold yet. A stale
    /// page faults on the program's next read or write, which calls the fetch function for its stale run (or an
    /// aligned MiB of it) and then lets the access go on; the page stays write-tracked. Backends without it
    /// (mprotect) answer false and ignore the rest.
    virtual bool supports_stale() const { return false; }
    /// Sets the fetch function; once, before any mark_stale.
    virtual void set_fetch(StaleFetch) {}
    /// Makes the pages overlapping [offset, offset+size) stale. False (nothing changed) if it cannot.
    virtual bool mark_stale(uint64_t offset, uint64_t size) { (void)offset, (void)size; return false; }
    /// The pages overlapping [offset, offset+size) are up to date again (their fetched bytes are in the driver view).
    virtual void clear_stale(uint64_t offset, uint64_t size) { (void)offset, (void)size; }

protected:
    TrackedRegion(uint8_t* program, uint8_t* driver, uint64_t size, uint64_t mapped_size)
        : program_(program), driver_(driver), size_(size), mapped_size_(mapped_size) {}
    /// Converts system-page runs collected in [first_new, end) of out into kPageSize units, in place.
    static void to_4k_units(std::vector<PageRun>& out, size_t first_new, uint64_t system_page);
    /// The body of every backend's take_dirty: takes the dirty bits, lets hot_ keep pages open, write-protects the
    /// rest with `protect(first, count, why)` (system pages; false and *why when it could not: those pages are
    /// marked dirty again, so they are reported until they can be) and converts the runs to kPageSize units.
    void take_and_rearm(DirtyBitmap& bits, std::vector<PageRun>& out, uint64_t system_page,
                        const std::function<bool(uint64_t first, uint64_t count, std::string* why)>& protect);

    uint8_t* program_;
    uint8_t* driver_;
    uint64_t size_;
    uint64_t mapped_size_;
    HotPages hot_;
    std::vector<PageRun> rearm_, changed_;  // take_and_rearm's and note_changed's, kept to save allocations
    uint64_t system_page_ = kPageSize;      // take_and_rearm's (note_changed converts to it)
};

/// Userfaultfd exists on Linux only; Mprotect is "protect the pages and catch the write fault" on every platform
/// (VirtualProtect and a vectored exception handler on Windows).
enum class PageTrackerBackend { Userfaultfd, Mprotect };

class PageTracker {
public:
    virtual ~PageTracker() = default;
    /// The process-wide tracker, choosing the best backend once (ANARCHY_PAGE_TRACKING=uffd|mprotect forces
    /// one; a forced uffd that the kernel refuses falls back to mprotect with a warning). Never destroyed, so
    /// its handler thread / signal handler outlive every static destructor.
    static PageTracker& instance();
    /// A tracker of the given backend; nullptr and *error (why) when this process or kernel cannot have it.
    /// Several mprotect trackers share one signal handler and region table; each uffd tracker owns a
    /// userfaultfd and a handler thread (stopped and joined by its destructor, after all its regions are gone).
    static std::unique_ptr<PageTracker> create_backend(PageTrackerBackend backend, std::string* error);

    /// A zero-filled region of `size` bytes, tracking armed (all pages clean). nullptr and *error on failure.
    virtual std::unique_ptr<TrackedRegion> create(uint64_t size, std::string* error) = 0;
    /// "userfaultfd" or "mprotect".
    virtual const char* backend_name() const = 0;
    /// Whether its regions can have stale pages (TrackedRegion::mark_stale).
    virtual bool supports_stale() const { return false; }
};

namespace page_tracker_detail {
/// Both views of a fresh memfd of `mapped_size` bytes (the fd is closed again); false and *error on failure.
bool map_two_views(uint64_t mapped_size, uint8_t** program, uint8_t** driver, std::string* error);
uint64_t system_page_size();
/// `size` rounded up to whole system pages (one page for 0): what both views of a region span.
inline uint64_t mapped_size_for(uint64_t size) {
    uint64_t ps = system_page_size();
    return size == 0 ? ps : (size + ps - 1) / ps * ps;
}
/// Pins the library holding this code (RTLD_NODELETE) so a loader's dlclose of the ICD cannot unmap the code
/// a signal handler or handler thread runs.
void pin_library();
/// `size` bytes (at least one page) of zero pages that cost memory only where written: the runtime's snapshots.
uint8_t* allocate_zero_pages(uint64_t size);
void free_zero_pages(uint8_t* pages, uint64_t size);
/// True in a child forked after the tracker started: see page_tracker.cpp for what fork does to regions.
bool in_forked_child(int creator_pid);
std::unique_ptr<PageTracker> make_userfaultfd_tracker(std::string* error);
std::unique_ptr<PageTracker> make_mprotect_tracker(std::string* error);
}  // namespace page_tracker_detail

}  // namespace anarchy::client
