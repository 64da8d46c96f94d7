// Host-visible device memory: allocation maps and clears it; the program's writes arrive as runs; at each
// synchronisation only the ranges submitted work may have written are compared with what the client holds.
#include "server/device_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/log.h"
#include "protocol/memory_diff.h"
#include "protocol/memory_messages.h"
#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {
namespace {

/// More separate unsent ranges than this in one allocation are merged into their hull.
constexpr size_t kMaxUnsentRanges = 64;

/// [offset, offset+size) widened to whole non-coherent atoms and clamped to the allocation.
VkMappedMemoryRange atom_range(const MirroredMemory& m, uint64_t offset, uint64_t size) {
    uint64_t begin = offset / m.atom * m.atom;
    uint64_t end = offset + size;  // offset and size are within the allocation: no overflow
    uint64_t rounded = end % m.atom ? end + (m.atom - end % m.atom) : end;
    VkMappedMemoryRange r{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, m.memory, begin, VK_WHOLE_SIZE};
    if (rounded < m.size) r.size = rounded - begin;
    return r;
}

void add_unsent(MirroredMemory& m, uint64_t offset, uint64_t size) {
    uint64_t begin = offset, end = offset + size;
    auto it = m.unsent.upper_bound(begin);
    if (it != m.unsent.begin()) {
        auto prev = std::prev(it);
        if (prev->second >= begin) {
            begin = prev->first;
            end = std::max(end, prev->second);
            it = m.unsent.erase(prev);
        }
    }
    while (it != m.unsent.end() && it->first <= end) {
        end = std::max(end, it->second);
        it = m.unsent.erase(it);
    }
    m.unsent[begin] = end;
    if (m.unsent.size() > kMaxUnsentRanges) {
        uint64_t lo = m.unsent.begin()->first, hi = m.unsent.rbegin()->second;
        m.unsent.clear();
        m.unsent[lo] = hi;
    }
}

/// Bytes of memory updates gathered before they leave ahead of their reply as a part (messages.h
/// kReplyMemoryOnly): the client applies one part while the next is compared and sent. ANARCHY_MEMORY_PART_BYTES
/// sets it (0: every update travels inside its reply).
uint64_t part_bytes() {
    static const uint64_t bytes = [] {
        const char* v = std::getenv("ANARCHY_MEMORY_PART_BYTES");
        return v && *v ? std::strtoull(v, nullptr, 10) : uint64_t(256) << 10;
    }();
    return bytes;
}

/// The runs of one reply's memory updates; with a sink, every part_bytes() of them leave ahead of the reply.
class ReplyRuns {
public:
    ReplyRuns(protocol::WireEncoder& out, const MemoryPartSink* early)
        : out_(out), runs_(out), early_(early && *early && part_bytes() ? early : nullptr) {}
    /// Returns where the run's bytes now are in the message (valid until the next add).
    const uint8_t* add(uint64_t memory, uint64_t offset, const uint8_t* bytes, uint64_t size) {
        return runs_.add(memory, offset, bytes, size);
    }
    /// What is gathered should leave now (by send_part, with no memory's lock held).
    bool part_due() const { return early_ && runs_.count() > 0 && out_.size_bytes() >= part_bytes(); }
    void send_part() {
        sent_ += runs_.finish();
        protocol::MemoryRangesEncoder(out_).finish();  // a part names no stale ranges...
        protocol::MemoryRangesEncoder(out_).finish();  // ...and no fetched ones: those come with the reply
        (*early_)(out_);
        runs_.restart();
    }
    /// Writes the last part's count; returns the runs of the whole update.
    uint32_t finish() { return sent_ + runs_.finish(); }

private:
    protocol::WireEncoder& out_;
    protocol::MemoryRunsEncoder runs_;
    const MemoryPartSink* early_;
    uint32_t sent_ = 0;
};

/// Compares [offset, offset+size) of the mapping with the client's view and appends the changed runs. `lock` holds
/// m.mu; it is let go while a part is sent, between two pieces (each piece is compared and copied whole under it).
/// False when the memory was freed meanwhile.
bool diff_range(Session& s, MirroredMemory& m, std::unique_lock<std::mutex>& lock, uint64_t client_id,
                uint64_t offset, uint64_t size, ReplyRuns& out) {
    if (offset >= m.size) return true;
    size = std::min(size, m.size - offset);
    if (!m.coherent) {
        VkMappedMemoryRange r = atom_range(m, offset, size);
        s.vk(m.device).InvalidateMappedMemoryRanges(m.device, 1, &r);
    }
    // Host-visible memory that is not HOST_CACHED (often write-combined) is slow to read, and would be read here
    // twice (compare, encode): each piece is read once, in one sequential copy small enough to stay in the cache,
    // and the rest works on that copy. Cached memory is compared and encoded in place. Either way the client's view
    // takes the bytes from the message, so it holds what was sent even if the GPU is still writing.
    constexpr uint64_t kPiece = 256 << 10;
    thread_local std::vector<uint8_t> staged;
    if (!m.cached) staged.resize(std::min(size, kPiece));
    for (uint64_t piece = offset; piece < offset + size; piece += kPiece) {
        if (out.part_due()) {
            lock.unlock();
            out.send_part();
            lock.lock();
            if (m.freed) return false;
        }
        uint64_t len = std::min(kPiece, offset + size - piece);
        const uint8_t* now = m.mapped + piece;
        if (!m.cached) {
            std::memcpy(staged.data(), now, len);
            now = staged.data();
        }
        protocol::for_each_changed_run(now, m.client_view + piece, len, [&](size_t off, size_t n) {
            const uint8_t* sent = out.add(client_id, piece + off, now + off, n);
            std::memcpy(m.client_view + piece + off, sent, n);
        });
    }
    return true;
}

}  // namespace

