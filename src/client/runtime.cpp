#include "client/runtime.h"
#include "client/video_channel.h"
#include "client/command_writer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/log.h"
#include "common/thread_name.h"
#include "protocol/memory_diff.h"
#include "protocol/memory_messages.h"
#include "protocol/messages.h"
#include "protocol/wire_decoder.h"
#include "transport/handshake.h"
#include "vk_schema_autogen.h"

namespace anarchy::client {

using protocol::WireDecoder;
using protocol::WireEncoder;

namespace {
constexpr size_t kBatchFlushBytes = 1 << 20;  // send at least every MiB even without a sync point
constexpr size_t kDirectSendBytes = 256 << 10;  // pieces this large skip the batch
}

ShadowMemory::~ShadowMemory() {
    page_tracker_detail::free_zero_pages(snapshot, size);
}

std::unique_ptr<Runtime> Runtime::connect(const std::string& address, std::string* error) {
    std::unique_ptr<Runtime> rt(new Runtime());
    rt->address_ = address;
    std::string err;
    transport::ConnectionOptions co;
    rt->conn_ = transport::tcp_connect(address, std::chrono::milliseconds(3000), co, &err);
    if (!rt->conn_) {
        if (error) *error = err;
        return nullptr;
    }
    transport::PeerInfo mine, theirs;
    mine.schema_hash = protocol::kSchemaHash;
    mine.software = "anarchy " ANARCHY_VERSION;
    mine.role = "vulkan";
    if (!transport::client_handshake(*rt->conn_, mine, &theirs, &err)) {
        if (error) *error = err;
        return nullptr;
    }
    rt->session_token_ = theirs.session_token;
    rt->fetch_link_->rt = rt.get();
    // Stale pages need a tracker that can make pages fault on reads; the threshold goes first, before any memory.
    if (PageTracker::instance().supports_stale()) {
        // A range read whole costs a fetch round trip per chunk when stale (4 MiB read whole: 9.5 ms against 4.9 ms
        // in the reply, measured here), so only ranges a program is unlikely to read whole go stale by default.
        rt->stale_threshold_ = uint64_t(16) << 20;
        if (const char* v = std::getenv("ANARCHY_STALE_THRESHOLD")) rt->stale_threshold_ = std::strtoull(v, nullptr, 0);
    } else if (const char* v = std::getenv("ANARCHY_STALE_THRESHOLD"); v && std::strtoull(v, nullptr, 0) != 0) {
        LOG_WARN("ANARCHY_STALE_THRESHOLD: %s page tracking cannot have stale pages; ignored",
                 PageTracker::instance().backend_name());
    }
    if (rt->stale_threshold_) {
        protocol::MemoryOptionsMessage options{rt->stale_threshold_};
        CommandWriter w(*rt, static_cast<uint32_t>(protocol::CustomCommand::MemoryOptions), false);
        options.encode(w.enc());
        w.send();
    }
    rt->receiver_ = std::thread([r = rt.get()]() {
        set_thread_name("anarchy-recv");
        // Nothing may escape into the program's process: a failure here loses the connection, as a dead link does.
        try {
            r->receive_loop();
        } catch (const std::exception& e) {
            r->mark_lost(std::string("reply handling failed: ") + e.what());
        } catch (...) {
            r->mark_lost("reply handling failed");
        }
    });
    return rt;
}

Runtime::~Runtime() {
    close();
    {
        // After close() a fetch in flight returns at once; none starts after this.
        std::lock_guard<std::mutex> lock(fetch_link_->mu);
        fetch_link_->rt = nullptr;
    }
    if (receiver_.joinable()) receiver_.join();
}

VideoChannel* Runtime::video_channel(std::string* error) {
    std::lock_guard<std::mutex> lock(video_mu_);
    if (!video_) video_ = VideoChannel::open(address_, session_token_, error);
    return video_.get();
}

void Runtime::close() {
    {
        std::lock_guard<std::mutex> lock(video_mu_);
        if (video_) video_->close();
    }
    if (!conn_) return;
    // vkDestroyInstance closes, and so does the destructor: the goodbye and the counters happen once.
    if (closed_.exchange(true)) return;
    if (!lost_) {
        flush();
        conn_->send(transport::FrameType::Bye, nullptr, 0);
    }
    if (const char* path = std::getenv("ANARCHY_STATS_FILE")) {
        if (FILE* f = std::fopen(path, "a")) {
            transport::ConnectionStats cs = conn_->stats();
            std::fprintf(f, "round_trips=%llu cached_answers=%llu commands=%llu frames_sent=%llu bytes_sent=%llu "
                            "bytes_received=%llu memory_bytes_up=%llu memory_bytes_down=%llu memory_bytes_fetched=%llu\n",
                         (unsigned long long)stats_.round_trips, (unsigned long long)stats_.cached_answers,
                         (unsigned long long)stats_.commands, (unsigned long long)stats_.frames_sent,
                         (unsigned long long)cs.bytes_sent, (unsigned long long)cs.bytes_received,
                         (unsigned long long)stats_.memory_bytes_up, (unsigned long long)stats_.memory_bytes_down,
                         (unsigned long long)stats_.memory_bytes_fetched);
            std::fclose(f);
        }
    }
    lost_ = true;
    conn_->close();
    reply_cv_.notify_all();
}

void Runtime::mark_lost(const std::string& why) {
    bool was = lost_.exchange(true);
    if (!was) {
        {
            std::lock_guard<std::mutex> lock(reply_mu_);
            lost_reason_ = why;
        }
        LOG_ERROR("connection to Anarchy server %s lost: %s", address_.c_str(), why.c_str());
        if (conn_) conn_->close();
    }
    reply_cv_.notify_all();
}

bool Runtime::enqueue(const uint8_t* data, size_t size) {
    if (lost_) return false;
    std::unique_lock<std::mutex> lock(batch_mu_);
    if (size >= kDirectSendBytes) {
        // Large pieces (mapped-memory writes, long command buffers) go out as frames of their own, after what is
        // batched, without another copy into the batch.
        if (!flush_locked(lock)) return false;
        std::string err;
        stats_.commands++;
        stats_.frames_sent++;
        if (conn_->send(transport::FrameType::Commands, data, size, &err)) return true;
        mark_lost(err.empty() ? "send failed" : err);
        return false;
    }
    batch_.insert(batch_.end(), data, data + size);
    stats_.commands++;
    if (batch_.size() >= kBatchFlushBytes) return flush_locked(lock);
    return true;
}

bool Runtime::flush_locked(std::unique_lock<std::mutex>&) {
    if (batch_.empty()) return !lost_;
    std::string err;
    bool ok = conn_->send(transport::FrameType::Commands, batch_.data(), batch_.size(), &err);
    batch_.clear();
    stats_.frames_sent++;
    if (!ok) mark_lost(err.empty() ? "send failed" : err);
    return ok;
}

bool Runtime::flush() {
    std::unique_lock<std::mutex> lock(batch_mu_);
    return flush_locked(lock);
}

bool Runtime::call(const uint8_t* data, size_t size, uint32_t seq, std::vector<uint8_t>& reply) {
    if (lost_) return false;
    {
        std::unique_lock<std::mutex> lock(batch_mu_);
        batch_.insert(batch_.end(), data, data + size);
        stats_.commands++;
        if (!flush_locked(lock)) return false;
    }
    stats_.round_trips++;
    std::unique_lock<std::mutex> lock(reply_mu_);
    // The connection's heartbeat bounds this wait: a dead server marks the runtime lost within seconds.
    reply_cv_.wait(lock, [&] { return lost_.load() || replies_.count(seq) != 0; });
    auto it = replies_.find(seq);
    if (it == replies_.end()) return false;
    reply = std::move(it->second);
    replies_.erase(it);
    return true;
}

bool Runtime::cached(const std::string& key, std::vector<uint8_t>& out) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(key);
    if (it == cache_.end()) return false;
    out = it->second;
    stats_.cached_answers++;
    return true;
}

