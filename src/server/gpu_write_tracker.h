// What submitted GPU work may write in host-visible memory: the candidates the server compares against the
// client's copy at each synchronisation, instead of every mapped byte.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <set>
#include <vector>

#include <vulkan/vulkan_core.h>

#include "server/device_tables.h"

namespace anarchy::server {

/// A byte range of one allocation.
struct MemoryRange {
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkDeviceSize offset = 0;
    VkDeviceSize size = 0;
    bool operator==(const MemoryRange& o) const { return memory == o.memory && offset == o.offset && size == o.size; }
};

/// Follows buffers, images, views, descriptor sets and command buffers far enough to know, for each
/// submission, which host-visible ranges its GPU work can write; keeps those ranges until a synchronisation
/// after the work has completed. All handles are the host driver's. Thread-safe: one mutex guards everything
/// (hooks run on the session thread, collect() also on waiter threads).
///
/// Conservative where precision would cost much: images bound to host-visible memory (linear images) are
/// candidates whole whenever a submission on their device carries command buffers; buffers with
/// SHADER_DEVICE_ADDRESS usage in host-visible memory whenever a submitted command buffer binds a pipeline;
/// image-to-buffer copies and query-result copies write from their offset to the end of the buffer.
class GpuWriteTracker {
public:
    /// vk is read at each call (the session loads it after construction). tracking=false is the escape hatch:
    /// collect() then answers every host-visible allocation whole and nothing is recorded per submission.
    explicit GpuWriteTracker(const DeviceTables& devices, bool tracking = tracking_from_environment());
    ~GpuWriteTracker();
    GpuWriteTracker(const GpuWriteTracker&) = delete;
    GpuWriteTracker& operator=(const GpuWriteTracker&) = delete;

    /// False when ANARCHY_GPU_WRITE_TRACKING=0.
    static bool tracking_from_environment();
    bool tracking() const { return tracking_; }

    // ---- memory ----
    void on_host_visible_memory(VkDeviceMemory memory, VkDeviceSize size);
    void on_free_memory(VkDeviceMemory memory);
    bool is_host_visible(VkDeviceMemory memory) const;

    // ---- resources ----
    void on_create_buffer(VkDevice device, VkBuffer buffer, VkDeviceSize size, VkBufferUsageFlags usage);
    void on_bind_buffer(VkBuffer buffer, VkDeviceMemory memory, VkDeviceSize offset);
    void on_destroy_buffer(VkBuffer buffer);
    /// size: the image's memory requirement (UINT64_MAX: to the end of the allocation).
    /// Only linear images count: the host cannot make sense of an optimal image's bytes, so whatever the GPU
    /// writes into one is never worth sending (on lavapipe every image lives in host-visible memory).
    void on_create_linear_image(VkImage image);
    void on_bind_image(VkDevice device, VkImage image, VkDeviceMemory memory, VkDeviceSize offset, VkDeviceSize size);
    void on_destroy_image(VkImage image);
    void on_create_buffer_view(VkBufferView view, VkBuffer buffer, VkDeviceSize offset, VkDeviceSize range);
    void on_destroy_buffer_view(VkBufferView view);

    // ---- descriptors ----
    void on_create_set_layout(VkDescriptorSetLayout layout, const VkDescriptorSetLayoutCreateInfo& info);
    void on_destroy_set_layout(VkDescriptorSetLayout layout);
    void on_allocate_sets(VkDescriptorPool pool, const VkDescriptorSetLayout* layouts, const VkDescriptorSet* sets,
                          uint32_t count);
    void on_free_sets(const VkDescriptorSet* sets, uint32_t count);
    /// Reset or destruction of a pool: its sets are gone.
    void on_reset_descriptor_pool(VkDescriptorPool pool);
    void on_update_sets(uint32_t write_count, const VkWriteDescriptorSet* writes, uint32_t copy_count,
                        const VkCopyDescriptorSet* copies);

    // ---- command buffers ----
    /// Begin, reset, or reset of its pool: the recording is gone.
    void on_reset_command_buffer(VkCommandBuffer cb);
    void on_free_command_buffer(VkCommandBuffer cb);
    /// A transfer or fixed-function write into [offset, offset+size) of a buffer (VK_WHOLE_SIZE: to its end).
    void cmd_write_buffer(VkCommandBuffer cb, VkBuffer buffer, VkDeviceSize offset, VkDeviceSize size);
    void cmd_bind_pipeline(VkCommandBuffer cb);
    void cmd_bind_sets(VkCommandBuffer cb, uint32_t set_count, const VkDescriptorSet* sets, uint32_t dynamic_count,
                       const uint32_t* dynamic_offsets);
    void cmd_push_descriptors(VkCommandBuffer cb, uint32_t write_count, const VkWriteDescriptorSet* writes);
    void cmd_execute_commands(VkCommandBuffer cb, uint32_t count, const VkCommandBuffer* secondaries);

