// Page tracking on Windows: the counterpart of page_tracker_mprotect.cpp. A region is a pagefile-backed section
// mapped twice (the program's view and the driver's); a clean page of the program view is read-only, the first
// write raises an access violation that a vectored exception handler turns into a dirty bit and a writable page,
// and the write repeats. Faults that are not ours continue the search, so the program's own handlers and its
// crash (an unhandled access violation) happen exactly as without us.
//
// GetWriteWatch would need no handler, but it only watches VirtualAlloc memory, and the driver's view must alias
// the program's. Limits: writes Windows does on the program's behalf into a clean page (ReadFile into mapped
// memory) fail with ERROR_NOACCESS instead of faulting, as EFAULT does with mprotect on Linux.
#include <windows.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "client/page_tracker.h"
#include "common/log.h"

namespace anarchy::client {
namespace {

using page_tracker_detail::system_page_size;

class Win32Region;

/// One published region, read lock-free by the handler (as in the mprotect backend): begin/end to find a
/// candidate, then `users` to hold it; destruction unpublishes and waits for users to drain.
struct Slot {
    std::atomic<uintptr_t> begin{0};
    std::atomic<uintptr_t> end{0};
    std::atomic<Win32Region*> region{nullptr};
    std::atomic<uint32_t> users{0};
};

constexpr size_t kMaxRegions = 16384;
Slot g_slots[kMaxRegions];
std::atomic<size_t> g_high_water{0};
std::mutex g_slot_mutex;  // slot allocation
bool g_slot_used[kMaxRegions];

std::string last_error_text() {
    DWORD err = ::GetLastError();
    char* text = nullptr;
    DWORD n = ::FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                               nullptr, err, 0, reinterpret_cast<char*>(&text), 0, nullptr);
    std::string out = n && text ? std::string(text, n) : "error " + std::to_string(err);
    if (text) ::LocalFree(text);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == '.')) out.pop_back();
    return out;
}

bool protect(uint8_t* at, uint64_t bytes, DWORD protection) {
    DWORD old = 0;
    return ::VirtualProtect(at, static_cast<SIZE_T>(bytes), protection, &old) != 0;
}

class Win32Region final : public TrackedRegion {
public:
    Win32Region(HANDLE section, uint8_t* program, uint8_t* driver, uint64_t size, uint64_t mapped_size)
        : TrackedRegion(program, driver, size, mapped_size), section_(section), bits_(mapped_size / system_page_size()) {}
    ~Win32Region() override;

    bool publish();
    void take_dirty(std::vector<PageRun>& out) override;
    /// From the exception handler: true when addr is ours and the write may now proceed.
    bool on_fault(uintptr_t addr);

private:
    HANDLE section_;
    DirtyBitmap bits_;
    size_t slot_ = kMaxRegions;
};

bool Win32Region::on_fault(uintptr_t addr) {
    uintptr_t base = reinterpret_cast<uintptr_t>(program_);
    if (addr < base || addr >= base + mapped_size_) return false;
    uint64_t page = (addr - base) / system_page_size();
    // Writable first, then the bit: take_dirty clears then re-protects, so the bit never ends clear on a
    // writable page.
    if (!protect(program_ + page * system_page_size(), system_page_size(), PAGE_READWRITE)) return false;
    bits_.mark(page);
    return true;
}

void Win32Region::take_dirty(std::vector<PageRun>& out) {
    const uint64_t ps = system_page_size();
    take_and_rearm(bits_, out, ps, [&](uint64_t first, uint64_t count, std::string* why) {
        if (protect(program_ + first * ps, count * ps, PAGE_READONLY)) return true;
        *why = last_error_text();
        return false;
    });
}

