#include "server/gpu_write_tracker.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/log.h"

namespace anarchy::server {
namespace {

/// Recordings longer than this are merged as they grow (a loop of small copies into one staging buffer).
constexpr size_t kCompactAt = 4096;
/// How deep vkCmdExecuteCommands may nest (nested command buffers); deeper levels are not followed.
constexpr int kMaxNesting = 8;
/// How long releasing a device waits for its in-flight submissions (the device is idle by then normally).
constexpr uint64_t kReleaseWaitNs = 5'000'000'000ull;

bool is_dynamic(VkDescriptorType t) {
    return t == VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER_DYNAMIC || t == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC;
}

bool writes_buffer(VkDescriptorType t) {
    return t == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER || t == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC ||
           t == VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER;
}

/// Descriptor counts of these types are byte sizes: they hold no writable resource and never roll over.
bool is_inline(VkDescriptorType t) { return t == VK_DESCRIPTOR_TYPE_INLINE_UNIFORM_BLOCK; }

}  // namespace

GpuWriteTracker::GpuWriteTracker(const DeviceTables& devices, bool tracking) : devices_(devices), tracking_(tracking) {
    if (!tracking_) LOG_INFO("GPU write tracking is off (ANARCHY_GPU_WRITE_TRACKING=0): every host-visible allocation is a candidate");
}

GpuWriteTracker::~GpuWriteTracker() = default;

bool GpuWriteTracker::tracking_from_environment() {
    const char* v = std::getenv("ANARCHY_GPU_WRITE_TRACKING");
    return !(v && std::strcmp(v, "0") == 0);
}

// ---- memory ----

void GpuWriteTracker::on_host_visible_memory(VkDeviceMemory memory, VkDeviceSize size) {
    std::lock_guard<std::mutex> lock(mu_);
    host_memory_[memory] = HostMemory{size};
}

void GpuWriteTracker::on_free_memory(VkDeviceMemory memory) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!host_memory_.erase(memory)) return;
    auto drop = [memory](std::vector<MemoryRange>& v) {
        v.erase(std::remove_if(v.begin(), v.end(), [memory](const MemoryRange& r) { return r.memory == memory; }), v.end());
    };
    drop(completed_);
    for (auto& f : in_flight_) drop(f.ranges);
    // Bindings into the freed memory would name a reused handle later.
    for (auto it = host_images_.begin(); it != host_images_.end();) {
        auto& list = it->second;
        list.erase(std::remove_if(list.begin(), list.end(), [memory](const ImageBinding& b) { return b.memory == memory; }),
                   list.end());
        it = list.empty() ? host_images_.erase(it) : std::next(it);
    }
    for (auto& [handle, b] : buffers_)
        if (b.memory == memory) b.memory = VK_NULL_HANDLE;
}

bool GpuWriteTracker::is_host_visible(VkDeviceMemory memory) const {
    std::lock_guard<std::mutex> lock(mu_);
    return host_memory_.count(memory) != 0;
}

// ---- resources ----

void GpuWriteTracker::on_create_buffer(VkDevice device, VkBuffer buffer, VkDeviceSize size, VkBufferUsageFlags usage) {
    if (!tracking_) return;
    std::lock_guard<std::mutex> lock(mu_);
    Buffer b;
    b.device = device;
    b.size = size;
    b.usage = usage;
    buffers_[buffer] = b;
    if (usage & VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT)
        address_buffers_.insert(buffer);
    else
        address_buffers_.erase(buffer);
}

void GpuWriteTracker::on_bind_buffer(VkBuffer buffer, VkDeviceMemory memory, VkDeviceSize offset) {
    if (!tracking_) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = buffers_.find(buffer);
    if (it == buffers_.end()) return;
    it->second.memory = memory;
    it->second.offset = offset;
}

void GpuWriteTracker::on_destroy_buffer(VkBuffer buffer) {
    std::lock_guard<std::mutex> lock(mu_);
    buffers_.erase(buffer);
    address_buffers_.erase(buffer);
}

