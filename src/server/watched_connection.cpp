#include "server/watched_connection.h"

#include <cstring>

#include "protocol/messages.h"

namespace anarchy::server {

void summarise_batch(const std::vector<uint8_t>& payload, uint32_t& commands, uint32_t& last_command) {
    commands = 0;
    last_command = 0;
    // The layout Session::handle_frame reads: u32 id and flags, u32 size, then size bytes.
    size_t at = 0;
    while (payload.size() - at >= 8) {
        uint32_t id_flags, size;
        std::memcpy(&id_flags, payload.data() + at, 4);
        std::memcpy(&size, payload.data() + at + 4, 4);
        at += 8;
        ++commands;
        last_command = id_flags & protocol::kCommandIdMask;
        if (size > payload.size() - at) break;
        at += size;
    }
}

bool WatchedConnection::receive(transport::Frame& out, std::chrono::microseconds timeout, std::string* error,
                                bool* timed_out) {
    write_worker_status(*status_, WorkerActivity::Waiting);
    bool timeout_flag = false;
    const bool ok = inner_->receive(out, timeout, error, &timeout_flag);
    if (timed_out) *timed_out = timeout_flag;
    if (ok && out.type == transport::FrameType::Commands) {
        uint32_t commands = 0, last = 0;
        summarise_batch(out.payload, commands, last);
        write_worker_status(*status_, WorkerActivity::Commands, commands, last);
    } else if ((!ok && !timeout_flag) || (ok && out.type == transport::FrameType::Bye)) {
        write_worker_status(*status_, WorkerActivity::CleanUp);
    } else {
        write_worker_status(*status_, WorkerActivity::Other);
    }
    return ok;
}

}  // namespace anarchy::server
