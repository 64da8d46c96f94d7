#include "server/worker_process.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"

extern char** environ;

namespace anarchy::server {

namespace {

/// The descriptors a worker finds its end of the socket pair and its status page on (see run_session_worker).
constexpr int kWorkerControlFd = 3;
constexpr int kWorkerStatusFd = 4;

bool set_error(std::string* error, std::string text) {
    if (error) *error = std::move(text);
    return false;
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

std::string signal_name(int sig) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    if (const char* abbrev = sigabbrev_np(sig)) return std::string("SIG") + abbrev;
#endif
    return "signal " + std::to_string(sig);
}

std::unique_ptr<WorkerProcess> WorkerProcess::spawn(const std::string& executable, bool warm_up,
                                                    std::string* error) {
    std::unique_ptr<WorkerProcess> w(new WorkerProcess());

    // The status page: a memfd the worker maps too (a fresh process shares no anonymous memory with us).
    int page_fd = memfd_create("anarchy-worker-status", MFD_CLOEXEC);
    if (page_fd < 0) {
        set_error(error, errno_text("memfd_create"));
        return nullptr;
    }
    void* page = MAP_FAILED;
    if (ftruncate(page_fd, kWorkerStatusBytes) == 0)
        page = mmap(nullptr, kWorkerStatusBytes, PROT_READ | PROT_WRITE, MAP_SHARED, page_fd, 0);
    if (page == MAP_FAILED) {
        set_error(error, errno_text("mapping the worker's status page"));
        ::close(page_fd);
        return nullptr;
    }
    w->status_ = new (page) WorkerStatus();  // unmapped by the destructor

    int pair[2];
    if (!worker_socket_pair(pair, error)) {
        ::close(page_fd);
        return nullptr;
    }
    w->control_ = pair[0];
    // Above the descriptors they become in the worker, so dup2 always makes copies without close-on-exec.
    int child_end = fcntl(pair[1], F_DUPFD_CLOEXEC, kWorkerStatusFd + 1);
    ::close(pair[1]);
    int child_page = fcntl(page_fd, F_DUPFD_CLOEXEC, kWorkerStatusFd + 1);
    ::close(page_fd);
    if (child_end < 0 || child_page < 0) {
        set_error(error, errno_text("fcntl"));
        if (child_end >= 0) ::close(child_end);
        if (child_page >= 0) ::close(child_page);
        return nullptr;
    }

    // Every other descriptor of ours is close-on-exec: the worker starts with 0, 1, 2, its channel and its page.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, child_end, kWorkerControlFd);
    posix_spawn_file_actions_adddup2(&actions, child_page, kWorkerStatusFd);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults, none;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGSEGV, SIGBUS, SIGABRT}) sigaddset(&defaults, sig);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    // A process group of its own: a terminal's Ctrl-C reaches the server, which stops its workers in order.
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);

    const std::string control_text = std::to_string(kWorkerControlFd), page_text = std::to_string(kWorkerStatusFd);
    std::vector<const char*> argv = {"anarchy", "serve-worker", "--control-fd", control_text.c_str(),
                                     "--status-fd", page_text.c_str()};
    if (warm_up) argv.push_back("--warm-up");
    argv.push_back(nullptr);
    int rc = posix_spawn(&w->pid_, executable.c_str(), &actions, &attr, const_cast<char* const*>(argv.data()),
                         environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(child_end);
    ::close(child_page);
    if (rc != 0) {
        w->pid_ = -1;
        set_error(error, "starting a worker (" + executable + "): " + std::strerror(rc));
        return nullptr;
    }
    return w;
}

bool WorkerProcess::hand_over(const WorkerStart& session, int socket_fd, std::string* error) {
    if (handed_over_) return set_error(error, "the worker already has a session");
    if (exited_) return set_error(error, "the worker has exited");
    handed_over_ = true;
    protocol::WireEncoder e;
    session.encode(e);
    return send_worker_message(control_, e.bytes(), {socket_fd}, error);
}

WorkerProcess::~WorkerProcess() {
    if (pid_ > 0 && !exited_) {
        ::kill(pid_, SIGKILL);
        // A process stuck inside a kernel driver dies only when that call returns: wait a little, never forever.
        for (int i = 0; i < 500 && !exited_; ++i) {
            int st = 0;
            pid_t r = waitpid(pid_, &st, WNOHANG);
            if (r == pid_ || (r < 0 && errno == ECHILD)) exited_ = true;
            else std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (!exited_) LOG_ERROR("worker %d does not die; leaving it", static_cast<int>(pid_));
    }
    if (control_ >= 0) ::close(control_);
    if (status_) munmap(status_, kWorkerStatusBytes);
}

bool WorkerProcess::send_video(const WorkerVideo& video, int socket_fd, std::string* error) {
    if (exited_) return set_error(error, "the worker has exited");
    protocol::WireEncoder e;
    video.encode(e);
    return send_worker_message(control_, e.bytes(), {socket_fd}, error);
}

uint64_t WorkerProcess::resident_bytes() const {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/statm", static_cast<int>(pid_));
    FILE* f = std::fopen(path, "r");
    if (!f) return 0;
    unsigned long long size = 0, resident = 0;
    int n = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    return n == 2 ? resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

void WorkerProcess::kill(int sig, const std::string& why) {
    if (exited_ || pid_ <= 0) return;
    if (kill_reason_.empty()) kill_reason_ = why;
    ::kill(pid_, sig);
}

bool WorkerProcess::reap(std::string* how) {
    if (exited_) return true;
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == 0) return false;
    exited_ = true;
    if (r < 0) {
        *how = errno_text("waitpid");
    } else if (WIFSIGNALED(st)) {
        *how = "killed by " + signal_name(WTERMSIG(st));
        if (!kill_reason_.empty()) *how += " (" + kill_reason_ + ")";
    } else {
        *how = "exited with status " + std::to_string(WEXITSTATUS(st));
    }
    return true;
}

}  // namespace anarchy::server
