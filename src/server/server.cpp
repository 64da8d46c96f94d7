#include "server/server.h"

#include <cstring>

#include "common/log.h"
#include "transport/handshake.h"
#include "vk_schema_autogen.h"

namespace anarchy::server {

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() { stop(); }

bool Server::start(std::string* error) {
    transport::ConnectionOptions co;
    listener_ = transport::tcp_listen(options_.listen, co, error);
    return listener_ != nullptr;
}

uint16_t Server::port() const { return listener_ ? listener_->port() : 0; }

size_t Server::sessions_active() const {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (auto& r : sessions_)
        if (!r->done) ++n;
    return n;
}

void Server::reap() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        if ((*it)->done) {
            if ((*it)->thread.joinable()) (*it)->thread.join();
            it = sessions_.erase(it);
        } else {
            ++it;
        }
    }
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
        reap();
        // The handshake runs on the session's thread so a slow client cannot hold up others.
        auto r = std::make_unique<Running>();
        Running* raw = r.get();
        uint64_t number = next_session_++;
        SessionOptions so;
        so.device_index = options_.device_index;
        so.host_description = options_.listen;
        std::string peer = conn->peer();
        auto* conn_raw = conn.get();
        r->session = std::make_unique<Session>(std::move(conn), number, so);
        r->thread = std::thread([this, raw, conn_raw, number, peer]() {
            // The last error boundary (decision 15): an exception ends this session only, never the server.
            try {
                serve_session(raw, conn_raw, number, peer);
            } catch (const std::exception& e) {
                LOG_ERROR("session %llu: ending: %s", (unsigned long long)number, e.what());
                raw->session->stop();
            } catch (...) {
                LOG_ERROR("session %llu: ending: unknown exception", (unsigned long long)number);
                raw->session->stop();
            }
            raw->done = true;
        });
        std::lock_guard<std::mutex> lock(mu_);
        sessions_.push_back(std::move(r));
    }
}

void Server::serve_session(Running* raw, transport::Connection* conn, uint64_t number, const std::string& peer) {
    transport::PeerInfo mine, theirs;
    mine.schema_hash = protocol::kSchemaHash;
    mine.software = "anarchy " ANARCHY_VERSION;
    mine.role = "vulkan";
    mine.session_token = raw->session->token();
    std::string err;
    if (!transport::server_handshake(*conn, mine, &theirs, &err)) {
        LOG_WARN("session %llu from %s refused: %s", (unsigned long long)number, peer.c_str(), err.c_str());
        return;
    }
    if (theirs.role == "video") {
        // A session's second connection: it carries that session's frames.
        if (!this->attach_video(theirs.session_token, raw->session->take_connection()))
            LOG_WARN("video channel from %s names no running session", peer.c_str());
        return;
    }
    LOG_INFO("session %llu: client %s (%s) connected", (unsigned long long)number, peer.c_str(),
             theirs.software.c_str());
    std::string why = raw->session->run();
    LOG_INFO("session %llu: ended (%s)", (unsigned long long)number, why.c_str());
}

bool Server::attach_video(uint64_t token, std::unique_ptr<transport::Connection> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : sessions_) {
        if (r->done || r->session->token() != token) continue;
        r->session->attach_video(std::move(conn));
        return true;
    }
    const char* why = "no session with that token";
    conn->send(transport::FrameType::Error, reinterpret_cast<const uint8_t*>(why), std::strlen(why));
    conn->close();
    return false;
}

void Server::serve_in_background() {
    accept_thread_ = std::thread([this]() { serve(); });
}

void Server::stop() {
    if (stopping_.exchange(true)) return;
    if (listener_) listener_->close();
    if (accept_thread_.joinable()) accept_thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : sessions_) r->session->stop();
    for (auto& r : sessions_)
        if (r->thread.joinable()) r->thread.join();
    sessions_.clear();
}

}  // namespace anarchy::server