    // ---- submission and synchronisation ----
    /// After a successful submission of these command buffers to queue (of device): when they may write
    /// host-visible memory, submits an empty batch with a pooled fence and keeps the ranges in flight.
    void on_submit(VkDevice device, VkQueue queue, const std::vector<VkCommandBuffer>& command_buffers);
    /// At a synchronisation reply: the merged candidates of every in-flight submission (complete or not);
    /// submissions seen complete before the answer are then retired. Sorted by memory, then offset.
    void collect(std::vector<MemoryRange>& out);
    /// Waits for the device's in-flight submissions and destroys its pooled fences (before vkDestroyDevice).
    void on_destroy_device(VkDevice device);
    /// on_destroy_device for every device (session end).
    void release_all();

    /// For tests: submissions in flight (fence not yet seen signaled).
    size_t in_flight() const;

private:
    struct HostMemory {
        VkDeviceSize size = 0;
    };
    struct Buffer {
        VkDevice device = VK_NULL_HANDLE;
        VkDeviceSize size = 0;
        VkBufferUsageFlags usage = 0;
        VkDeviceMemory memory = VK_NULL_HANDLE;
        VkDeviceSize offset = 0;
    };
    struct ImageBinding {
        VkDevice device = VK_NULL_HANDLE;
        VkDeviceMemory memory = VK_NULL_HANDLE;
        VkDeviceSize offset = 0;
        VkDeviceSize size = 0;
    };
    struct BufferView {
        VkBuffer buffer = VK_NULL_HANDLE;
        VkDeviceSize offset = 0;
        VkDeviceSize range = 0;
    };
    /// One binding of a set layout, laid out flat: descriptor (binding, element) is slot start + element.
    struct LayoutBinding {
        uint32_t binding = 0;
        VkDescriptorType type = VK_DESCRIPTOR_TYPE_SAMPLER;
        uint32_t count = 0;
        uint64_t start = 0;
    };
    using Layout = std::vector<LayoutBinding>;  // sorted by binding
    /// A writable buffer range a descriptor holds.
    struct Slot {
        VkDescriptorType type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        VkBuffer buffer = VK_NULL_HANDLE;
        VkDeviceSize offset = 0;
        VkDeviceSize range = 0;
    };
    struct DescriptorSet {
        VkDescriptorPool pool = VK_NULL_HANDLE;
        std::shared_ptr<const Layout> layout;
        std::map<uint64_t, Slot> slots;  ///< by flat index; only writable descriptors
    };
    struct Recording {
        std::vector<MemoryRange> ranges;  ///< translated when recorded (direct writes, push descriptors, dynamic)
        std::unordered_set<VkDescriptorSet> sets;  ///< resolved at submission: sets may change after binding
        std::vector<VkCommandBuffer> secondaries;
        bool shader_work = false;
    };
    struct InFlight {
        VkDevice device = VK_NULL_HANDLE;
        VkFence fence = VK_NULL_HANDLE;
        std::vector<MemoryRange> ranges;
    };

    bool translate(VkBuffer buffer, VkDeviceSize offset, VkDeviceSize size, MemoryRange& out) const;
    void add_range(std::vector<MemoryRange>& to, const MemoryRange& r) const;
    void add_buffer_write(std::vector<MemoryRange>& to, VkBuffer buffer, VkDeviceSize offset, VkDeviceSize size) const;
    void add_descriptor_writes(std::vector<MemoryRange>& to, const VkWriteDescriptorSet& w) const;
    const LayoutBinding* find_binding(const Layout& layout, uint32_t binding) const;
    uint64_t slot_count(const Layout& layout) const;
    void resolve(VkCommandBuffer cb, std::vector<MemoryRange>& out, bool& shader_work,
                 std::unordered_set<VkCommandBuffer>& visited, int depth) const;
    void write_slots(DescriptorSet& set, uint64_t first, uint64_t count, const VkWriteDescriptorSet& w);
    VkFence acquire_fence(VkDevice device);
    void release_fence(VkDevice device, VkFence fence);
    void poll_locked();
    void destroy_device_locked(VkDevice device);
    /// Sorts and merges overlapping or adjacent ranges of the same memory; drops empty ones.
    static void normalize(std::vector<MemoryRange>& ranges);

    const DeviceTables& devices_;
    const bool tracking_;
    mutable std::mutex mu_;  ///< guards everything below
    std::set<VkImage> linear_images_;  ///< guarded by mu_
    std::unordered_map<VkDeviceMemory, HostMemory> host_memory_;
    std::unordered_map<VkBuffer, Buffer> buffers_;
    std::unordered_set<VkBuffer> address_buffers_;  ///< buffers_ with SHADER_DEVICE_ADDRESS usage
    std::unordered_map<VkImage, std::vector<ImageBinding>> host_images_;  ///< only bindings in host-visible memory
    std::unordered_map<VkBufferView, BufferView> views_;
    std::unordered_map<VkDescriptorSetLayout, std::shared_ptr<const Layout>> layouts_;
    std::unordered_map<VkDescriptorSet, DescriptorSet> sets_;
    std::unordered_map<VkCommandBuffer, Recording> recordings_;
    std::vector<InFlight> in_flight_;
    std::vector<MemoryRange> completed_;  ///< of submissions seen complete by a submission-time poll, not yet collected
    std::map<VkDevice, std::vector<VkFence>> fence_pool_;  ///< unsignaled fences ready for reuse
};

}  // namespace anarchy::server
