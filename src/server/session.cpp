#include "server/session.h"

#include <random>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "common/log.h"
#include "protocol/memory_diff.h"

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
    std::lock_guard<std::mutex> lock(waiters_mu_);
    for (auto& t : waiters_)
        if (t.joinable()) t.join();
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
    return objects_.resolve(id, static_cast<VkObjectType>(object_type), out);
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

void Session::note_async_failure(const char* command, VkResult result) {
    ++async_failures_;
    LOG_WARN("session %llu: %s failed with VkResult %d (the client was told it succeeded; later use will fail)",
             (unsigned long long)number_, command, result);
}

bool Session::observes_gpu_writes(uint32_t id) const {
    using protocol::CommandId;
    switch (static_cast<CommandId>(id)) {
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
        return id == static_cast<uint32_t>(CustomCommand::MapMemory) ||
               id == static_cast<uint32_t>(CustomCommand::InvalidateMemory);
    }
}

std::string Session::run() {
    std::string why;
    transport::Frame f;
    while (!closing_) {
        std::string err;
        bool timed_out = false;
        if (!conn_->receive(f, std::chrono::milliseconds(1000), &err, &timed_out)) {
            if (timed_out) continue;
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
        uint32_t seq = 0;
        if (wants_reply && !d.u32(seq)) {
            why = "reply sequence number missing";
            return false;
        }
        if (!handle_command(id, seq, wants_reply, d, why)) return false;
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
    if (wants_reply && !deferred) {
        bool with_memory = false;
        if (observes_gpu_writes(id)) {
            int32_t r = 0;
            if (reply.size_bytes() >= 4) std::memcpy(&r, reply.bytes().data(), 4);
            with_memory = (id >= protocol::kFirstCustomCommand) || r == VK_SUCCESS;
        }
        send_reply(seq, reply, with_memory);
    }
    return true;
}

void Session::send_reply(uint32_t seq, const WireEncoder& body, bool with_memory) {
    WireEncoder head;
    head.u32(seq);
    head.u32(with_memory ? protocol::kReplyHasMemory : 0);
    if (with_memory) collect_memory_updates(head);
    conn_->send_parts(transport::FrameType::Reply, head.bytes().data(), head.size_bytes(), body.bytes().data(),
                      body.size_bytes());
}

void Session::defer_reply(std::function<void(WireEncoder&)> fn) {
    uint32_t seq = current_seq_;
    bool wants = current_wants_reply_;
    deferred_now_ = true;
    std::lock_guard<std::mutex> lock(waiters_mu_);
    waiters_.emplace_back([this, fn = std::move(fn), seq, wants]() {
        WireEncoder body;
        fn(body);
        if (!wants || closing_) return;
        int32_t r = 0;
        if (body.size_bytes() >= 4) std::memcpy(&r, body.bytes().data(), 4);
        send_reply(seq, body, r == VK_SUCCESS);
    });
}

uint32_t Session::collect_memory_updates(WireEncoder& out) {
    size_t count_at = out.reserve_u32();
    uint32_t count = 0;
    std::vector<std::pair<uint64_t, std::shared_ptr<MirroredMemory>>> list;
    {
        std::lock_guard<std::mutex> lock(mirrors_mu_);
        for (auto& kv : mirrors_)
            if (kv.second->client_mapped) list.push_back(kv);
    }
    for (auto& [handle, m] : list) {
        uint64_t id = objects_.find_id(VK_OBJECT_TYPE_DEVICE_MEMORY, handle);
        if (!id) continue;
        std::lock_guard<std::mutex> lock(m->mu);
        if (!m->client_mapped) continue;
        if (!m->coherent) {
            VkMappedMemoryRange r{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, m->memory, 0, VK_WHOLE_SIZE};
            vk_.InvalidateMappedMemoryRanges(m->device, 1, &r);
        }
        protocol::for_each_changed_run(m->mapped, m->client_view.data(), m->size, [&](size_t off, size_t len) {
            out.u64(id);
            out.u64(off);
            out.blob(m->mapped + off, len);
            std::memcpy(m->client_view.data() + off, m->mapped + off, len);
            ++count;
        });
    }
    out.patch_u32(count_at, count);
    LOG_DEBUG("memory", "session %llu: %u changed ranges in %zu client-mapped allocations", (unsigned long long)number_,
              count, list.size());
    return count;
}

bool Session::handle_custom(uint32_t id, WireDecoder& d, WireEncoder* reply, std::string& why) {
    switch (static_cast<CustomCommand>(id)) {
    case CustomCommand::Ping:
        return true;
    case CustomCommand::WriteMemory: {
        uint64_t mem_id = 0;
        uint32_t ranges = 0;
        VkDeviceMemory mem{};
        if (!decode_handle(d, VK_OBJECT_TYPE_DEVICE_MEMORY, false, mem_id, mem) || !d.count(ranges, 16)) return false;
        std::shared_ptr<MirroredMemory> m;
        {
            std::lock_guard<std::mutex> lock(mirrors_mu_);
            auto it = mirrors_.find(reinterpret_cast<uint64_t>(mem));
            if (it != mirrors_.end()) m = it->second;
        }
        if (!m) return d.fail("WriteMemory to memory that is not host-visible");
        std::lock_guard<std::mutex> lock(m->mu);
        for (uint32_t i = 0; i < ranges; ++i) {
            uint64_t off = 0, len = 0;
            if (!d.u64(off) || !d.u64(len)) return false;
            if (len > d.remaining()) return d.fail("WriteMemory range longer than the message");
            if (off > m->size || len > m->size - off) return d.fail("WriteMemory range outside the allocation");
            std::memcpy(m->mapped + off, d.cursor(), len);
            if (m->client_mapped) std::memcpy(m->client_view.data() + off, d.cursor(), len);
            d.skip(len);
            if (!m->coherent) {
                VkMappedMemoryRange r{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, m->memory, 0, VK_WHOLE_SIZE};
                vk_.FlushMappedMemoryRanges(m->device, 1, &r);
            }
        }
        return true;
    }
    case CustomCommand::MapMemory:
    case CustomCommand::UnmapMemory:
    case CustomCommand::InvalidateMemory: {
        uint64_t mem_id = 0;
        VkDeviceMemory mem{};
        if (!decode_handle(d, VK_OBJECT_TYPE_DEVICE_MEMORY, false, mem_id, mem)) return false;
        std::shared_ptr<MirroredMemory> m;
        {
            std::lock_guard<std::mutex> lock(mirrors_mu_);
            auto it = mirrors_.find(reinterpret_cast<uint64_t>(mem));
            if (it != mirrors_.end()) m = it->second;
        }
        if (!m) return d.fail("map of memory that is not host-visible");
        std::lock_guard<std::mutex> lock(m->mu);
        if (static_cast<CustomCommand>(id) == CustomCommand::MapMemory && !m->client_mapped) {
            // The client's shadow starts zeroed; the first update brings every non-zero byte.
            m->client_view.assign(m->size, 0);
            m->client_mapped = true;
        } else if (static_cast<CustomCommand>(id) == CustomCommand::UnmapMemory) {
            m->client_mapped = false;
            m->client_view.clear();
            m->client_view.shrink_to_fit();
        }
        return true;
    }
    case CustomCommand::SwapchainCreate: {
        uint64_t dev_id = 0, sc_id = 0, old_id = 0;
        VkDevice device{};
        uint32_t format = 0, width = 0, height = 0, mode = 0, count = 0;
        if (!decode_handle(d, VK_OBJECT_TYPE_DEVICE, false, dev_id, device) || !d.u64(sc_id) || !d.u32(format) ||
            !d.u32(width) || !d.u32(height) || !d.u32(mode) || !d.count(count, 8))
            return false;
        if (count == 0 || count > 16) return d.fail("swapchain image count out of range");
        std::vector<VkImage> images(count);
        for (uint32_t i = 0; i < count; ++i) {
            uint64_t img_id = 0;
            if (!decode_handle(d, VK_OBJECT_TYPE_IMAGE, false, img_id, images[i])) return false;
        }
        if (!d.u64(old_id)) return false;
        if (mode != VK_PRESENT_MODE_FIFO_KHR && mode != VK_PRESENT_MODE_MAILBOX_KHR &&
            mode != VK_PRESENT_MODE_IMMEDIATE_KHR && mode != VK_PRESENT_MODE_FIFO_RELAXED_KHR)
            return d.fail("unknown present mode");
        std::string err;
        if (!streamer_->create_swapchain(device, sc_id, VkFormat(format), VkExtent2D{width, height},
                                         VkPresentModeKHR(mode), std::move(images), &err))
            return d.fail(err);
        return true;
    }
    case CustomCommand::SwapchainDestroy: {
        uint64_t sc_id = 0;
        if (!d.u64(sc_id)) return false;
        streamer_->destroy_swapchain(sc_id);
        return true;
    }
    case CustomCommand::AcquireSignal: {
        uint64_t q_id = 0, sem_id = 0, fence_id = 0;
        VkQueue queue{};
        VkSemaphore sem{};
        VkFence fence{};
        if (!decode_handle(d, VK_OBJECT_TYPE_QUEUE, false, q_id, queue) ||
            !decode_handle(d, VK_OBJECT_TYPE_SEMAPHORE, true, sem_id, sem) ||
            !decode_handle(d, VK_OBJECT_TYPE_FENCE, true, fence_id, fence))
            return false;
        // The image is free already (its capture finished before the client saw it released): signal at once.
        VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        si.signalSemaphoreCount = sem ? 1 : 0;
        si.pSignalSemaphores = &sem;
        VkResult r = vk_.QueueSubmit(queue, sem ? 1 : 0, &si, fence);
        if (r != VK_SUCCESS) note_async_failure("vkAcquireNextImageKHR (signal)", r);
        return true;
    }
    case CustomCommand::QueuePresent: {
        uint64_t q_id = 0;
        VkQueue queue{};
        uint32_t family = 0, wait_count = 0, entry_count = 0;
        if (!decode_handle(d, VK_OBJECT_TYPE_QUEUE, false, q_id, queue) || !d.u32(family) || !d.count(wait_count, 8))
            return false;
        std::vector<VkSemaphore> waits(wait_count);
        for (uint32_t i = 0; i < wait_count; ++i) {
            uint64_t sem_id = 0;
            if (!decode_handle(d, VK_OBJECT_TYPE_SEMAPHORE, false, sem_id, waits[i])) return false;
        }
        if (!d.count(entry_count, 20)) return false;
        std::vector<PresentEntry> entries(entry_count);
        for (auto& en : entries)
            if (!d.u64(en.swapchain) || !d.u32(en.image_index) || !d.u64(en.present_id)) return false;
        std::string err;
        if (!streamer_->present(queue, family, waits, entries, &err)) return d.fail(err);
        return true;
    }
    case CustomCommand::EnumeratePhysicalDevices:
    case CustomCommand::EnumeratePhysicalDeviceGroups: {
        uint64_t inst_id = 0;
        VkInstance instance{};
        if (!decode_handle(d, VK_OBJECT_TYPE_INSTANCE, false, inst_id, instance)) return false;
        uint32_t n = 0;
        vk_.EnumeratePhysicalDevices(instance, &n, nullptr);
        std::vector<VkPhysicalDevice> devs(n);
        vk_.EnumeratePhysicalDevices(instance, &n, devs.data());
        devs.resize(n);
        if (options_.device_index != UINT32_MAX) {
            if (options_.device_index < devs.size())
                devs = {devs[options_.device_index]};
            else
                devs.clear();
        }
        std::vector<uint64_t> ids;
        for (VkPhysicalDevice pd : devs) {
            uint64_t existing = objects_.find_id(VK_OBJECT_TYPE_PHYSICAL_DEVICE, reinterpret_cast<uint64_t>(pd));
            if (!existing) {
                existing = kServerIdBit | next_server_id_++;
                register_object(existing, VK_OBJECT_TYPE_PHYSICAL_DEVICE, reinterpret_cast<uint64_t>(pd),
                                reinterpret_cast<uint64_t>(instance), VK_OBJECT_TYPE_UNKNOWN, 0);
            }
            ids.push_back(existing);
        }
        if (reply) {
            if (static_cast<CustomCommand>(id) == CustomCommand::EnumeratePhysicalDevices) {
                reply->u32(static_cast<uint32_t>(ids.size()));
                for (uint64_t x : ids) reply->u64(x);
            } else {
                // One group per device: device groups of several GPUs are not forwarded.
                reply->u32(static_cast<uint32_t>(ids.size()));
                for (uint64_t x : ids) {
                    reply->u32(1);
                    reply->u64(x);
                    reply->u32(0);
                }
            }
        }
        return true;
    }
    }
    why = "unknown custom command " + std::to_string(id);
    return d.fail(why);
}

void Session::cleanup() {
    // Frame capture goes first: it uses devices, queues and images about to be destroyed.
    streamer_->stop();
    {
        std::lock_guard<std::mutex> lock(waiters_mu_);
        for (auto& t : waiters_)
            if (t.joinable()) t.join();
        waiters_.clear();
    }
    if (!has_dispatch_) {
        objects_.clear();
        return;
    }
    auto all = objects_.newest_first();
    size_t freed = 0;
    // Devices must be idle before their children go.
    for (auto& [id, e] : all)
        if (e.type == VK_OBJECT_TYPE_DEVICE && vk_.DeviceWaitIdle) vk_.DeviceWaitIdle(reinterpret_cast<VkDevice>(e.handle));
    {
        std::lock_guard<std::mutex> lock(mirrors_mu_);
        mirrors_.clear();
    }
    for (auto& [id, e] : all) {
        if (e.parent_type != VK_OBJECT_TYPE_UNKNOWN) continue;  // freed with their pool
        if (e.type == VK_OBJECT_TYPE_PHYSICAL_DEVICE || e.type == VK_OBJECT_TYPE_QUEUE) continue;
        destroy_object(vk_, e.type, e.handle, e.owner);
        ++freed;
    }
    objects_.clear();
    if (freed) LOG_INFO("session %llu: freed %zu objects it left behind", (unsigned long long)number_, freed);
}

}  // namespace anarchy::server