void GpuWriteTracker::on_bind_image(VkDevice device, VkImage image, VkDeviceMemory memory, VkDeviceSize offset,
                                    VkDeviceSize size) {
    if (!tracking_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (!host_memory_.count(memory) || !linear_images_.count(image)) return;
    host_images_[image].push_back(ImageBinding{device, memory, offset, size});
}

void GpuWriteTracker::on_create_linear_image(VkImage image) {
    if (!tracking_) return;
    std::lock_guard<std::mutex> lock(mu_);
    linear_images_.insert(image);
}

void GpuWriteTracker::on_destroy_image(VkImage image) {
    std::lock_guard<std::mutex> lock(mu_);
    host_images_.erase(image);
    linear_images_.erase(image);
}

void GpuWriteTracker::on_create_buffer_view(VkBufferView view, VkBuffer buffer, VkDeviceSize offset, VkDeviceSize range) {
    if (!tracking_) return;
    std::lock_guard<std::mutex> lock(mu_);
    views_[view] = BufferView{buffer, offset, range};
}

void GpuWriteTracker::on_destroy_buffer_view(VkBufferView view) {
    std::lock_guard<std::mutex> lock(mu_);
    views_.erase(view);
}

// ---- descriptors ----

void GpuWriteTracker::on_create_set_layout(VkDescriptorSetLayout layout, const VkDescriptorSetLayoutCreateInfo& info) {
    if (!tracking_) return;
    auto l = std::make_shared<Layout>();
    for (uint32_t i = 0; info.pBindings && i < info.bindingCount; ++i) {
        const auto& b = info.pBindings[i];
        l->push_back(LayoutBinding{b.binding, b.descriptorType, b.descriptorCount, 0});
    }
    std::sort(l->begin(), l->end(), [](const LayoutBinding& a, const LayoutBinding& b) { return a.binding < b.binding; });
    uint64_t start = 0;  // at most 2^32 bindings of at most 2^32 descriptors: no overflow in 64 bits
    for (auto& b : *l) {
        b.start = start;
        start += b.count;
    }
    std::lock_guard<std::mutex> lock(mu_);
    layouts_[layout] = std::move(l);
}

void GpuWriteTracker::on_destroy_set_layout(VkDescriptorSetLayout layout) {
    std::lock_guard<std::mutex> lock(mu_);
    layouts_.erase(layout);  // sets allocated from it keep their shared copy
}

void GpuWriteTracker::on_allocate_sets(VkDescriptorPool pool, const VkDescriptorSetLayout* layouts,
                                       const VkDescriptorSet* sets, uint32_t count) {
    if (!tracking_ || !layouts || !sets) return;
    std::lock_guard<std::mutex> lock(mu_);
    for (uint32_t i = 0; i < count; ++i) {
        auto l = layouts_.find(layouts[i]);
        DescriptorSet s;
        s.pool = pool;
        s.layout = l != layouts_.end() ? l->second : std::make_shared<const Layout>();
        sets_[sets[i]] = std::move(s);
    }
}

void GpuWriteTracker::on_free_sets(const VkDescriptorSet* sets, uint32_t count) {
    std::lock_guard<std::mutex> lock(mu_);
    for (uint32_t i = 0; sets && i < count; ++i) sets_.erase(sets[i]);
}

void GpuWriteTracker::on_reset_descriptor_pool(VkDescriptorPool pool) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = sets_.begin(); it != sets_.end();) it = it->second.pool == pool ? sets_.erase(it) : std::next(it);
}

const GpuWriteTracker::LayoutBinding* GpuWriteTracker::find_binding(const Layout& layout, uint32_t binding) const {
    auto it = std::lower_bound(layout.begin(), layout.end(), binding,
                               [](const LayoutBinding& b, uint32_t n) { return b.binding < n; });
    return it != layout.end() && it->binding == binding ? &*it : nullptr;
}

uint64_t GpuWriteTracker::slot_count(const Layout& layout) const {
    return layout.empty() ? 0 : layout.back().start + layout.back().count;
}

void GpuWriteTracker::write_slots(DescriptorSet& set, uint64_t first, uint64_t count, const VkWriteDescriptorSet& w) {
    // Descriptors past the dstBinding's end continue in the following bindings: slots are laid out flat.
    for (uint64_t i = 0; i < count; ++i) {
        uint64_t index = first + i;
        Slot slot;
        slot.type = w.descriptorType;
        bool keep = false;
        if (w.descriptorType == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER ||
            w.descriptorType == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC) {
            if (w.pBufferInfo && w.pBufferInfo[i].buffer) {
                slot.buffer = w.pBufferInfo[i].buffer;
                slot.offset = w.pBufferInfo[i].offset;
                slot.range = w.pBufferInfo[i].range;
                keep = true;
            }
        } else if (w.descriptorType == VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER) {
            if (w.pTexelBufferView && w.pTexelBufferView[i]) {
                auto v = views_.find(w.pTexelBufferView[i]);
                if (v != views_.end()) {
                    slot.buffer = v->second.buffer;
                    slot.offset = v->second.offset;
                    slot.range = v->second.range;
                    keep = true;
                }
            }
        }
        // Storage images need nothing here: images in host-visible memory are candidates at every submission.
        if (keep)
            set.slots[index] = slot;
        else
            set.slots.erase(index);
    }
}

