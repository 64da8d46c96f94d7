#include "server/server.h"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <random>
#include <vector>

#include <unistd.h>

#include "common/log.h"
#include "transport/handshake.h"
#include "vk_schema_autogen.h"

namespace anarchy::server {

namespace {

/// What a client may have sent after its Hello before the answer (it sends nothing; this bounds a rogue one).
constexpr size_t kMaxUnreadAtHandover = 64 * 1024;
constexpr auto kSupervisorTick = std::chrono::milliseconds(100);
/// How long after a session starts its successor's spare worker is started: the spare's warm-up (the executable's
/// libraries and the driver) would otherwise compete for the CPU with the session's own start on a small host.
constexpr auto kSpareRefillDelay = std::chrono::seconds(2);

uint64_t new_token() {
    std::random_device rd;
    uint64_t t = (uint64_t(rd()) << 32) ^ rd();
    return t ? t : 1;
}

double seconds(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)) {
    if (options_.worker_executable.empty()) options_.worker_executable = "/proc/self/exe";
}

Server::~Server() { stop(); }

bool Server::start(std::string* error) {
    // Before a handshake a client is nobody: its frames stay small (a header claiming 1 GiB is refused, not
    // allocated). A session's own connection, in its worker, gets the usual limits.
    transport::ConnectionOptions co;
    co.max_frame_bytes = kMaxHandshakeFrameBytes;
    listener_ = transport::tcp_listen(options_.listen, co, error);
    if (!listener_) return false;
    {
        std::lock_guard<std::mutex> lock(mu_);
        refill_spare_locked();
    }
    supervisor_ = std::thread([this] { supervise(); });
    return true;
}

uint16_t Server::port() const { return listener_ ? listener_->port() : 0; }

size_t Server::sessions_active() const {
    std::lock_guard<std::mutex> lock(mu_);
    return threaded_.size() + workers_.size();
}

void Server::serve() {
    while (!stopping_) {
        std::string err;
        auto conn = listener_->accept(&err);
        if (!conn) {
            if (stopping_) break;
            LOG_WARN("accept failed: %s", err.c_str());
            continue;
        }
        uint64_t number = next_session_++;
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) break;
        size_t handshaking = 0;
        for (auto& p : pending_) handshaking += !p->done;
        if (handshaking >= kMaxPendingHandshakes + threaded_.size()) {
            LOG_WARN("connection %llu from %s closed: %zu connections are already in their handshake",
                     (unsigned long long)number, conn->peer().c_str(), kMaxPendingHandshakes);
            continue;
        }
        // The handshake runs on a thread of its own so that a slow client cannot hold up others.
        auto p = std::make_unique<Pending>();
        p->conn = std::move(conn);
        Pending* raw = p.get();
        p->thread = std::thread([this, raw, number]() {
            // The last error boundary (decision 15): an exception ends this connection only, never the server.
            try {
                handle_connection(raw, number);
            } catch (const std::exception& e) {
                LOG_ERROR("session %llu: ending: %s", (unsigned long long)number, e.what());
            } catch (...) {
                LOG_ERROR("session %llu: ending: unknown exception", (unsigned long long)number);
            }
            raw->conn->close();
            raw->done = true;
        });
        pending_.push_back(std::move(p));
    }
}

void Server::refuse(transport::Connection& conn, const std::string& why) {
    conn.send(transport::FrameType::Error, reinterpret_cast<const uint8_t*>(why.data()), why.size());
    conn.close();
}

void Server::handle_connection(Pending* p, uint64_t number) {
    transport::Connection& conn = *p->conn;
    const std::string peer = conn.peer();
    transport::PeerInfo mine, theirs;
    mine.schema_hash = protocol::kSchemaHash;
    mine.software = "anarchy " ANARCHY_VERSION;
    mine.role = "vulkan";
    mine.session_token = new_token();
    std::string err;
    if (!transport::server_handshake(conn, mine, &theirs, &err)) {
        LOG_WARN("session %llu from %s refused: %s", (unsigned long long)number, peer.c_str(), err.c_str());
        return;
    }
    if (theirs.role == "video") {
        // A session's second connection: it carries that session's frames.
        attach_video(theirs.session_token, conn);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (threaded_.size() + workers_.size() >= options_.max_sessions) {
            LOG_WARN("session %llu from %s refused: %u sessions are running (--max-sessions)",
                     (unsigned long long)number, peer.c_str(), options_.max_sessions);
            refuse(conn, "the server is full (" + std::to_string(options_.max_sessions) + " sessions)");
            return;
        }
    }
    LOG_INFO("session %llu: client %s (%s) connected", (unsigned long long)number, peer.c_str(),
             theirs.software.c_str());
    if (options_.session_mode == SessionMode::Thread) {
        // The session's connection gets the usual frame limit; the socket is the same.
        transport::DetachedSocket s;
        if (!transport::tcp_detach(conn, &s, &err)) {
            LOG_ERROR("session %llu: ended (%s)", (unsigned long long)number, err.c_str());
            return;
        }
        run_in_thread(transport::tcp_adopt(std::move(s)), number, mine.session_token);
    } else {
        run_in_worker(conn, number, mine.session_token);
    }
}