void Runtime::remember(const std::string& key, const std::vector<uint8_t>& reply) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    cache_[key] = reply;
}

void Runtime::receive_loop() {
    // One frame for the whole loop: its payload keeps its capacity, so a reply carrying a MiB of memory updates
    // does not allocate (and fault in) a fresh MiB each time.
    transport::Frame f;
    // Runs of the parts ahead of the reply being received (messages.h kReplyMemoryOnly), for the counters.
    uint64_t part_run_bytes = 0;
    for (;;) {
        std::string err;
        bool timed_out = false;
        if (!conn_->receive(f, std::chrono::milliseconds(1000), &err, &timed_out)) {
            if (timed_out && !lost_) continue;
            if (!lost_) mark_lost(err.empty() ? "connection closed" : err);
            return;
        }
        if (f.type == transport::FrameType::Error) {
            mark_lost("the server ended the session: " + std::string(f.payload.begin(), f.payload.end()));
            return;
        }
        if (f.type != transport::FrameType::Reply) continue;
        protocol::Arena arena;
        WireDecoder d(f.payload.data(), f.payload.size(), &arena);
        uint32_t seq = 0, flags = 0;
        if (!d.u32(seq) || !d.u32(flags)) {
            mark_lost("malformed reply from the server");
            return;
        }
        const bool part = (flags & protocol::kReplyMemoryOnly) != 0;
        if (part && !(flags & protocol::kReplyHasMemory)) {
            mark_lost("malformed reply from the server: a memory part without memory updates");
            return;
        }
        if (flags & protocol::kReplyHasMemory) {
            const uint64_t run_bytes = apply_memory_updates(d, part ? 0 : part_run_bytes);
            part_run_bytes = part ? part_run_bytes + run_bytes : 0;
        }
        if (!d.ok()) {
            mark_lost("malformed memory update from the server: " + d.error());
            return;
        }
        if (part) {
            if (d.remaining() != 0) {
                mark_lost("malformed reply from the server: a memory part with a body");
                return;
            }
            continue;
        }
        std::vector<uint8_t> body(d.cursor(), d.cursor() + d.remaining());
        {
            std::lock_guard<std::mutex> lock(reply_mu_);
            replies_[seq] = std::move(body);
        }
        reply_cv_.notify_all();
    }
}