bool Win32Region::publish() {
    std::lock_guard<std::mutex> lock(g_slot_mutex);
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

Win32Region::~Win32Region() {
    if (slot_ < kMaxRegions) {
        Slot& s = g_slots[slot_];
        s.region.store(nullptr);
        s.begin.store(0);
        s.end.store(0);
        while (s.users.load() != 0) ::SwitchToThread();
        std::lock_guard<std::mutex> lock(g_slot_mutex);
        g_slot_used[slot_] = false;
    }
    ::UnmapViewOfFile(program_);
    ::UnmapViewOfFile(driver_);
    ::CloseHandle(section_);
}

LONG CALLBACK on_access_violation(EXCEPTION_POINTERS* info) {
    const EXCEPTION_RECORD* rec = info->ExceptionRecord;
    // ExceptionInformation[0] is 1 for a write; [1] the address.
    if (rec->ExceptionCode != EXCEPTION_ACCESS_VIOLATION || rec->NumberParameters < 2 || rec->ExceptionInformation[0] != 1)
        return EXCEPTION_CONTINUE_SEARCH;
    uintptr_t addr = static_cast<uintptr_t>(rec->ExceptionInformation[1]);
    size_t n = g_high_water.load(std::memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        Slot& s = g_slots[i];
        if (addr < s.begin.load(std::memory_order_relaxed) || addr >= s.end.load(std::memory_order_relaxed)) continue;
        s.users.fetch_add(1);
        Win32Region* r = s.region.load();
        bool handled = r && r->on_fault(addr);  // the region re-checks: the slot may have been reused
        s.users.fetch_sub(1);
        if (handled) return EXCEPTION_CONTINUE_EXECUTION;
    }
    return EXCEPTION_CONTINUE_SEARCH;
}

class Win32Tracker final : public PageTracker {
public:
    const char* backend_name() const override { return "VirtualProtect"; }

    std::unique_ptr<TrackedRegion> create(uint64_t size, std::string* error) override {
        {
            // First in the chain: our faults must not reach a program's handler that would treat them as crashes.
            static void* handler = ::AddVectoredExceptionHandler(1, on_access_violation);
            if (!handler) {
                *error = "AddVectoredExceptionHandler: " + last_error_text();
                return nullptr;
            }
        }
        uint64_t mapped = page_tracker_detail::mapped_size_for(size);
        HANDLE section = ::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE,
                                              static_cast<DWORD>(mapped >> 32), static_cast<DWORD>(mapped), nullptr);
        if (!section) {
            *error = "CreateFileMapping of " + std::to_string(mapped) + " bytes: " + last_error_text();
            return nullptr;
        }
        auto* program = static_cast<uint8_t*>(::MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, static_cast<SIZE_T>(mapped)));
        auto* driver = program ? static_cast<uint8_t*>(::MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, static_cast<SIZE_T>(mapped)))
                               : nullptr;
        if (!driver) {
            *error = "MapViewOfFile of " + std::to_string(mapped) + " bytes: " + last_error_text();
            if (program) ::UnmapViewOfFile(program);
            ::CloseHandle(section);
            return nullptr;
        }
        if (!protect(program, mapped, PAGE_READONLY)) {
            *error = "VirtualProtect: " + last_error_text();
            ::UnmapViewOfFile(program);
            ::UnmapViewOfFile(driver);
            ::CloseHandle(section);
            return nullptr;
        }
        auto region = std::make_unique<Win32Region>(section, program, driver, size, mapped);
        if (!region->publish()) {
            *error = "too many tracked regions (" + std::to_string(kMaxRegions) + ")";
            return nullptr;
        }
        return region;
    }
};

}  // namespace

namespace page_tracker_detail {

uint64_t system_page_size() {
    static const uint64_t size = [] {
        SYSTEM_INFO info;
        ::GetSystemInfo(&info);
        return static_cast<uint64_t>(info.dwPageSize);
    }();
    return size;
}

uint8_t* allocate_zero_pages(uint64_t size) {
    // Committed pages are zero and take memory only once touched.
    return static_cast<uint8_t*>(::VirtualAlloc(nullptr, static_cast<SIZE_T>(size ? size : 1), MEM_RESERVE | MEM_COMMIT,
                                                PAGE_READWRITE));
}

void free_zero_pages(uint8_t* pages, uint64_t) {
    if (pages) ::VirtualFree(pages, 0, MEM_RELEASE);
}

void pin_library() {
    // A FreeLibrary of the driver must not unload the code the exception handler runs.
    static std::atomic<bool> pinned{false};
    if (pinned.exchange(true)) return;
    HMODULE self = nullptr;
    if (!::GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                              reinterpret_cast<LPCWSTR>(&pin_library), &self))
        LOG_WARN("page tracking: could not pin the driver against unloading: %s", last_error_text().c_str());
}

bool in_forked_child(int) { return false; }  // Windows has no fork

}  // namespace page_tracker_detail

std::unique_ptr<PageTracker> PageTracker::create_backend(PageTrackerBackend backend, std::string* error) {
    if (backend == PageTrackerBackend::Userfaultfd) {
        *error = "userfaultfd exists on Linux only";
        return nullptr;
    }
    page_tracker_detail::pin_library();
    return std::make_unique<Win32Tracker>();
}

PageTracker& PageTracker::instance() {
    static PageTracker* const tracker = [] {
        std::string why;
        auto t = create_backend(PageTrackerBackend::Mprotect, &why);
        return t.release();  // never destroyed: the exception handler may run during static destruction
    }();
    return *tracker;
}

}  // namespace anarchy::client
