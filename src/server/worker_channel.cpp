#include "server/worker_channel.h"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

namespace anarchy::server {

namespace {

bool set_error(std::string* error, std::string text) {
    if (error) *error = std::move(text);
    return false;
}

void put_bytes(protocol::WireEncoder& e, const std::string& s) { e.blob(s.data(), s.size()); }
void put_bytes(protocol::WireEncoder& e, const std::vector<uint8_t>& v) { e.blob(v.data(), v.size()); }

template <typename Container>
bool get_bytes(protocol::WireDecoder& d, Container& out) {
    const uint8_t* p = nullptr;
    uint64_t n = 0;
    if (!d.blob_view(p, n)) return false;
    out.assign(p, p + n);
    return true;
}

}  // namespace

void WorkerStart::encode(protocol::WireEncoder& e) const {
    e.u32(static_cast<uint32_t>(WorkerMessage::Start));
    e.u64(number);
    e.u32(device_index);
    put_bytes(e, host_description);
    put_bytes(e, peer);
    put_bytes(e, unread);
    e.u64(max_open_files);
}

bool WorkerStart::decode(protocol::WireDecoder& d) {
    return d.u64(number) && d.u32(device_index) && get_bytes(d, host_description) && get_bytes(d, peer) &&
           get_bytes(d, unread) && d.u64(max_open_files);
}

void WorkerVideo::encode(protocol::WireEncoder& e) const {
    e.u32(static_cast<uint32_t>(WorkerMessage::Video));
    put_bytes(e, peer);
    put_bytes(e, unread);
}

bool WorkerVideo::decode(protocol::WireDecoder& d) { return get_bytes(d, peer) && get_bytes(d, unread); }

bool worker_socket_pair(int fds[2], std::string* error) {
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
        return set_error(error, std::string("socketpair: ") + std::strerror(errno));
    return true;
}

bool send_worker_message(int channel, const std::vector<uint8_t>& bytes, const std::vector<int>& fds,
                         std::string* error) {
    if (bytes.empty() || bytes.size() > kMaxWorkerMessage || fds.size() > kMaxWorkerFds)
        return set_error(error, "worker message of " + std::to_string(bytes.size()) + " bytes and " +
                                    std::to_string(fds.size()) + " descriptors is out of bounds");
    iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxWorkerFds)] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (!fds.empty()) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        // Never blocks: a worker that stopped reading must not stall the server.
        ssize_t n = ::sendmsg(channel, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n == static_cast<ssize_t>(bytes.size())) return true;
        if (n < 0 && errno == EINTR) continue;
        return set_error(error, std::string("sending to the worker: ") +
                                    (n < 0 ? std::strerror(errno) : "short write"));
    }
}

WorkerReceive receive_worker_message(int channel, std::vector<uint8_t>& bytes, std::vector<int>& fds,
                                     std::string* error) {
    bytes.resize(kMaxWorkerMessage);
    fds.clear();
    iovec iov{bytes.data(), bytes.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxWorkerFds)] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(channel, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        set_error(error, std::string("receiving from the server: ") + std::strerror(errno));
        return WorkerReceive::Failed;
    }
    // Descriptors that came are ours to close, whatever else is wrong with the message.
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            fds.push_back(fd);
        }
    }
    if (n == 0) {
        bytes.clear();
        set_error(error, "the server closed the channel");
        return WorkerReceive::Closed;
    }
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        for (int fd : fds) ::close(fd);
        fds.clear();
        set_error(error, "a truncated message from the server");
        return WorkerReceive::Failed;
    }
    bytes.resize(static_cast<size_t>(n));
    return WorkerReceive::Ok;
}

}  // namespace anarchy::server