uint64_t Runtime::apply_memory_updates(WireDecoder& d, uint64_t earlier_run_bytes) {
    // Runs, then stale ranges, then fetched ranges (memory_messages.h), applied in the order replies arrive.
    uint64_t run_bytes = 0;
    bool ok = protocol::decode_memory_runs(d, [&](const protocol::MemoryRun& run) {
        std::shared_ptr<ShadowMemory> m = shadow(run.memory);
        if (!m) return true;  // freed meanwhile
        std::lock_guard<std::mutex> lock(m->mu);
        if (run.offset > m->size || run.size > m->size - run.offset) return d.fail("memory update outside the allocation");
        // What is written wins: bytes the program changed since the last sync keep the program's value.
        protocol::merge_incoming(m->region->driver_view() + run.offset, m->snapshot + run.offset, run.bytes, run.size);
        stats_.memory_bytes_down += run.size;
        run_bytes += run.size;
        return true;
    });
    auto in_bounds = [&](const ShadowMemory& m, const protocol::MemoryRangeRef& r) {
        return r.offset <= m.size && r.size <= m.size - r.offset;
    };
    ok = ok && protocol::decode_memory_ranges(d, [&](const protocol::MemoryRangeRef& r) {
        std::shared_ptr<ShadowMemory> m = shadow(r.memory);
        if (!m) return true;
        if (!in_bounds(*m, r)) return d.fail("stale range outside the allocation");
        std::lock_guard<std::mutex> lock(m->mu);
        if (!m->region->mark_stale(r.offset, r.size)) {
            // The bytes are neither here nor coming: the program would read old ones without knowing.
            mark_lost("could not make GPU-written pages stale (" + std::string(PageTracker::instance().backend_name()) +
                      " page tracking)");
        }
        return true;
    });
    bool any_fetched = false;
    ok = ok && protocol::decode_memory_ranges(d, [&](const protocol::MemoryRangeRef& r) {
        any_fetched = true;
        std::shared_ptr<ShadowMemory> m = shadow(r.memory);
        if (!m) return true;
        if (!in_bounds(*m, r)) return d.fail("fetched range outside the allocation");
        std::lock_guard<std::mutex> lock(m->mu);
        m->region->clear_stale(r.offset, r.size);
        return true;
    });
    if (any_fetched) stats_.memory_bytes_fetched += earlier_run_bytes + run_bytes;
    if (!ok && d.ok()) d.fail("malformed memory update");
    return run_bytes;
}

