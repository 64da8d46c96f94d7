#include "server/session.h"

#include <random>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "common/log.h"
#include "protocol/memory_messages.h"
#include "server/object_lifetime.h"
#include "server/physical_device.h"
#include "server/swapchain.h"
#include "server/fault_hooks.h"

namespace anarchy::server {

using protocol::CustomCommand;
using protocol::WireDecoder;
using protocol::WireEncoder;

Session::Session(std::unique_ptr<transport::Connection> conn, uint64_t number, SessionOptions options)
    : conn_(std::move(conn)), number_(number), options_(std::move(options)) {
    std::random_device rd;
    token_ = (uint64_t(rd()) << 32) ^ rd();
    if (token_ == 0) token_ = 1;
    streamer_ = std::make_unique<FrameStreamer>(*this);
}

Session::~Session() {
    stop();
    streamer_->stop();
    waits_.stop();
}

void Session::stop() {
    closing_ = true;
    if (conn_) conn_->close();
}

std::string Session::object_type_name(VkObjectType type) {
    switch (type) {
    case VK_OBJECT_TYPE_INSTANCE: return "VkInstance";
    case VK_OBJECT_TYPE_PHYSICAL_DEVICE: return "VkPhysicalDevice";
    case VK_OBJECT_TYPE_DEVICE: return "VkDevice";
    case VK_OBJECT_TYPE_QUEUE: return "VkQueue";
    case VK_OBJECT_TYPE_COMMAND_BUFFER: return "VkCommandBuffer";
    case VK_OBJECT_TYPE_BUFFER: return "VkBuffer";
    case VK_OBJECT_TYPE_IMAGE: return "VkImage";
    case VK_OBJECT_TYPE_DEVICE_MEMORY: return "VkDeviceMemory";
    case VK_OBJECT_TYPE_FENCE: return "VkFence";
    case VK_OBJECT_TYPE_SEMAPHORE: return "VkSemaphore";
    default: return "object type " + std::to_string(static_cast<int>(type));
    }
}

bool Session::resolve(uint32_t object_type, uint64_t id, uint64_t& out) {
    const auto type = static_cast<VkObjectType>(object_type);
    uint64_t owner = 0;
    if (!objects_.resolve(id, type, out, owner)) {
        refusal_ = "unknown, destroyed or mistyped object id " + std::to_string(id) + " (expected " +
                   object_type_name(type) + ")";
        return false;
    }
    // A device's children may only be used with that device: a driver given another device's object reads
    // memory of the wrong device (natively the program would crash; here it must end only this session).
    if (decode_device_ != 0 && owner != decode_device_ && type != VK_OBJECT_TYPE_DEVICE &&
        objects_.find_id(VK_OBJECT_TYPE_DEVICE, owner) != 0) {
        refusal_ = "object id " + std::to_string(id) + " (" + object_type_name(type) +
                   ") belongs to another device than the command's";
        return false;
    }
    return true;
}

void Session::expect_device_of(uint64_t id) {
    ObjectEntry e;
    decode_device_ = objects_.entry(id, e) ? e.owner : 0;
}

void Session::register_object(uint64_t id, VkObjectType type, uint64_t handle, uint64_t owner, VkObjectType parent_type,
                              uint64_t parent) {
    ObjectEntry e;
    e.type = type;
    e.handle = handle;
    e.owner = owner;
    e.parent_type = parent_type;
    e.parent = parent;
    objects_.add(id, e);
}

void Session::forget_object(VkObjectType type, uint64_t id) {
    if (id == 0) return;
    uint64_t h = 0;
    if (objects_.resolve(id, type, h)) {
        if (type == VK_OBJECT_TYPE_COMMAND_POOL || type == VK_OBJECT_TYPE_DESCRIPTOR_POOL) objects_.remove_children(type, h);
    }
    objects_.remove(id);
}

void Session::forget_objects(VkObjectType type, const uint64_t* handles, uint64_t count) {
    for (uint64_t i = 0; handles && i < count; ++i) {
        uint64_t id = objects_.find_id(type, handles[i]);
        if (id) objects_.remove(id);
    }
}

void Session::forget_children(VkObjectType type, uint64_t handle) { objects_.remove_children(type, handle); }

bool Session::missing_command(protocol::WireDecoder& d, const char* name) {
    LOG_ERROR("session %llu: the program called %s, which its device cannot run (an extension it did not enable, "
              "a Vulkan version above its own, or a command the driver lacks); ending the session",
              (unsigned long long)number_, name);
    return d.fail(std::string(name) + " has no entry for this device");
}

void Session::note_async_failure(const char* command, VkResult result) {
    ++async_failures_;
    int32_t none = 0;
    pending_async_error_.compare_exchange_strong(none, result);
    LOG_WARN("session %llu: %s failed with VkResult %d (reported at the client's next synchronisation)",
             (unsigned long long)number_, command, result);
}

namespace {
/// Commands whose reply is a synchronisation point for the program (decision 4).
bool synchronises(protocol::CommandId id) {
    using protocol::CommandId;
    switch (id) {
    case CommandId::vkWaitForFences:
    case CommandId::vkGetFenceStatus:
    case CommandId::vkQueueWaitIdle:
    case CommandId::vkDeviceWaitIdle:
    case CommandId::vkWaitSemaphores:
    case CommandId::vkGetSemaphoreCounterValue:
    case CommandId::vkGetEventStatus:
    case CommandId::vkGetQueryPoolResults:
        return true;
    default:
        return false;
    }
}
}  // namespace

VkResult Session::sync_result(protocol::CommandId command, VkResult r) {
    if (r < 0 || pending_async_error_.load() == 0 || !synchronises(command)) return r;
    auto stored = static_cast<VkResult>(pending_async_error_.exchange(0));
    if (stored == 0) return r;
    // Every synchronising command allows these three; anything else becomes a lost device.
    VkResult reported = (stored == VK_ERROR_OUT_OF_HOST_MEMORY || stored == VK_ERROR_OUT_OF_DEVICE_MEMORY ||
                         stored == VK_ERROR_DEVICE_LOST)
                            ? stored
                            : VK_ERROR_DEVICE_LOST;
    const char* name = protocol::command_name(static_cast<uint32_t>(command));
    LOG_WARN("session %llu: %s answers VkResult %d for an earlier asynchronous failure (VkResult %d)",
             (unsigned long long)number_, name ? name : "a synchronising command", reported, stored);
    return reported;
}

// Commands that may wait for an acquire's semaphore, or for every queue to be idle, other than the submissions.
static bool waits_for_acquires(uint32_t id) {
    switch (id) {
    case static_cast<uint32_t>(protocol::CommandId::vkQueueBindSparse):
    case static_cast<uint32_t>(protocol::CommandId::vkQueueWaitIdle):
    case static_cast<uint32_t>(protocol::CommandId::vkDeviceWaitIdle):
    case static_cast<uint32_t>(CustomCommand::QueuePresent):
        return true;
    default:
        return false;
    }
}

bool Session::observes_gpu_writes(uint32_t id) const {
    // The synchronising commands make GPU writes visible; so do a first map and a fetch of stale pages.
    if (id < protocol::kFirstCustomCommand) return synchronises(static_cast<protocol::CommandId>(id));
    return id == static_cast<uint32_t>(CustomCommand::MapMemory) ||
           id == static_cast<uint32_t>(CustomCommand::FetchMemory);
}

std::string Session::run() {
    std::string why;
    transport::Frame f;
    while (!closing_) {
        std::string err;
        bool timed_out = false;
        // A present waiting for the encoder (MAILBOX) is captured on this thread, which owns the queues: while one
        // waits and the program sends nothing, wake when it is due (a capture that was due and could not start,
        // its ring full, is tried again 200 us later).
        std::chrono::microseconds wait = std::chrono::milliseconds(1000);
        if (streamer_->has_pending()) {
            wait = streamer_->capture_due_in();
            if (wait.count() == 0) wait = std::chrono::microseconds(200);
        }
        if (!conn_->receive(f, wait, &err, &timed_out)) {
            if (timed_out) {
                streamer_->flush_pending();
                continue;
            }
            why = err.empty() ? "connection closed" : err;
            break;
        }
        if (f.type == transport::FrameType::Bye) {
            why = "client said goodbye";
            break;
        }
        if (!handle_frame(f, why)) {
            LOG_ERROR("session %llu (%s): ending: %s", (unsigned long long)number_, conn_->peer().c_str(), why.c_str());
            conn_->send(transport::FrameType::Error, reinterpret_cast<const uint8_t*>(why.data()), why.size());
            break;
        }
        streamer_->flush_pending();
    }
    closing_ = true;
    cleanup();
    conn_->close();
    return why.empty() ? "server stopping" : why;
}

bool Session::handle_frame(const transport::Frame& f, std::string& why) {
    if (f.type != transport::FrameType::Commands) {
        why = "unexpected frame type " + std::to_string(static_cast<int>(f.type));
        return false;
    }
    const uint8_t* p = f.payload.data();
    size_t left = f.payload.size();
    while (left > 0) {
        if (left < 8) {
            why = "truncated command header";
            return false;
        }
        uint32_t id_flags, size;
        std::memcpy(&id_flags, p, 4);
        std::memcpy(&size, p + 4, 4);
        p += 8;
        left -= 8;
        if (size > left) {
            why = "command length " + std::to_string(size) + " runs past the end of the frame";
            return false;
        }
        bool wants_reply = (id_flags & protocol::kWantsReply) != 0;
        uint32_t id = id_flags & protocol::kCommandIdMask;
        arena_.reset();
        WireDecoder d(p, size, &arena_, this);
        d.set_shared_present_as_general(true);  // the client's shared presentable images (wire_decoder.h)
        uint32_t seq = 0;
        if (wants_reply && !d.u32(seq)) {
            why = "reply sequence number missing";
            return false;
        }
        // The session's error boundary (decision 15): whatever a command throws ends this session only.
        bool handled = false;
        try {
            handled = handle_command(id, seq, wants_reply, d, why);
        } catch (const std::exception& e) {
            const char* name = protocol::command_name(id);
            why = std::string(name ? name : "custom command " + std::to_string(id)) + ": " + e.what();
        } catch (...) {
            const char* name = protocol::command_name(id);
            why = std::string(name ? name : "custom command " + std::to_string(id)) + ": unknown exception";
        }
        // Now rather than at the next command: a huge block (a query result of 1 GiB) goes back at once, not
        // whenever the client next speaks.
        arena_.reset();
        if (!handled) return false;
        p += size;
        left -= size;
    }
    return true;
}

bool Session::handle_command(uint32_t id, uint32_t seq, bool wants_reply, WireDecoder& d, std::string& why) {
    current_seq_ = seq;
    current_wants_reply_ = wants_reply;
    WireEncoder reply;
    WireEncoder* rp = wants_reply ? &reply : nullptr;
    const char* name = protocol::command_name(id);
    LOG_TRACE("wire", "session %llu: %s (%zu bytes)%s", (unsigned long long)number_, name ? name : "custom", d.remaining(),
              wants_reply ? " waits for a reply" : "");
    bool ok;
    bool deferred = false;
    // Deferred acquire signals go first where this command may wait for one (vkQueueSubmit and vkQueueSubmit2 take
    // theirs themselves, acquire_signals.h).
    if (!acquire_signals_.empty() && waits_for_acquires(id)) submit_acquire_signals(*this);
    if (id >= protocol::kFirstCustomCommand) {
        ok = handle_custom(id, d, rp, why);
    } else if (!name) {
        why = "unknown command id " + std::to_string(id);
        return false;
    } else {
        if (!has_dispatch_ && id != static_cast<uint32_t>(protocol::CommandId::vkCreateInstance)) {
            why = std::string(name) + " before vkCreateInstance";
            return false;
        }
        deferred_now_ = false;
        decode_device_ = 0;
        server_fault_throw_point(id);
        ok = dispatch_generated(*this, static_cast<protocol::CommandId>(id), d, rp);
        deferred = deferred_now_;
        if (!ok) why = std::string(name) + ": " + d.error();
    }
    if (!ok) {
        if (why.empty()) why = d.error();
        return false;
    }
    if (d.remaining() != 0) {
        why = std::string(name ? name : "custom command") + ": " + std::to_string(d.remaining()) + " unread bytes";
        return false;
    }
    if (wants_reply && !deferred && id < protocol::kFirstCustomCommand &&
        synchronises(static_cast<protocol::CommandId>(id)) && reply.size_bytes() >= 4) {
        int32_t r = 0;
        std::memcpy(&r, reply.bytes().data(), 4);
        reply.patch_u32(0, static_cast<uint32_t>(sync_result(static_cast<protocol::CommandId>(id), VkResult(r))));
    }
    if (wants_reply && !deferred) {
        bool with_memory = false;
        if (observes_gpu_writes(id)) {
            int32_t r = 0;
            if (reply.size_bytes() >= 4) std::memcpy(&r, reply.bytes().data(), 4);
            with_memory = (id >= protocol::kFirstCustomCommand) || r == VK_SUCCESS;
        }
        send_reply(seq, reply, with_memory, first_map_, &fetch_);
    }
    first_map_ = VK_NULL_HANDLE;
    fetch_ = MemoryFetch{};
    return true;
}

void Session::send_reply(uint32_t seq, const WireEncoder& body, bool with_memory, VkDeviceMemory first_map,
                         const MemoryFetch* fetch) {
    // One reply at a time from comparing to sending (the session thread and the wait pool's threads reply): the
    // bytes compared first reach the client first, and one reply's parts never interleave with another's.
    std::lock_guard<std::mutex> lock(reply_mu_);
    WireEncoder head;
    auto start = [&] {
        head.clear();
        head.u32(seq);
        head.u32(with_memory ? protocol::kReplyHasMemory : 0);
    };
    start();
    if (with_memory) {
        const MemoryPartSink early = [&](WireEncoder& part) {
            part.patch_u32(4, protocol::kReplyHasMemory | protocol::kReplyMemoryOnly);
            conn_->send(transport::FrameType::Reply, part.bytes().data(), part.size_bytes());
            start();
        };
        collect_memory_updates(*this, head, first_map, fetch, &early);
    }
    conn_->send_parts(transport::FrameType::Reply, head.bytes().data(), head.size_bytes(), body.bytes().data(),
                      body.size_bytes());
}

void Session::defer_reply(VkDevice device, std::function<bool(uint64_t, WireEncoder&)> step) {
    deferred_now_ = true;
    auto body = std::make_shared<WireEncoder>();
    PendingWait w;
    w.seq = current_seq_;
    w.wants_reply = current_wants_reply_;
    w.device = reinterpret_cast<uint64_t>(device);
    // A wait that throws ends this session alone (decision 15): the connection closes, run() returns and cleans up.
    auto fail = [this](const char* what) {
        LOG_ERROR("session %llu: ending: a deferred wait failed: %s", (unsigned long long)number_, what);
        stop();
    };
    w.step = [body, step = std::move(step), fail](uint64_t slice_ns) {
        try {
            return step(slice_ns, *body);
        } catch (const std::exception& e) {
            fail(e.what());
        } catch (...) {
            fail("unknown exception");
        }
        return true;
    };
    w.finish = [this, body, seq = w.seq, wants = w.wants_reply, fail]() {
        if (!wants || closing_) return;
        try {
            int32_t r = 0;
            if (body->size_bytes() >= 4) std::memcpy(&r, body->bytes().data(), 4);
            send_reply(seq, *body, r == VK_SUCCESS);
        } catch (const std::exception& e) {
            fail(e.what());
        } catch (...) {
            fail("unknown exception");
        }
    };
    waits_.add(std::move(w));
}

bool Session::abandoned(VkDevice device) const {
    if (closing_) return true;
    std::lock_guard<std::mutex> lock(going_mu_);
    return going_.count(device) != 0;
}

void Session::finish_waits(VkDevice device) {
    {
        std::lock_guard<std::mutex> lock(going_mu_);
        going_.insert(device);
    }
    waits_.finish_device(reinterpret_cast<uint64_t>(device));
    // Only the session thread adds waits, and it is the one destroying the device: none of it can come now.
    std::lock_guard<std::mutex> lock(going_mu_);
    going_.erase(device);
}

bool Session::handle_custom(uint32_t id, WireDecoder& d, WireEncoder* reply, std::string& why) {
    switch (static_cast<CustomCommand>(id)) {
    case CustomCommand::Ping:
        return true;
    case CustomCommand::WriteMemory:
        return handle_write_memory(*this, d);
    case CustomCommand::MapMemory:
        return handle_map_memory(*this, d, first_map_);
    case CustomCommand::FetchMemory:
        return handle_fetch_memory(*this, d, fetch_, reply);
    case CustomCommand::MemoryOptions: {
        protocol::MemoryOptionsMessage msg;
        if (!msg.decode(d)) return false;
        stale_threshold_ = msg.stale_threshold_bytes;
        return true;
    }
    case CustomCommand::SwapchainCreate:
        return handle_swapchain_create(*this, d);
    case CustomCommand::SwapchainDestroy:
        return handle_swapchain_destroy(*this, d);
    case CustomCommand::AcquireSignal:
        return handle_acquire_signal(*this, d);
    case CustomCommand::QueuePresent:
        return handle_queue_present(*this, d);
    case CustomCommand::EnumeratePhysicalDevices:
        return handle_enumerate_physical_devices(*this, d, reply);
    }
    why = "unknown custom command " + std::to_string(id);
    return d.fail(why);
}

void Session::cleanup() {
    if (acquire_signals_.merged + acquire_signals_.separate)
        LOG_INFO("session %llu: acquire semaphores: %llu signalled by the program's next submission, %llu on their own",
                 (unsigned long long)number_, (unsigned long long)acquire_signals_.merged,
                 (unsigned long long)acquire_signals_.separate);
    // Frame capture goes first: it uses devices, queues and images about to be destroyed.
    streamer_->stop();
    waits_.stop();
    if (!has_dispatch_) {
        objects_.clear();
        return;
    }
    // Every instance the program did not destroy, with all under it, children before their parents.
    retire_children(*this, VK_OBJECT_TYPE_UNKNOWN, 0, "session end");
    // Objects of no live instance (none should be): their parents are gone, so they are only forgotten.
    if (size_t left = objects_.size())
        LOG_WARN("session %llu: forgot %zu objects whose parents were gone", (unsigned long long)number_, left);
    gpu_writes_.release_all();
    memories_.clear();
    objects_.clear();
}

}  // namespace anarchy::server