void GpuWriteTracker::on_update_sets(uint32_t write_count, const VkWriteDescriptorSet* writes, uint32_t copy_count,
                                     const VkCopyDescriptorSet* copies) {
    if (!tracking_) return;
    std::lock_guard<std::mutex> lock(mu_);
    for (uint32_t i = 0; writes && i < write_count; ++i) {
        const auto& w = writes[i];
        if (is_inline(w.descriptorType)) continue;
        auto s = sets_.find(w.dstSet);
        if (s == sets_.end()) continue;
        const LayoutBinding* b = find_binding(*s->second.layout, w.dstBinding);
        if (!b) continue;
        uint64_t first = b->start + w.dstArrayElement;
        uint64_t total = slot_count(*s->second.layout);
        if (first >= total) continue;
        write_slots(s->second, first, std::min<uint64_t>(w.descriptorCount, total - first), w);
    }
    for (uint32_t i = 0; copies && i < copy_count; ++i) {
        const auto& c = copies[i];
        auto src = sets_.find(c.srcSet);
        auto dst = sets_.find(c.dstSet);
        if (src == sets_.end() || dst == sets_.end()) continue;
        const LayoutBinding* sb = find_binding(*src->second.layout, c.srcBinding);
        const LayoutBinding* db = find_binding(*dst->second.layout, c.dstBinding);
        if (!sb || !db || is_inline(sb->type) || is_inline(db->type)) continue;
        uint64_t s_first = sb->start + c.srcArrayElement, d_first = db->start + c.dstArrayElement;
        uint64_t s_total = slot_count(*src->second.layout), d_total = slot_count(*dst->second.layout);
        if (s_first >= s_total || d_first >= d_total) continue;
        uint64_t n = std::min<uint64_t>({c.descriptorCount, s_total - s_first, d_total - d_first});
        // Read every source slot before writing: source and destination may be the same set and overlap.
        std::vector<std::pair<bool, Slot>> moved(n);
        for (uint64_t k = 0; k < n; ++k) {
            auto it = src->second.slots.find(s_first + k);
            if (it != src->second.slots.end()) moved[k] = {true, it->second};
        }
        for (uint64_t k = 0; k < n; ++k) {
            if (moved[k].first)
                dst->second.slots[d_first + k] = moved[k].second;
            else
                dst->second.slots.erase(d_first + k);
        }
    }
}

// ---- command buffers ----

void GpuWriteTracker::on_reset_command_buffer(VkCommandBuffer cb) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = recordings_.find(cb);
    if (it != recordings_.end()) it->second = Recording{};
}

void GpuWriteTracker::on_free_command_buffer(VkCommandBuffer cb) {
    std::lock_guard<std::mutex> lock(mu_);
    recordings_.erase(cb);
}

bool GpuWriteTracker::translate(VkBuffer buffer, VkDeviceSize offset, VkDeviceSize size, MemoryRange& out) const {
    auto it = buffers_.find(buffer);
    if (it == buffers_.end()) return false;
    const Buffer& b = it->second;
    if (!b.memory || offset >= b.size || size == 0) return false;
    auto m = host_memory_.find(b.memory);
    if (m == host_memory_.end()) return false;
    VkDeviceSize left = b.size - offset;
    VkDeviceSize len = (size == VK_WHOLE_SIZE || size > left) ? left : size;
    // The binding itself may be untrusted: clamp to the allocation without overflowing.
    if (b.offset >= m->second.size || offset > m->second.size - b.offset) return false;
    VkDeviceSize start = b.offset + offset;
    len = std::min(len, m->second.size - start);
    if (len == 0) return false;
    out = MemoryRange{b.memory, start, len};
    return true;
}

void GpuWriteTracker::add_range(std::vector<MemoryRange>& to, const MemoryRange& r) const {
    to.push_back(r);
    if (to.size() >= kCompactAt && (to.size() & (to.size() - 1)) == 0) normalize(to);
}

