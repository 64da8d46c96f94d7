// One MIT-SHM segment shared with the X server: the memory ShmPutImage reads a frame from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <xcb/shm.h>
#include <xcb/xcb.h>

#include "client/wsi/window_target.h"

namespace anarchy::client::wsi {

class SharedMemory;

/// How the segment reaches the server: a memfd passed over the socket (MIT-SHM 1.2, nothing left behind if we
/// crash) or a System V segment (older servers).
enum class ShmTransport : uint8_t { Fd, SysV };

/// A shared-memory segment attached to the X server (read-only for it); detached and unmapped on destruction.
class XcbShmSegment {
public:
    /// Allocates `size` bytes and attaches them with a checked request (one round trip). nullptr on failure,
    /// with *status saying why.
    static std::unique_ptr<XcbShmSegment> create(xcb_connection_t* conn, size_t size, ShmTransport transport,
                                                 WsiStatus* status);
    ~XcbShmSegment();
    XcbShmSegment(const XcbShmSegment&) = delete;
    XcbShmSegment& operator=(const XcbShmSegment&) = delete;

    uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    xcb_shm_seg_t id() const { return seg_; }

private:
    XcbShmSegment() = default;
    xcb_connection_t* conn_ = nullptr;
    xcb_shm_seg_t seg_ = 0;
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
    std::unique_ptr<SharedMemory> memfd_;  ///< Fd transport: owns the mapping
    void* sysv_addr_ = nullptr;            ///< SysV transport: shmat address, shmdt on destruction
};

}  // namespace anarchy::client::wsi
