// Page tracking on Linux: the two views of a memfd, and choosing a backend (userfaultfd or mprotect).
//
// Fork: regions stay mapped in the child and share their pages with the parent (MAP_SHARED), but tracking in the
// child is not meaningful (Vulkan objects do not survive fork either). uffd: the child's views lose their
// registration and write protection (we do not ask for UFFD_FEATURE_EVENT_FORK) and the child has no handler
// thread, so child writes are simply not reported; take_dirty there reports nothing and destruction only unmaps
// (an ioctl on the inherited userfaultfd would act on the parent's address space); the parent is unaffected. mprotect: the child inherits the
// protections and the signal handler, so its writes fault, are un-protected and set bits in its own copy of the
// bitmap. In both, create() in the child fails with an error instead of handing out a half-working region.
#include "client/page_tracker.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/log.h"

namespace anarchy::client {

namespace page_tracker_detail {

uint64_t system_page_size() {
    static const uint64_t size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    return size;
}

bool map_two_views(uint64_t mapped_size, uint8_t** program, uint8_t** driver, std::string* error) {
    int fd = memfd_create("anarchy-mapped-memory", MFD_CLOEXEC);
    if (fd < 0) {
        *error = std::string("memfd_create: ") + strerror(errno);
        return false;
    }
    if (ftruncate(fd, static_cast<off_t>(mapped_size)) != 0) {
        *error = std::string("ftruncate of the memfd to ") + std::to_string(mapped_size) + " bytes: " + strerror(errno);
        close(fd);
        return false;
    }
    void* p = mmap(nullptr, mapped_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    void* d = p == MAP_FAILED ? MAP_FAILED : mmap(nullptr, mapped_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int saved = errno;
    close(fd);  // the mappings keep the memory; no descriptor per region
    if (d == MAP_FAILED) {
        if (p != MAP_FAILED) munmap(p, mapped_size);
        *error = std::string("mmap of ") + std::to_string(mapped_size) + " bytes: " + strerror(saved);
        return false;
    }
    *program = static_cast<uint8_t*>(p);
    *driver = static_cast<uint8_t*>(d);
    return true;
}

uint8_t* allocate_zero_pages(uint64_t size) {
    void* p = mmap(nullptr, size ? size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
}

void free_zero_pages(uint8_t* pages, uint64_t size) {
    if (pages) munmap(pages, size ? size : 1);
}

void pin_library() {
    static std::atomic<bool> pinned{false};
    if (pinned.exchange(true)) return;
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&pin_library), &info) && info.dli_fname) {
        // RTLD_NOLOAD only adds RTLD_NODELETE to the object already loaded; the handle is never closed.
        // No handle and no error: the code is in the main program (unit tests), which never unloads.
        if (!dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE)) {
            const char* why = dlerror();
            if (why) LOG_WARN("page tracking: could not pin %s against unloading: %s", info.dli_fname, why);
        }
    }
}

bool in_forked_child(int creator_pid) { return getpid() != creator_pid; }

}  // namespace page_tracker_detail

std::unique_ptr<PageTracker> PageTracker::create_backend(PageTrackerBackend backend, std::string* error) {
    page_tracker_detail::pin_library();
    if (backend == PageTrackerBackend::Userfaultfd) return page_tracker_detail::make_userfaultfd_tracker(error);
    return page_tracker_detail::make_mprotect_tracker(error);
}

PageTracker& PageTracker::instance() {
    static PageTracker* const tracker = [] {
        const char* forced = getenv("ANARCHY_PAGE_TRACKING");
        std::string why;
        bool want_uffd = !forced || strcmp(forced, "uffd") == 0 || strcmp(forced, "userfaultfd") == 0;
        if (forced && !want_uffd && strcmp(forced, "mprotect") != 0)
            LOG_WARN("page tracking: ANARCHY_PAGE_TRACKING=%s is neither uffd nor mprotect; choosing", forced);
        if (want_uffd) {
            if (auto t = create_backend(PageTrackerBackend::Userfaultfd, &why)) {
                LOG_DEBUG("memory", "page tracking: userfaultfd write-protect");
                return t.release();  // never destroyed: see instance()
            }
            if (forced)
                LOG_WARN("page tracking: userfaultfd forced but unavailable (%s); using mprotect", why.c_str());
            else
                LOG_DEBUG("memory", "page tracking: userfaultfd unavailable (%s); using mprotect", why.c_str());
        }
        auto t = create_backend(PageTrackerBackend::Mprotect, &why);
        if (!t) {
            // Cannot happen short of sigaction failing; abort loudly rather than track nothing.
            LOG_ERROR("page tracking: no backend: %s", why.c_str());
            abort();
        }
        return t.release();
    }();
    return *tracker;
}

}  // namespace anarchy::client