void GpuWriteTracker::add_buffer_write(std::vector<MemoryRange>& to, VkBuffer buffer, VkDeviceSize offset,
                                       VkDeviceSize size) const {
    MemoryRange r;
    if (translate(buffer, offset, size, r)) add_range(to, r);
}

void GpuWriteTracker::add_descriptor_writes(std::vector<MemoryRange>& to, const VkWriteDescriptorSet& w) const {
    for (uint32_t i = 0; i < w.descriptorCount; ++i) {
        if (w.descriptorType == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER ||
            w.descriptorType == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC) {
            if (w.pBufferInfo) add_buffer_write(to, w.pBufferInfo[i].buffer, w.pBufferInfo[i].offset, w.pBufferInfo[i].range);
        } else if (w.descriptorType == VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER) {
            if (!w.pTexelBufferView) continue;
            auto v = views_.find(w.pTexelBufferView[i]);
            if (v != views_.end()) add_buffer_write(to, v->second.buffer, v->second.offset, v->second.range);
        }
    }
}

void GpuWriteTracker::cmd_write_buffer(VkCommandBuffer cb, VkBuffer buffer, VkDeviceSize offset, VkDeviceSize size) {
    if (!tracking_) return;
    std::lock_guard<std::mutex> lock(mu_);
    add_buffer_write(recordings_[cb].ranges, buffer, offset, size);
}

void GpuWriteTracker::cmd_bind_pipeline(VkCommandBuffer cb) {
    if (!tracking_) return;
    std::lock_guard<std::mutex> lock(mu_);
    recordings_[cb].shader_work = true;
}

void GpuWriteTracker::cmd_bind_sets(VkCommandBuffer cb, uint32_t set_count, const VkDescriptorSet* sets,
                                    uint32_t dynamic_count, const uint32_t* dynamic_offsets) {
    if (!tracking_ || !sets) return;
    std::lock_guard<std::mutex> lock(mu_);
    Recording& rec = recordings_[cb];
    uint32_t next_dynamic = 0;
    for (uint32_t i = 0; i < set_count; ++i) {
        if (!sets[i]) continue;
        rec.sets.insert(sets[i]);
        auto s = sets_.find(sets[i]);
        if (s == sets_.end()) continue;
        // Dynamic descriptors cannot be updated after binding: apply their offsets now, in binding order.
        for (const auto& b : *s->second.layout) {
            if (!is_dynamic(b.type)) continue;
            for (uint32_t e = 0; e < b.count; ++e) {
                bool have_offset = dynamic_offsets && next_dynamic < dynamic_count;
                uint32_t dyn = have_offset ? dynamic_offsets[next_dynamic] : 0;
                ++next_dynamic;
                if (b.type != VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC) continue;
                auto slot = s->second.slots.find(b.start + e);
                if (slot == s->second.slots.end() || slot->second.type != VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC) continue;
                const Slot& d = slot->second;
                if (!have_offset) {
                    // Too few offsets (invalid use): anything from the descriptor's offset on.
                    add_buffer_write(rec.ranges, d.buffer, d.offset, VK_WHOLE_SIZE);
                } else if (d.offset <= UINT64_MAX - dyn) {
                    add_buffer_write(rec.ranges, d.buffer, d.offset + dyn, d.range);
                }
            }
        }
    }
}

void GpuWriteTracker::cmd_push_descriptors(VkCommandBuffer cb, uint32_t write_count, const VkWriteDescriptorSet* writes) {
    if (!tracking_ || !writes) return;
    std::lock_guard<std::mutex> lock(mu_);
    Recording& rec = recordings_[cb];
    for (uint32_t i = 0; i < write_count; ++i) add_descriptor_writes(rec.ranges, writes[i]);
}

void GpuWriteTracker::cmd_execute_commands(VkCommandBuffer cb, uint32_t count, const VkCommandBuffer* secondaries) {
    if (!tracking_ || !secondaries) return;
    std::lock_guard<std::mutex> lock(mu_);
    Recording& rec = recordings_[cb];
    for (uint32_t i = 0; i < count; ++i)
        if (secondaries[i]) rec.secondaries.push_back(secondaries[i]);
}

// ---- submission ----

