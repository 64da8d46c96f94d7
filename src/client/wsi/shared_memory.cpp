#include "client/wsi/shared_memory.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"

namespace anarchy::client::wsi {

std::unique_ptr<SharedMemory> SharedMemory::create(size_t size, const char* debug_name) {
    if (size == 0) return nullptr;
    int fd = memfd_create(debug_name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        LOG_WARN("wsi: memfd_create(%zu bytes) failed: %s", size, std::strerror(errno));
        return nullptr;
    }
    int rc;
    do {
        rc = ftruncate(fd, static_cast<off_t>(size));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        LOG_WARN("wsi: ftruncate(%zu bytes) failed: %s", size, std::strerror(errno));
        close(fd);
        return nullptr;
    }
    // A server maps this file; if it could shrink under the server's mapping, the server would take SIGBUS.
    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL);
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        LOG_WARN("wsi: mmap(%zu bytes) failed: %s", size, std::strerror(errno));
        close(fd);
        return nullptr;
    }
    return std::unique_ptr<SharedMemory>(new SharedMemory(fd, static_cast<uint8_t*>(p), size));
}

SharedMemory::~SharedMemory() {
    munmap(data_, size_);
    close(fd_);
}

}  // namespace anarchy::client::wsi