MirroredMemory::~MirroredMemory() {
    if (client_view) munmap(client_view, size ? size : 1);
}

void HostMemories::add(VkDeviceMemory memory, std::shared_ptr<MirroredMemory> m) {
    std::lock_guard<std::mutex> lock(mu_);
    by_handle_[memory] = std::move(m);
}

void HostMemories::remove(VkDeviceMemory memory) {
    std::lock_guard<std::mutex> lock(mu_);
    by_handle_.erase(memory);
}

std::shared_ptr<MirroredMemory> HostMemories::find(VkDeviceMemory memory) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_handle_.find(memory);
    return it == by_handle_.end() ? nullptr : it->second;
}

void HostMemories::clear() {
    std::lock_guard<std::mutex> lock(mu_);
    by_handle_.clear();
}

VkResult override_vkAllocateMemory(Session& s, VkDevice device, const VkMemoryAllocateInfo* pAllocateInfo,
                                   const VkAllocationCallbacks*, VkDeviceMemory* pMemory) {
    VkResult r = s.vk(device).AllocateMemory(device, pAllocateInfo, nullptr, pMemory);
    if (r != VK_SUCCESS) return r;
    auto parent = s.device_parents().find(device);
    if (parent == s.device_parents().end()) return r;
    VkPhysicalDeviceMemoryProperties props{};
    s.vk().GetPhysicalDeviceMemoryProperties(parent->second, &props);
    if (pAllocateInfo->memoryTypeIndex >= props.memoryTypeCount) return r;
    VkMemoryPropertyFlags flags = props.memoryTypes[pAllocateInfo->memoryTypeIndex].propertyFlags;
    if (!(flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)) return r;
    auto fail = [&](VkResult why) {
        s.vk(device).FreeMemory(device, *pMemory, nullptr);
        *pMemory = VK_NULL_HANDLE;
        return why;
    };
    uint64_t size = pAllocateInfo->allocationSize;
    void* ptr = nullptr;
    VkResult mr = s.vk(device).MapMemory(device, *pMemory, 0, VK_WHOLE_SIZE, 0, &ptr);
    if (mr != VK_SUCCESS) return fail(mr);
    void* view = mmap(nullptr, size ? size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (view == MAP_FAILED) return fail(VK_ERROR_OUT_OF_HOST_MEMORY);
    auto m = std::make_shared<MirroredMemory>();
    m->mapped = static_cast<uint8_t*>(ptr);
    m->size = size;
    m->client_view = static_cast<uint8_t*>(view);
    m->device = device;
    m->memory = *pMemory;
    m->coherent = (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    m->cached = (flags & VK_MEMORY_PROPERTY_HOST_CACHED_BIT) != 0;
    VkPhysicalDeviceProperties pp{};
    s.vk().GetPhysicalDeviceProperties(parent->second, &pp);
    m->atom = std::max<uint64_t>(1, pp.limits.nonCoherentAtomSize);
    // Both sides start from zeros; clearing once here is what lets neither side ever read the whole allocation.
    std::memset(m->mapped, 0, size);
    if (!m->coherent) {
        VkMappedMemoryRange whole{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, m->memory, 0, VK_WHOLE_SIZE};
        s.vk(device).FlushMappedMemoryRanges(device, 1, &whole);
    }
    s.memories().add(*pMemory, std::move(m));
    s.gpu_writes().on_host_visible_memory(*pMemory, size);
    return r;
}

void override_vkFreeMemory(Session& s, VkDevice device, VkDeviceMemory memory, const VkAllocationCallbacks*) {
    s.gpu_writes().on_free_memory(memory);
    if (auto m = s.memories().find(memory)) {
        std::lock_guard<std::mutex> lock(m->mu);
        m->freed = true;
        s.memories().remove(memory);
    }
    s.vk(device).FreeMemory(device, memory, nullptr);
}

bool handle_write_memory(Session& s, protocol::WireDecoder& d) {
    std::shared_ptr<MirroredMemory> m;
    uint64_t last_id = 0;
    std::unique_lock<std::mutex> lock;
    return protocol::decode_memory_runs(d, [&](const protocol::MemoryRun& run) {
        if (!m || run.memory != last_id) {
            if (lock.owns_lock()) lock.unlock();
            VkDeviceMemory mem{};
            uint64_t handle = 0;
            if (!s.objects().resolve(run.memory, VK_OBJECT_TYPE_DEVICE_MEMORY, handle))
                return d.fail("WriteMemory to unknown memory id " + std::to_string(run.memory));
            mem = reinterpret_cast<VkDeviceMemory>(handle);
            m = s.memories().find(mem);
            if (!m) return d.fail("WriteMemory to memory that is not host-visible");
            last_id = run.memory;
            lock = std::unique_lock<std::mutex>(m->mu);
        }
        if (run.offset > m->size || run.size > m->size - run.offset)
            return d.fail("WriteMemory run outside the allocation");
        std::memcpy(m->mapped + run.offset, run.bytes, run.size);
        std::memcpy(m->client_view + run.offset, run.bytes, run.size);
        if (!m->coherent) {
            VkMappedMemoryRange r = atom_range(*m, run.offset, run.size);
            s.vk(m->device).FlushMappedMemoryRanges(m->device, 1, &r);
        }
        return true;
    });
}

bool handle_map_memory(Session& s, protocol::WireDecoder& d, VkDeviceMemory& first_map) {
    protocol::MapMemoryMessage msg;
    if (!msg.decode(d)) return false;
    uint64_t handle = 0;
    if (!s.objects().resolve(msg.memory, VK_OBJECT_TYPE_DEVICE_MEMORY, handle))
        return d.fail("MapMemory of unknown memory id " + std::to_string(msg.memory));
    first_map = reinterpret_cast<VkDeviceMemory>(handle);
    if (!s.memories().find(first_map)) return d.fail("MapMemory of memory that is not host-visible");
    return true;
}

bool handle_fetch_memory(Session& s, protocol::WireDecoder& d, MemoryFetch& fetch, protocol::WireEncoder* reply) {
    protocol::FetchMemoryMessage msg;
    if (!msg.decode(d)) return false;
    if (!reply) return d.fail("FetchMemory without a reply");
    if (msg.offset % 4096 != 0 || msg.size == 0 || msg.size > protocol::FetchMemoryMessage::kMaxFetchBytes)
        return d.fail("FetchMemory of a range that is not page-aligned or too large");
    fetch = MemoryFetch{};
    fetch.active = true;
    uint64_t handle = 0;
    // An id freed meanwhile is no error: the program may free memory while a fetch of it is in flight.
    if (s.objects().resolve(msg.memory, VK_OBJECT_TYPE_DEVICE_MEMORY, handle)) {
        VkDeviceMemory mem = reinterpret_cast<VkDeviceMemory>(handle);
        auto m = s.memories().find(mem);
        if (!m) return d.fail("FetchMemory of memory that is not host-visible");
        if (msg.offset >= m->size) return d.fail("FetchMemory outside the allocation");
        fetch.memory = mem;
        fetch.id = msg.memory;
        fetch.offset = msg.offset;
        fetch.size = std::min(msg.size, m->size - msg.offset);
    }
    reply->u32(fetch.memory ? 1 : 0);
    return true;
}

uint32_t collect_memory_updates(Session& s, protocol::WireEncoder& out, VkDeviceMemory first_map,
                                const MemoryFetch* fetch, const MemoryPartSink* early) {
    ReplyRuns runs(out, early);
    std::vector<protocol::MemoryRangeRef> stale;
    const uint64_t threshold = s.stale_threshold();
    // Small ranges are compared and travel now; large ones are named stale, unread, and client_view keeps what the
    // client holds of them until it fetches them.
    auto send = [&](MirroredMemory& m, std::unique_lock<std::mutex>& lock, uint64_t id, uint64_t offset,
                    uint64_t size) {
        if (threshold && size > threshold) {
            stale.push_back({id, offset, size});
            return true;
        }
        return diff_range(s, m, lock, id, offset, size, runs);
    };
    auto finish = [&](const MemoryFetch* fetched) {
        uint32_t n = runs.finish();
        protocol::MemoryRangesEncoder stale_out(out);
        for (const auto& r : stale) stale_out.add(r.memory, r.offset, r.size);
        stale_out.finish();
        protocol::MemoryRangesEncoder fetched_out(out);
        if (fetched && fetched->memory) fetched_out.add(fetched->id, fetched->offset, fetched->size);
        fetched_out.finish();
        return n;
    };
    if (fetch && fetch->active) {
        if (fetch->memory) {
            if (auto m = s.memories().find(fetch->memory)) {
                std::unique_lock<std::mutex> lock(m->mu);
                // Freed meanwhile: the client forgets the range with the memory.
                if (!m->freed) diff_range(s, *m, lock, fetch->id, fetch->offset, fetch->size, runs);
            }
        }
        return finish(fetch);
    }
    if (first_map) {
        auto m = s.memories().find(first_map);
        uint64_t id = s.objects().find_id(VK_OBJECT_TYPE_DEVICE_MEMORY, reinterpret_cast<uint64_t>(first_map));
        if (m && id) {
            std::unique_lock<std::mutex> lock(m->mu);
            if (m->freed) return finish(nullptr);
            // Taken whole first: the lock is let go while parts are sent.
            std::map<uint64_t, uint64_t> unsent = std::move(m->unsent);
            m->unsent.clear();
            m->client_mapped = true;
            for (auto& [begin, end] : unsent)
                if (!send(*m, lock, id, begin, end - begin)) break;
        }
        return finish(nullptr);
    }
    std::vector<MemoryRange> candidates;
    s.gpu_writes().collect(candidates);
    for (const MemoryRange& c : candidates) {
        auto m = s.memories().find(c.memory);
        if (!m) continue;
        uint64_t id = s.objects().find_id(VK_OBJECT_TYPE_DEVICE_MEMORY, reinterpret_cast<uint64_t>(c.memory));
        if (!id) continue;
        std::unique_lock<std::mutex> lock(m->mu);
        if (m->freed || c.offset >= m->size) continue;
        uint64_t size = std::min<uint64_t>(c.size, m->size - c.offset);
        if (m->client_mapped)
            send(*m, lock, id, c.offset, size);
        else
            add_unsent(*m, c.offset, size);
    }
    uint32_t n = finish(nullptr);
    LOG_DEBUG("memory", "session %llu: %u changed runs and %zu stale ranges in %zu candidate ranges",
              (unsigned long long)s.number(), n, stale.size(), candidates.size());
    return n;
}

}  // namespace anarchy::server