void GpuWriteTracker::resolve(VkCommandBuffer cb, std::vector<MemoryRange>& out, bool& shader_work,
                              std::unordered_set<VkCommandBuffer>& visited, int depth) const {
    if (depth > kMaxNesting || !visited.insert(cb).second) return;
    auto it = recordings_.find(cb);
    if (it == recordings_.end()) return;
    const Recording& rec = it->second;
    shader_work = shader_work || rec.shader_work;
    // Direct ranges were translated when recorded; their memory may have been freed since.
    for (const auto& r : rec.ranges)
        if (host_memory_.count(r.memory)) out.push_back(r);
    for (VkDescriptorSet set : rec.sets) {
        auto s = sets_.find(set);
        if (s == sets_.end()) continue;
        for (const auto& [index, slot] : s->second.slots)
            if (!is_dynamic(slot.type) && writes_buffer(slot.type)) add_buffer_write(out, slot.buffer, slot.offset, slot.range);
    }
    for (VkCommandBuffer sec : rec.secondaries) resolve(sec, out, shader_work, visited, depth + 1);
}

void GpuWriteTracker::on_submit(VkDevice device, VkQueue queue, const std::vector<VkCommandBuffer>& command_buffers) {
    if (!tracking_ || command_buffers.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    poll_locked();
    std::vector<MemoryRange> ranges;
    bool shader_work = false;
    std::unordered_set<VkCommandBuffer> visited;
    for (VkCommandBuffer cb : command_buffers) resolve(cb, ranges, shader_work, visited, 0);
    for (const auto& [image, bindings] : host_images_)
        for (const auto& b : bindings)
            if (b.device == device) {
                auto m = host_memory_.find(b.memory);
                if (m == host_memory_.end() || b.offset >= m->second.size) continue;
                ranges.push_back(MemoryRange{b.memory, b.offset, std::min(b.size, m->second.size - b.offset)});
            }
    if (shader_work)
        for (VkBuffer handle : address_buffers_) {
            auto b = buffers_.find(handle);
            if (b != buffers_.end() && b->second.device == device) add_buffer_write(ranges, handle, 0, VK_WHOLE_SIZE);
        }
    normalize(ranges);
    if (ranges.empty()) return;
    VkFence fence = device ? acquire_fence(device) : VK_NULL_HANDLE;
    VkResult r = fence ? devices_.of(queue).QueueSubmit(queue, 0, nullptr, fence) : VK_ERROR_OUT_OF_HOST_MEMORY;
    if (r != VK_SUCCESS) {
        // Without a fence the ranges never retire on their own: keep them as complete, so the next
        // synchronisation compares them once (later synchronisations miss only what completes after it).
        LOG_WARN("GPU write tracking: no fence for a submission (VkResult %d); its candidates are kept once", r);
        if (fence) release_fence(device, fence);
        completed_.insert(completed_.end(), ranges.begin(), ranges.end());
        normalize(completed_);
        return;
    }
    in_flight_.push_back(InFlight{device, fence, std::move(ranges)});
}

VkFence GpuWriteTracker::acquire_fence(VkDevice device) {
    auto& pool = fence_pool_[device];
    if (!pool.empty()) {
        VkFence f = pool.back();
        pool.pop_back();
        return f;
    }
    if (!devices_.of(device).CreateFence) return VK_NULL_HANDLE;
    VkFenceCreateInfo ci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, nullptr, 0};
    VkFence f = VK_NULL_HANDLE;
    if (devices_.of(device).CreateFence(device, &ci, nullptr, &f) != VK_SUCCESS) return VK_NULL_HANDLE;
    return f;
}

void GpuWriteTracker::release_fence(VkDevice device, VkFence fence) {
    if (devices_.of(device).ResetFences(device, 1, &fence) == VK_SUCCESS)
        fence_pool_[device].push_back(fence);
    else
        devices_.of(device).DestroyFence(device, fence, nullptr);
}

void GpuWriteTracker::poll_locked() {
    // Complete submissions give their fence back now; their ranges wait for the next collect().
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
        if (devices_.of(it->device).GetFenceStatus(it->device, it->fence) == VK_SUCCESS) {
            completed_.insert(completed_.end(), it->ranges.begin(), it->ranges.end());
            release_fence(it->device, it->fence);
            it = in_flight_.erase(it);
        } else {
            ++it;
        }
    }
    normalize(completed_);
}