void Server::run_in_thread(std::unique_ptr<transport::Connection> conn, uint64_t number, uint64_t token) {
    SessionOptions so;
    so.device_index = options_.device_index;
    so.host_description = options_.listen;
    auto session = std::make_unique<Session>(std::move(conn), number, so);
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) session->stop();
        threaded_.push_back({session.get(), token});
    }
    std::string why;
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
    {
        std::lock_guard<std::mutex> lock(mu_);
        threaded_.remove_if([&](const Threaded& t) { return t.session == session.get(); });
    }
}

void Server::run_in_worker(transport::Connection& conn, uint64_t number, uint64_t token) {
    std::string err;
    transport::DetachedSocket s;
    if (!transport::tcp_detach(conn, &s, &err)) {
        LOG_ERROR("session %llu: ended (%s)", (unsigned long long)number, err.c_str());
        return;
    }
    // Ours until the worker has it: the worker's copy is the only one once this closes.
    struct CloseAtExit {
        int fd;
        ~CloseAtExit() { ::close(fd); }
    } own{static_cast<int>(s.handle)};
    if (s.unread.size() > kMaxUnreadAtHandover) {
        LOG_WARN("session %llu: ended (the client sent %zu bytes before its handshake was answered)",
                 (unsigned long long)number, s.unread.size());
        return;
    }
    WorkerStart start;
    start.number = number;
    start.device_index = options_.device_index;
    start.host_description = options_.listen;
    start.peer = s.peer;
    start.unread = std::move(s.unread);
    start.max_open_files = options_.worker_max_files;
    std::unique_ptr<WorkerProcess> process;
    {
        std::lock_guard<std::mutex> lock(mu_);
        std::string how;
        if (spare_ && !spare_->reap(&how)) process = std::move(spare_);
        spare_.reset();
    }
    // Without a spare the worker starts now, cold: the session's own vkCreateInstance loads the driver.
    if (!process) process = WorkerProcess::spawn(options_.worker_executable, false, &err);
    if (!process || !process->hand_over(start, own.fd, &err)) {
        LOG_ERROR("session %llu: ended (no worker: %s)", (unsigned long long)number, err.c_str());
        return;
    }
    LOG_DEBUG("worker", "session %llu: worker %d", (unsigned long long)number, static_cast<int>(process->pid()));
    std::lock_guard<std::mutex> lock(mu_);
    // stop() may have swept the workers while this one started: it gets the same order.
    if (stopping_) process->kill(SIGTERM);
    workers_.push_back({std::move(process), number, token});
    next_spare_ = std::max(next_spare_, std::chrono::steady_clock::now() + kSpareRefillDelay);
}

void Server::refill_spare_locked() {
    if (options_.session_mode != SessionMode::Process || !options_.spare_worker || stopping_ || spare_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_spare_) return;
    std::string err;
    spare_ = WorkerProcess::spawn(options_.worker_executable, true, &err);
    if (!spare_) {
        LOG_WARN("cannot start a spare worker (%s); trying again in a second", err.c_str());
        next_spare_ = now + std::chrono::seconds(1);
    }
}

void Server::attach_video(uint64_t token, transport::Connection& conn) {
    const std::string peer = conn.peer();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : threaded_) {
        if (t.token != token) continue;
        transport::DetachedSocket s;
        if (transport::tcp_detach(conn, &s, nullptr)) t.session->attach_video(transport::tcp_adopt(std::move(s), transport::video_connection_options()));
        return;
    }
    for (auto& w : workers_) {
        if (w.token != token || w.process->exited()) continue;
        transport::DetachedSocket s;
        std::string err;
        if (!transport::tcp_detach(conn, &s, &err)) return;
        if (s.unread.size() > kMaxUnreadAtHandover) {
            LOG_WARN("session %llu: video channel from %s sent too much before its handshake was answered",
                     (unsigned long long)w.number, peer.c_str());
        } else if (WorkerVideo video{s.peer, std::move(s.unread)}; !w.process->send_video(video, int(s.handle), &err)) {
            LOG_WARN("session %llu: video channel from %s not handed over: %s", (unsigned long long)w.number,
                     peer.c_str(), err.c_str());
        }
        ::close(static_cast<int>(s.handle));
        return;
    }
    LOG_WARN("video channel from %s names no running session", peer.c_str());
    refuse(conn, "no session with that token");
}

void Server::reap_workers_locked() {
    for (auto it = workers_.begin(); it != workers_.end();) {
        std::string how;
        if (!it->process->reap(&how)) {
            ++it;
            continue;
        }
        // A worker that ends its session logs why and exits 0; any other end is logged here, for it.
        if (how == "exited with status 0")
            LOG_DEBUG("worker", "session %llu: worker %d exited", (unsigned long long)it->number,
                      static_cast<int>(it->process->pid()));
        else
            LOG_ERROR("session %llu: ended (worker %d %s)", (unsigned long long)it->number,
                      static_cast<int>(it->process->pid()), how.c_str());
        it = workers_.erase(it);
    }
}

