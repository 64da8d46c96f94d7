#include "client/wsi/xcb_shm_segment.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "client/wsi/shared_memory.h"
#include "client/wsi/x11_error.h"
#include "common/log.h"

namespace anarchy::client::wsi {

std::unique_ptr<XcbShmSegment> XcbShmSegment::create(xcb_connection_t* conn, size_t size, ShmTransport transport,
                                                     WsiStatus* status) {
    *status = WsiStatus::Error;
    if (xcb_connection_has_error(conn)) {
        *status = WsiStatus::SurfaceLost;
        return nullptr;
    }
    std::unique_ptr<XcbShmSegment> seg(new XcbShmSegment());
    seg->conn_ = conn;
    seg->size_ = size;
    // seg_ stays 0 (nothing to detach) until the server has accepted the segment.
    const xcb_shm_seg_t id = xcb_generate_id(conn);
    if (id == 0xFFFFFFFFu) return nullptr;

    xcb_void_cookie_t cookie;
    int sysv_id = -1;
    if (transport == ShmTransport::Fd) {
        seg->memfd_ = SharedMemory::create(size, "anarchy-xshm");
        if (!seg->memfd_) {
            *status = WsiStatus::OutOfMemory;
            return nullptr;
        }
        seg->data_ = seg->memfd_->data();
        // xcb closes the descriptor it sends, so it gets a duplicate; our mapping stays valid either way.
        int fd = fcntl(seg->memfd_->fd(), F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            LOG_WARN("wsi: dup of shared memory fd failed: %s", std::strerror(errno));
            return nullptr;
        }
        cookie = xcb_shm_attach_fd_checked(conn, id, fd, 1);
    } else {
        sysv_id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
        if (sysv_id < 0) {
            LOG_WARN("wsi: shmget(%zu bytes) failed: %s", size, std::strerror(errno));
            *status = WsiStatus::OutOfMemory;
            return nullptr;
        }
        void* addr = shmat(sysv_id, nullptr, 0);
        if (addr == reinterpret_cast<void*>(-1)) {
            LOG_WARN("wsi: shmat failed: %s", std::strerror(errno));
            shmctl(sysv_id, IPC_RMID, nullptr);
            *status = WsiStatus::OutOfMemory;
            return nullptr;
        }
        seg->sysv_addr_ = addr;
        seg->data_ = static_cast<uint8_t*>(addr);
        cookie = xcb_shm_attach_checked(conn, id, static_cast<uint32_t>(sysv_id), 1);
    }
    WsiStatus attach = check_x_request(conn, cookie, "MIT-SHM attach");
    // Once the server has attached (or refused) the segment, its id can go: the memory lives until both sides
    // detach, and nothing is left behind if this process dies.
    if (sysv_id >= 0) shmctl(sysv_id, IPC_RMID, nullptr);
    if (attach != WsiStatus::Ok || xcb_connection_has_error(conn)) {
        *status = xcb_connection_has_error(conn) ? WsiStatus::SurfaceLost : attach;
        return nullptr;
    }
    seg->seg_ = id;
    *status = WsiStatus::Ok;
    return seg;
}

XcbShmSegment::~XcbShmSegment() {
    if (seg_ != 0 && !xcb_connection_has_error(conn_)) {
        // Requests are executed in order, so any ShmPutImage sent before has already read the memory by the time
        // the server handles the detach; our unmap below only drops our own view.
        xcb_void_cookie_t c = xcb_shm_detach_checked(conn_, seg_);
        xcb_discard_reply(conn_, c.sequence);
        xcb_flush(conn_);
    }
    if (sysv_addr_) shmdt(sysv_addr_);
}

}  // namespace anarchy::client::wsi