bool Runtime::fetch_memory(uint64_t id, uint64_t offset, uint64_t size) {
    if (lost_) return false;
    {
        // No reference taken: the handler thread must never be the one that frees a shadow.
        std::lock_guard<std::mutex> lock(shadows_mu_);
        if (!shadows_.count(id)) return false;
    }
    CommandWriter w(*this, static_cast<uint32_t>(protocol::CustomCommand::FetchMemory), true);
    protocol::FetchMemoryMessage msg{id, offset, size};
    msg.encode(w.enc());
    Reply reply;
    if (!w.call(reply)) return false;  // lost: call() marked it
    uint32_t answered = 0;
    if (!reply.decoder().u32(answered)) {
        mark_lost("malformed FetchMemory reply");
        return false;
    }
    return answered == 1;
}

ShadowMemory* Runtime::add_shadow(uint64_t id, uint64_t size, VkDevice device) {
    std::string err;
    auto region = PageTracker::instance().create(size, &err);
    if (!region) {
        LOG_ERROR("host-visible allocation of %llu bytes: no shadow memory: %s", (unsigned long long)size, err.c_str());
        return nullptr;
    }
    uint8_t* snap = page_tracker_detail::allocate_zero_pages(size);
    if (!snap) {
        LOG_ERROR("host-visible allocation of %llu bytes: no snapshot memory", (unsigned long long)size);
        return nullptr;
    }
    if (stale_threshold_ && region->supports_stale()) {
        region->set_fetch([link = fetch_link_, id](uint64_t offset, uint64_t size) {
            std::lock_guard<std::mutex> lock(link->mu);
            return link->rt && link->rt->fetch_memory(id, offset, size);
        });
    }
    auto m = std::make_shared<ShadowMemory>();
    m->id = id;
    m->size = size;
    m->region = std::move(region);
    m->snapshot = snap;
    m->device = device;
    std::lock_guard<std::mutex> lock(shadows_mu_);
    ShadowMemory* raw = m.get();
    shadows_[id] = std::move(m);
    return raw;
}

std::shared_ptr<ShadowMemory> Runtime::shadow(uint64_t id) {
    std::lock_guard<std::mutex> lock(shadows_mu_);
    auto it = shadows_.find(id);
    return it == shadows_.end() ? nullptr : it->second;
}

void Runtime::remove_shadow(uint64_t id) {
    // Under the flush lock: a flush running on another thread has sent its writes of this memory already, and a
    // later one will not find it, so no write ever follows the vkFreeMemory that comes after this.
    std::shared_ptr<ShadowMemory> gone;  // destroyed after the locks are released
    std::lock_guard<std::mutex> flush_lock(memory_flush_mu_);
    std::lock_guard<std::mutex> lock(shadows_mu_);
    auto it = shadows_.find(id);
    if (it == shadows_.end()) return;
    gone = std::move(it->second);
    shadows_.erase(it);
}