void Server::join_finished_threads() {
    std::vector<std::unique_ptr<Pending>> finished;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto it = pending_.begin(); it != pending_.end();) {
            if ((*it)->done) {
                finished.push_back(std::move(*it));
                it = pending_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& p : finished)
        if (p->thread.joinable()) p->thread.join();
}

void Server::supervise() {
    std::unique_lock<std::mutex> wait_lock(supervisor_mu_);
    while (!supervisor_stop_) {
        supervisor_cv_.wait_for(wait_lock, kSupervisorTick);
        if (supervisor_stop_) break;
        join_finished_threads();
        std::lock_guard<std::mutex> lock(mu_);
        reap_workers_locked();
        if (std::string how; spare_ && spare_->reap(&how)) {
            // Its warm-up failed (a driver that crashes on vkCreateInstance?): no session was lost.
            LOG_WARN("the spare worker %d %s; starting another in a second", static_cast<int>(spare_->pid()),
                     how.c_str());
            spare_.reset();
            next_spare_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        }
        refill_spare_locked();
        const uint64_t now = monotonic_ns();
        const uint64_t limit_ns = static_cast<uint64_t>(options_.driver_timeout.count()) * 1000000u;
        for (auto& w : workers_) {
            if (w.process->condemned()) continue;
            const pid_t pid = w.process->pid();
            if (limit_ns) {
                WorkerStatusSnapshot st = w.process->status();
                if (st.activity != WorkerActivity::Waiting && st.since_ns && now > st.since_ns &&
                    now - st.since_ns > limit_ns) {
                    std::string what = "the watchdog: " + st.describe() + " for " +
                                       std::to_string(seconds(now - st.since_ns)).substr(0, 5) + " s";
                    LOG_ERROR("session %llu: worker %d busy with %s for %.1f s (--driver-timeout %.1f s); killing it",
                              (unsigned long long)w.number, static_cast<int>(pid), st.describe().c_str(),
                              seconds(now - st.since_ns), seconds(limit_ns));
                    w.process->kill(SIGKILL, what);
                    continue;
                }
            }
            if (options_.worker_memory_bytes) {
                uint64_t rss = w.process->resident_bytes();
                if (rss > options_.worker_memory_bytes) {
                    LOG_ERROR("session %llu: worker %d holds %llu MiB (--worker-memory %llu MiB); killing it",
                              (unsigned long long)w.number, static_cast<int>(pid), (unsigned long long)(rss >> 20),
                              (unsigned long long)(options_.worker_memory_bytes >> 20));
                    w.process->kill(SIGKILL, "over --worker-memory: " + std::to_string(rss >> 20) + " MiB resident");
                }
            }
        }
    }
}

void Server::serve_in_background() {
    accept_thread_ = std::thread([this]() { serve(); });
}

void Server::stop() {
    std::call_once(stop_once_, [this] {
        stopping_ = true;
        if (listener_) listener_->close();
        if (accept_thread_.joinable()) accept_thread_.join();
        {
            std::lock_guard<std::mutex> lock(supervisor_mu_);
            supervisor_stop_ = true;
        }
        supervisor_cv_.notify_all();
        if (supervisor_.joinable()) supervisor_.join();

        // Handshakes end now; sessions are asked to end; workers are told to end theirs; the spare goes.
        std::unique_ptr<WorkerProcess> spare;
        {
            std::lock_guard<std::mutex> lock(mu_);
            spare = std::move(spare_);
            for (auto& p : pending_) p->conn->close();
            for (auto& t : threaded_) t.session->stop();
            for (auto& w : workers_) w.process->kill(SIGTERM);
        }
        // Thread mode: each thread returns once its session's clean-up is done (a driver call that never
        // returns holds it forever: process mode exists for that). Process mode: handshake threads end at once.
        std::list<std::unique_ptr<Pending>> threads;
        {
            std::lock_guard<std::mutex> lock(mu_);
            threads.swap(pending_);
        }
        for (auto& p : threads)
            if (p->thread.joinable()) p->thread.join();
        spare.reset();  // killed and reaped: it serves nobody

        // Workers have the grace period to end their sessions, then are killed.
        const auto grace_end = std::chrono::steady_clock::now() + options_.stop_grace;
        const auto give_up = grace_end + std::chrono::seconds(5);
        bool killed = false;
        for (;;) {
            std::unique_lock<std::mutex> lock(mu_);
            reap_workers_locked();
            if (workers_.empty()) break;
            const auto now = std::chrono::steady_clock::now();
            if (!killed && now >= grace_end) {
                for (auto& w : workers_) {
                    LOG_WARN("session %llu: worker %d did not end within %.1f s of SIGTERM; killing it",
                             (unsigned long long)w.number, static_cast<int>(w.process->pid()),
                             options_.stop_grace.count() / 1000.0);
                    w.process->kill(SIGKILL, "the server stopping");
                }
                killed = true;
            }
            if (now >= give_up) {
                // Each destructor waits a little more, then leaves what will not die (stuck in the kernel).
                workers_.clear();
                break;
            }
            lock.unlock();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
}

}  // namespace anarchy::server