void GpuWriteTracker::collect(std::vector<MemoryRange>& out) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t first = out.size();
    if (!tracking_) {
        for (const auto& [memory, m] : host_memory_)
            if (m.size) out.push_back(MemoryRange{memory, 0, m.size});
        std::sort(out.begin() + first, out.end(), [](const MemoryRange& a, const MemoryRange& b) {
            return a.memory < b.memory;
        });
        return;
    }
    // Which submissions were complete before the caller compares: those need no later comparison.
    std::vector<bool> done(in_flight_.size());
    for (size_t i = 0; i < in_flight_.size(); ++i)
        done[i] = devices_.of(in_flight_[i].device).GetFenceStatus(in_flight_[i].device, in_flight_[i].fence) == VK_SUCCESS;
    std::vector<MemoryRange> all = std::move(completed_);
    completed_.clear();
    for (const auto& f : in_flight_) all.insert(all.end(), f.ranges.begin(), f.ranges.end());
    normalize(all);
    out.insert(out.end(), all.begin(), all.end());
    std::vector<InFlight> still;
    for (size_t i = 0; i < in_flight_.size(); ++i) {
        if (done[i])
            release_fence(in_flight_[i].device, in_flight_[i].fence);
        else
            still.push_back(std::move(in_flight_[i]));
    }
    in_flight_ = std::move(still);
}

void GpuWriteTracker::destroy_device_locked(VkDevice device) {
    std::vector<VkFence> waiting;
    for (const auto& f : in_flight_)
        if (f.device == device) waiting.push_back(f.fence);
    if (!waiting.empty() && devices_.of(device).WaitForFences)
        devices_.of(device).WaitForFences(device, uint32_t(waiting.size()), waiting.data(), VK_TRUE, kReleaseWaitNs);
    in_flight_.erase(std::remove_if(in_flight_.begin(), in_flight_.end(),
                                    [device](const InFlight& f) { return f.device == device; }),
                     in_flight_.end());
    if (devices_.of(device).DestroyFence) {
        for (VkFence f : waiting) devices_.of(device).DestroyFence(device, f, nullptr);
        auto pool = fence_pool_.find(device);
        if (pool != fence_pool_.end())
            for (VkFence f : pool->second) devices_.of(device).DestroyFence(device, f, nullptr);
    }
    fence_pool_.erase(device);
    for (auto it = buffers_.begin(); it != buffers_.end();) {
        if (it->second.device != device) {
            ++it;
            continue;
        }
        address_buffers_.erase(it->first);
        it = buffers_.erase(it);
    }
    for (auto it = host_images_.begin(); it != host_images_.end();) {
        auto& list = it->second;
        list.erase(std::remove_if(list.begin(), list.end(), [device](const ImageBinding& b) { return b.device == device; }),
                   list.end());
        it = list.empty() ? host_images_.erase(it) : std::next(it);
    }
}

void GpuWriteTracker::on_destroy_device(VkDevice device) {
    std::lock_guard<std::mutex> lock(mu_);
    destroy_device_locked(device);
}

void GpuWriteTracker::release_all() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<VkDevice> devices;
    for (const auto& f : in_flight_) devices.push_back(f.device);
    for (const auto& [device, pool] : fence_pool_) devices.push_back(device);
    std::sort(devices.begin(), devices.end());
    devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
    for (VkDevice d : devices) destroy_device_locked(d);
    completed_.clear();
}

size_t GpuWriteTracker::in_flight() const {
    std::lock_guard<std::mutex> lock(mu_);
    return in_flight_.size();
}

void GpuWriteTracker::normalize(std::vector<MemoryRange>& ranges) {
    ranges.erase(std::remove_if(ranges.begin(), ranges.end(), [](const MemoryRange& r) { return r.size == 0; }),
                 ranges.end());
    std::sort(ranges.begin(), ranges.end(), [](const MemoryRange& a, const MemoryRange& b) {
        return a.memory != b.memory ? a.memory < b.memory : a.offset < b.offset;
    });
    size_t w = 0;
    for (size_t i = 0; i < ranges.size(); ++i) {
        if (w > 0 && ranges[w - 1].memory == ranges[i].memory &&
            ranges[i].offset <= ranges[w - 1].offset + ranges[w - 1].size) {
            // Ranges are clamped to their allocation, so end never overflows.
            VkDeviceSize end = std::max(ranges[w - 1].offset + ranges[w - 1].size, ranges[i].offset + ranges[i].size);
            ranges[w - 1].size = end - ranges[w - 1].offset;
        } else {
            ranges[w++] = ranges[i];
        }
    }
    ranges.resize(w);
}

}  // namespace anarchy::server
