#include "server/session_worker.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "common/thread_name.h"
#include "server/session.h"
#include "server/watched_connection.h"
#include "server/worker_channel.h"

namespace anarchy::server {

namespace {

int g_signal_pipe[2] = {-1, -1};

void on_stop_signal(int) {
    const int saved = errno;
    const char b = 1;
    [[maybe_unused]] ssize_t n = ::write(g_signal_pipe[1], &b, 1);
    errno = saved;
}

void close_all(const std::vector<int>& fds) {
    for (int fd : fds) ::close(fd);
}

/// The worker's limits, set before the driver is loaded.
void apply_limits(const WorkerStart& start) {
    if (start.max_open_files) {
        rlimit r{static_cast<rlim_t>(start.max_open_files), static_cast<rlim_t>(start.max_open_files)};
        rlimit now{};
        // Never above the hard limit we were given (only root may raise it).
        if (getrlimit(RLIMIT_NOFILE, &now) == 0 && now.rlim_max != RLIM_INFINITY && r.rlim_max > now.rlim_max)
            r.rlim_cur = r.rlim_max = now.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &r) != 0)
            LOG_WARN("session %llu: cannot limit open files to %llu: %s", (unsigned long long)start.number,
                     (unsigned long long)start.max_open_files, std::strerror(errno));
    }
}

/// Until done_fd is readable: joins video channels to the session, and stops it when the server says so
/// (a signal) or goes away (the channel closes).
void control_loop(int control, int done_fd, Session& session) {
    bool server_there = true;
    for (;;) {
        pollfd p[3] = {{done_fd, POLLIN, 0}, {g_signal_pipe[0], POLLIN, 0}, {server_there ? control : -1, POLLIN, 0}};
        if (::poll(p, 3, -1) < 0) {
            if (errno == EINTR) continue;
            LOG_ERROR("session %llu: poll: %s; ending the session", (unsigned long long)session.number(),
                      std::strerror(errno));
            session.stop();
            return;
        }
        if (p[0].revents) return;
        if (p[1].revents) {
            char buf[16];
            while (::read(g_signal_pipe[0], buf, sizeof buf) > 0) {
            }
            LOG_INFO("session %llu: the server is stopping; ending the session", (unsigned long long)session.number());
            session.stop();
        }
        if (!p[2].revents) continue;
        std::vector<uint8_t> bytes;
        std::vector<int> fds;
        std::string err;
        WorkerReceive got = receive_worker_message(control, bytes, fds, &err);
        if (got != WorkerReceive::Ok) {
            close_all(fds);
            LOG_WARN("session %llu: %s; ending the session", (unsigned long long)session.number(), err.c_str());
            server_there = false;
            session.stop();
            continue;
        }
        protocol::WireDecoder d(bytes.data(), bytes.size(), nullptr);
        uint32_t kind = 0;
        WorkerVideo video;
        if (!d.u32(kind) || kind != static_cast<uint32_t>(WorkerMessage::Video) || !video.decode(d) ||
            fds.size() != 1) {
            close_all(fds);
            LOG_ERROR("session %llu: a malformed message from the server", (unsigned long long)session.number());
            continue;
        }
        transport::DetachedSocket s{fds[0], std::move(video.peer), std::move(video.unread)};
        session.attach_video(transport::tcp_adopt(std::move(s), transport::video_connection_options()));
    }
}

/// Loads the loader's drivers (and whatever they load: LLVM for lavapipe) before the session comes: most of a
/// fresh process's first vkCreateInstance. The instance stays (empty, no device) so that the driver stays loaded
/// for the session's own; it goes with the process.
void warm_up_driver() {
    VkInstanceCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
    VkInstance instance = VK_NULL_HANDLE;
    if (VkResult r = vkCreateInstance(&info, nullptr, &instance); r != VK_SUCCESS)
        LOG_WARN("worker warm-up: vkCreateInstance returned %d", r);
}

}  // namespace

int run_session_worker(int control, int status_fd, bool warm_up) {
    void* page = mmap(nullptr, kWorkerStatusBytes, PROT_READ | PROT_WRITE, MAP_SHARED, status_fd, 0);
    ::close(status_fd);
    if (page == MAP_FAILED) {
        LOG_ERROR("worker: cannot map the status page: %s", std::strerror(errno));
        return 2;
    }
    auto* status = static_cast<WorkerStatus*>(page);  // constructed by the server
    if (warm_up) {
        // The server's watchdog sees a warm-up that never ends, once it hands this worker a session.
        write_worker_status(*status, WorkerActivity::WarmUp);
        warm_up_driver();
        write_worker_status(*status, WorkerActivity::Waiting);
    }

    std::vector<uint8_t> bytes;
    std::vector<int> fds;
    std::string err;
    WorkerReceive got = receive_worker_message(control, bytes, fds, &err);
    if (got == WorkerReceive::Closed) return 0;  // a spare the server no longer needs
    if (got != WorkerReceive::Ok) {
        close_all(fds);
        LOG_ERROR("worker: %s", err.c_str());
        return 2;
    }
    protocol::WireDecoder d(bytes.data(), bytes.size(), nullptr);
    uint32_t kind = 0;
    WorkerStart start;
    if (!d.u32(kind) || kind != static_cast<uint32_t>(WorkerMessage::Start) || !start.decode(d) || fds.size() != 1) {
        close_all(fds);
        LOG_ERROR("worker: the server's first message is not a session");
        return 2;
    }
    const int socket_fd = fds[0];
    apply_limits(start);

    if (pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        ::close(socket_fd);
        LOG_ERROR("worker: pipe: %s", std::strerror(errno));
        return 2;
    }
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    const uint64_t number = start.number;
    transport::DetachedSocket s{socket_fd, start.peer, std::move(start.unread)};
    SessionOptions so;
    so.device_index = start.device_index;
    so.host_description = start.host_description;
    auto session = std::make_unique<Session>(
        std::make_unique<WatchedConnection>(transport::tcp_adopt(std::move(s)), status), number, so);

    int done[2];
    if (pipe2(done, O_CLOEXEC) != 0) {
        LOG_ERROR("worker: pipe: %s", std::strerror(errno));
        return 2;
    }
    std::thread controller([&] {
        set_thread_name("anarchy-control");
        control_loop(control, done[0], *session);
    });
    set_thread_name("anarchy-session");
    std::string why;
    // The last error boundary (decision 15): an exception ends this session, as it would end its thread.
    try {
        why = session->run();
    } catch (const std::exception& e) {
        why = std::string("ending: ") + e.what();
        LOG_ERROR("session %llu: ending: %s", (unsigned long long)number, e.what());
        session->stop();
    } catch (...) {
        why = "ending: unknown exception";
        LOG_ERROR("session %llu: ending: unknown exception", (unsigned long long)number);
        session->stop();
    }
    LOG_INFO("session %llu: ended (%s)", (unsigned long long)number, why.c_str());
    const char b = 1;
    [[maybe_unused]] ssize_t n = ::write(done[1], &b, 1);
    controller.join();
    session.reset();
    write_worker_status(*status, WorkerActivity::Waiting);
    return 0;
}

}  // namespace anarchy::server