void Runtime::retire_shadows_of(VkDevice device) {
    std::lock_guard<std::mutex> flush_lock(memory_flush_mu_);
    std::lock_guard<std::mutex> lock(shadows_mu_);
    for (auto it = shadows_.begin(); it != shadows_.end();) {
        if (it->second->device == device) {
            retired_shadows_.push_back(std::move(it->second));
            it = shadows_.erase(it);
        } else {
            ++it;
        }
    }
}

bool Runtime::flush_memory_writes() {
    std::lock_guard<std::mutex> flush_lock(memory_flush_mu_);
    std::vector<std::shared_ptr<ShadowMemory>> list;
    {
        std::lock_guard<std::mutex> lock(shadows_mu_);
        list.reserve(shadows_.size());
        for (auto& kv : shadows_) list.push_back(kv.second);
    }
    // One message for every allocation: the changed runs of the pages written since the last flush. A large flush
    // goes as several messages of about kMessageBytes, each sent as soon as it is full: the server copies one
    // into place while this thread compares and encodes the next, instead of waiting for all of it.
    constexpr size_t kMessageBytes = size_t(256) << 10;
    auto w = std::make_unique<CommandWriter>(*this, static_cast<uint32_t>(protocol::CustomCommand::WriteMemory), false);
    auto runs = std::make_unique<protocol::MemoryRunsEncoder>(w->enc());
    auto send = [&]() {
        if (runs->finish() == 0) return !lost_;
        return w->send();
    };
    std::vector<PageRun> pages, changed;
    for (auto& m : list) {
        pages.clear();
        changed.clear();
        std::unique_lock<std::mutex> lock(m->mu);
        m->region->take_dirty(pages);
        if (pages.empty()) continue;
        // Room for the message's dirty bytes up front: growing a large message by doubling copies it again and again.
        uint64_t dirty = 0;
        for (const PageRun& p : pages) dirty += p.count * kPageSize;
        auto reserve = [&] {
            auto& buffer = w->enc().bytes();
            buffer.reserve(buffer.size() + std::min<uint64_t>({dirty, m->size, 2 * kMessageBytes}) + pages.size() * 32);
        };
        reserve();
        const uint8_t* now = m->region->driver_view();
        for (const PageRun& p : pages) {
            uint64_t begin = p.first * kPageSize;
            if (begin >= m->size) continue;
            uint64_t end = begin + std::min(p.count * kPageSize, m->size - begin);
            for (uint64_t piece = begin; piece < end; piece += kMessageBytes) {
                uint64_t len = std::min<uint64_t>(kMessageBytes, end - piece);
                protocol::for_each_changed_run(now + piece, m->snapshot + piece, len, [&](size_t off, size_t n) {
                    uint64_t at = piece + off;
                    runs->add(m->id, at, now + at, n);
                    std::memcpy(m->snapshot + at, now + at, n);
                    stats_.memory_bytes_up += n;
                    // The pages with changed bytes, for the tracker (pages written in full every time stay open;
                    // note_changed merges the runs).
                    const uint64_t first = at / kPageSize, last = (at + n - 1) / kPageSize;
                    changed.push_back({first, last + 1 - first});
                });
                dirty -= std::min(dirty, len);
                if (w->enc().size_bytes() >= kMessageBytes) {
                    // Not holding the memory's lock while the socket may be full: the receive thread takes it to
                    // apply the GPU's writes to this memory, and blocked there it would stop reading the replies the
                    // server must send before it reads this message. The message holds its bytes already.
                    lock.unlock();
                    if (!send()) return false;
                    lock.lock();
                    w = std::make_unique<CommandWriter>(*this, static_cast<uint32_t>(protocol::CustomCommand::WriteMemory),
                                                        false);
                    runs = std::make_unique<protocol::MemoryRunsEncoder>(w->enc());
                    reserve();
                }
            }
        }
        m->region->note_changed(changed);
    }
    return send();
}

}  // namespace anarchy::client
