// GpuWriteTracker: which host-visible ranges a submission makes candidates, and when they retire. The fences
// are fakes whose signaling the test controls, so "complete" and "incomplete" are deterministic.
#include "server/gpu_write_tracker.h"

#include <cstdlib>
#include <map>
#include <vector>

#include <gtest/gtest.h>

namespace anarchy::server {
namespace {

/// The fake driver: fences are numbers; a fence submitted with an empty batch signals when the test says so.
struct FakeGpu {
    std::map<uint64_t, bool> fences;  ///< live fences: signaled?
    std::vector<uint64_t> submitted;  ///< fences of empty batches, in order
    uint64_t next = 0x1000;
    int created = 0;
    int destroyed = 0;
};
FakeGpu* g_gpu = nullptr;

VKAPI_ATTR VkResult VKAPI_CALL fake_create_fence(VkDevice, const VkFenceCreateInfo*, const VkAllocationCallbacks*, VkFence* f) {
    uint64_t id = g_gpu->next++;
    g_gpu->fences[id] = false;
    ++g_gpu->created;
    *f = reinterpret_cast<VkFence>(id);
    return VK_SUCCESS;
}
VKAPI_ATTR void VKAPI_CALL fake_destroy_fence(VkDevice, VkFence f, const VkAllocationCallbacks*) {
    g_gpu->fences.erase(reinterpret_cast<uint64_t>(f));
    ++g_gpu->destroyed;
}
VKAPI_ATTR VkResult VKAPI_CALL fake_reset_fences(VkDevice, uint32_t n, const VkFence* f) {
    for (uint32_t i = 0; i < n; ++i) g_gpu->fences[reinterpret_cast<uint64_t>(f[i])] = false;
    return VK_SUCCESS;
}
VKAPI_ATTR VkResult VKAPI_CALL fake_fence_status(VkDevice, VkFence f) {
    return g_gpu->fences[reinterpret_cast<uint64_t>(f)] ? VK_SUCCESS : VK_NOT_READY;
}
VKAPI_ATTR VkResult VKAPI_CALL fake_wait(VkDevice, uint32_t n, const VkFence* f, VkBool32, uint64_t) {
    for (uint32_t i = 0; i < n; ++i) g_gpu->fences[reinterpret_cast<uint64_t>(f[i])] = true;
    return VK_SUCCESS;
}
VKAPI_ATTR VkResult VKAPI_CALL fake_submit(VkQueue, uint32_t count, const VkSubmitInfo*, VkFence f) {
    EXPECT_EQ(count, 0u) << "the tracker submits empty batches only";
    g_gpu->submitted.push_back(reinterpret_cast<uint64_t>(f));
    return VK_SUCCESS;
}

template <typename T>
T h(uint64_t v) {
    return reinterpret_cast<T>(v);
}

const VkDevice kDevice = h<VkDevice>(0xd1);
const VkQueue kQueue = h<VkQueue>(0x51);
const VkDeviceMemory kHostMem = h<VkDeviceMemory>(0x100);
const VkDeviceMemory kHostMem2 = h<VkDeviceMemory>(0x101);
const VkDeviceMemory kDeviceMem = h<VkDeviceMemory>(0x200);  // never reported as host-visible
const VkCommandBuffer kCb = h<VkCommandBuffer>(0xc1);
const VkCommandBuffer kSecondary = h<VkCommandBuffer>(0xc2);

class GpuWriteTrackerTest : public ::testing::Test {
protected:
    void SetUp() override {
        g_gpu = &gpu_;
        vk_.CreateFence = fake_create_fence;
        vk_.DestroyFence = fake_destroy_fence;
        vk_.ResetFences = fake_reset_fences;
        vk_.GetFenceStatus = fake_fence_status;
        vk_.WaitForFences = fake_wait;
        vk_.QueueSubmit = fake_submit;
    }
    void TearDown() override { g_gpu = nullptr; }

    /// A tracker with two host-visible allocations of 1 MiB and one device-local allocation.
    std::unique_ptr<GpuWriteTracker> make(bool tracking = true) {
        auto t = std::make_unique<GpuWriteTracker>(devices_, tracking);
        t->on_host_visible_memory(kHostMem, 1 << 20);
        t->on_host_visible_memory(kHostMem2, 1 << 20);
        return t;
    }
    static VkBuffer buffer(GpuWriteTracker& t, uint64_t id, VkDeviceSize size, VkDeviceMemory mem, VkDeviceSize offset,
                           VkBufferUsageFlags usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT) {
        VkBuffer b = h<VkBuffer>(id);
        t.on_create_buffer(kDevice, b, size, usage);
        t.on_bind_buffer(b, mem, offset);
        return b;
    }
    static std::vector<MemoryRange> collect(GpuWriteTracker& t) {
        std::vector<MemoryRange> out;
        t.collect(out);
        return out;
    }
    /// A layout whose binding 0 holds `count` descriptors of `type`, and a set allocated from it.
    static VkDescriptorSet set_of(GpuWriteTracker& t, uint64_t id, VkDescriptorType type, uint32_t count = 1,
                                  VkDescriptorPool pool = h<VkDescriptorPool>(0x9001)) {
        VkDescriptorSetLayoutBinding b{0, type, count, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
        VkDescriptorSetLayoutCreateInfo ci{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO, nullptr, 0, 1, &b};
        VkDescriptorSetLayout layout = h<VkDescriptorSetLayout>(id + 0x10000);
        t.on_create_set_layout(layout, ci);
        VkDescriptorSet set = h<VkDescriptorSet>(id);
        t.on_allocate_sets(pool, &layout, &set, 1);
        return set;
    }
    static void write_buffer(GpuWriteTracker& t, VkDescriptorSet set, VkDescriptorType type, VkBuffer b,
                             VkDeviceSize offset, VkDeviceSize range, uint32_t element = 0) {
        VkDescriptorBufferInfo info{b, offset, range};
        VkWriteDescriptorSet w{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, nullptr, set, 0, element, 1, type, nullptr, &info, nullptr};
        t.on_update_sets(1, &w, 0, nullptr);
    }
    void signal_all() {
        for (auto& [f, s] : gpu_.fences) s = true;
    }

    FakeGpu gpu_;
    DispatchTable vk_{};
    DeviceTables devices_{vk_};  // no device registered: every handle gets vk_
};

TEST_F(GpuWriteTrackerTest, CopyIntoBufferAtOffsetBindingIsExactlyThatRange) {
    auto t = make();
    VkBuffer dst = buffer(*t, 1, 4096, kHostMem, 65536);
    VkBuffer device_local = buffer(*t, 2, 4096, kDeviceMem, 0);
    t->on_reset_command_buffer(kCb);
    t->cmd_write_buffer(kCb, dst, 256, 100);
    t->cmd_write_buffer(kCb, device_local, 0, 4096);  // not host-visible: no candidate
    t->on_submit(kDevice, kQueue, {kCb});
    ASSERT_EQ(gpu_.submitted.size(), 1u);
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 65536 + 256, 100}}));
}

TEST_F(GpuWriteTrackerTest, WholeSizeClampsToTheBufferAndOutOfRangeIsDropped) {
    auto t = make();
    VkBuffer dst = buffer(*t, 1, 1000, kHostMem, 4096);
    t->cmd_write_buffer(kCb, dst, 600, VK_WHOLE_SIZE);
    t->cmd_write_buffer(kCb, dst, 900, 5000);     // past the end: clamped
    t->cmd_write_buffer(kCb, dst, 5000, 10);      // starts past the end: dropped
    t->cmd_write_buffer(kCb, dst, UINT64_MAX - 1, 8);  // overflow attempt: dropped
    VkBuffer huge = buffer(*t, 2, UINT64_MAX, kHostMem2, (1 << 20) - 16);  // binding runs past the allocation
    t->cmd_write_buffer(kCb, huge, 8, VK_WHOLE_SIZE);
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 4096 + 600, 400}, {kHostMem2, (1 << 20) - 8, 8}}));
}

TEST_F(GpuWriteTrackerTest, NothingWritableSubmitsNoFence) {
    auto t = make();
    VkBuffer device_local = buffer(*t, 2, 4096, kDeviceMem, 0);
    t->cmd_write_buffer(kCb, device_local, 0, 4096);
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_TRUE(gpu_.submitted.empty());
    EXPECT_TRUE(collect(*t).empty());
}

TEST_F(GpuWriteTrackerTest, StorageBufferOfASetUpdatedAfterBindIsResolvedAtSubmit) {
    auto t = make();
    VkBuffer b = buffer(*t, 1, 8192, kHostMem, 1024);
    VkDescriptorSet set = set_of(*t, 50, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER);
    t->cmd_bind_sets(kCb, 1, &set, 0, nullptr);
    write_buffer(*t, set, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, b, 512, 256);  // update-after-bind
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 1024 + 512, 256}}));
}

TEST_F(GpuWriteTrackerTest, UniformDescriptorsAndOverwrittenSlotsAreNotCandidates) {
    auto t = make();
    VkBuffer b = buffer(*t, 1, 8192, kHostMem, 0);
    VkDescriptorSet set = set_of(*t, 50, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2);
    write_buffer(*t, set, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, b, 0, 16, 0);
    write_buffer(*t, set, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, b, 4096, VK_WHOLE_SIZE, 1);
    // The first descriptor now holds a uniform buffer (a mutable binding): no longer writable.
    write_buffer(*t, set, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, b, 0, 16, 0);
    t->cmd_bind_sets(kCb, 1, &set, 0, nullptr);
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 4096, 4096}}));
}

TEST_F(GpuWriteTrackerTest, DescriptorCopiesCarryWritableResources) {
    auto t = make();
    VkBuffer b = buffer(*t, 1, 8192, kHostMem, 0);
    VkDescriptorSet src = set_of(*t, 50, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER);
    VkDescriptorSet dst = set_of(*t, 51, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER);
    write_buffer(*t, src, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, b, 128, 64);
    VkCopyDescriptorSet c{VK_STRUCTURE_TYPE_COPY_DESCRIPTOR_SET, nullptr, src, 0, 0, dst, 0, 0, 1};
    t->on_update_sets(0, nullptr, 1, &c);
    t->on_free_sets(&src, 1);
    t->cmd_bind_sets(kCb, 1, &dst, 0, nullptr);
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 128, 64}}));
}

TEST_F(GpuWriteTrackerTest, StorageTexelBufferThroughItsView) {
    auto t = make();
    VkBuffer b = buffer(*t, 1, 8192, kHostMem, 2048);
    VkBufferView view = h<VkBufferView>(0x77);
    t->on_create_buffer_view(view, b, 1024, 512);
    VkDescriptorSet set = set_of(*t, 50, VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER);
    VkWriteDescriptorSet w{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, nullptr, set, 0, 0, 1,
                           VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER, nullptr, nullptr, &view};
    t->on_update_sets(1, &w, 0, nullptr);
    t->cmd_bind_sets(kCb, 1, &set, 0, nullptr);
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 2048 + 1024, 512}}));
}

TEST_F(GpuWriteTrackerTest, DynamicStorageBufferUsesTheDynamicOffsetInBindingOrder) {
    auto t = make();
    VkBuffer b = buffer(*t, 1, 1 << 16, kHostMem, 0);
    // Binding 0: one dynamic uniform buffer; binding 1: one dynamic storage buffer. Offsets go in binding order.
    VkDescriptorSetLayoutBinding bindings[2] = {
        {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr},
        {0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER_DYNAMIC, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr}};
    VkDescriptorSetLayoutCreateInfo ci{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO, nullptr, 0, 2, bindings};
    VkDescriptorSetLayout layout = h<VkDescriptorSetLayout>(0x4001);
    t->on_create_set_layout(layout, ci);
    VkDescriptorSet set = h<VkDescriptorSet>(0x5001);
    t->on_allocate_sets(h<VkDescriptorPool>(0x9001), &layout, &set, 1);
    VkDescriptorBufferInfo uniform{b, 0, 256}, storage{b, 1024, 256};
    VkWriteDescriptorSet w[2] = {
        {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, nullptr, set, 0, 0, 1, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER_DYNAMIC, nullptr, &uniform, nullptr},
        {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, nullptr, set, 1, 0, 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC, nullptr, &storage, nullptr}};
    t->on_update_sets(2, w, 0, nullptr);
    uint32_t offsets[2] = {9999, 4096};  // uniform's, then storage's
    t->cmd_bind_sets(kCb, 1, &set, 2, offsets);
    uint32_t offsets2[2] = {0, 8192};  // bound again for a second dispatch
    t->cmd_bind_sets(kCb, 1, &set, 2, offsets2);
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 1024 + 4096, 256}, {kHostMem, 1024 + 8192, 256}}));
}

TEST_F(GpuWriteTrackerTest, PushDescriptorsAreRecordedDirectly) {
    auto t = make();
    VkBuffer b = buffer(*t, 1, 4096, kHostMem2, 0);
    VkDescriptorBufferInfo info{b, 64, 32};
    VkWriteDescriptorSet w{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, nullptr, VK_NULL_HANDLE, 0, 0, 1,
                           VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, nullptr, &info, nullptr};
    t->cmd_push_descriptors(kCb, 1, &w);
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem2, 64, 32}}));
}

TEST_F(GpuWriteTrackerTest, SecondaryCommandBuffersAreResolvedAtSubmit) {
    auto t = make();
    VkBuffer b = buffer(*t, 1, 4096, kHostMem, 0);
    t->cmd_execute_commands(kCb, 1, &kSecondary);
    // The secondary is re-recorded after the primary recorded its execution: what counts is what it holds now.
    t->on_reset_command_buffer(kSecondary);
    t->cmd_write_buffer(kSecondary, b, 100, 10);
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 100, 10}}));
}

TEST_F(GpuWriteTrackerTest, DeviceAddressBuffersAreCandidatesOnlyWithShaderWork) {
    auto t = make();
    buffer(*t, 1, 4096, kHostMem, 8192, VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    VkBuffer plain = buffer(*t, 2, 4096, kHostMem2, 0);
    t->cmd_write_buffer(kCb, plain, 0, 4);
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem2, 0, 4}}));

    VkCommandBuffer cb2 = h<VkCommandBuffer>(0xc3);
    t->cmd_bind_pipeline(cb2);
    t->on_submit(kDevice, kQueue, {cb2});
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 8192, 4096}, {kHostMem2, 0, 4}}))
        << "the first submission is still in flight";
}

TEST_F(GpuWriteTrackerTest, HostVisibleLinearImagesAreCandidatesWheneverCommandsAreSubmitted) {
    auto t = make();
    t->on_create_linear_image(h<VkImage>(0x31));
    t->on_create_linear_image(h<VkImage>(0x32));
    t->on_bind_image(kDevice, h<VkImage>(0x31), kHostMem, 4096, 1000);
    t->on_bind_image(kDevice, h<VkImage>(0x32), kDeviceMem, 0, 1000);  // device-local: ignored
    t->on_bind_image(kDevice, h<VkImage>(0x33), kHostMem, 0, 4096);    // optimal tiling: ignored
    t->on_submit(kDevice, kQueue, {});  // no command buffers: nothing
    EXPECT_TRUE(gpu_.submitted.empty());
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 4096, 1000}}));
    t->on_destroy_image(h<VkImage>(0x31));
    signal_all();
    collect(*t);
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_TRUE(collect(*t).empty());
}

TEST_F(GpuWriteTrackerTest, BeginResetAndPoolResetClearTheRecording) {
    auto t = make();
    VkBuffer b = buffer(*t, 1, 4096, kHostMem, 0);
    VkDescriptorSet set = set_of(*t, 50, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER);
    write_buffer(*t, set, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, b, 0, 64);
    t->cmd_write_buffer(kCb, b, 0, 16);
    t->cmd_bind_sets(kCb, 1, &set, 0, nullptr);
    t->cmd_bind_pipeline(kCb);
    t->on_reset_command_buffer(kCb);  // vkBeginCommandBuffer, vkResetCommandBuffer and pool resets call this
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_TRUE(gpu_.submitted.empty());

    // A freed descriptor pool takes its sets' resources with it.
    t->cmd_bind_sets(kCb, 1, &set, 0, nullptr);
    t->on_reset_descriptor_pool(h<VkDescriptorPool>(0x9001));
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_TRUE(gpu_.submitted.empty());
}

TEST_F(GpuWriteTrackerTest, RangesAreMergedPerMemory) {
    auto t = make();
    VkBuffer a = buffer(*t, 1, 1 << 16, kHostMem, 0);
    VkBuffer b = buffer(*t, 2, 1 << 16, kHostMem2, 0);
    t->cmd_write_buffer(kCb, a, 0, 100);
    t->cmd_write_buffer(kCb, a, 100, 100);   // adjacent
    t->cmd_write_buffer(kCb, a, 150, 100);   // overlapping
    t->cmd_write_buffer(kCb, a, 1000, 10);   // apart
    t->cmd_write_buffer(kCb, b, 100, 100);   // same offsets, other memory
    t->on_submit(kDevice, kQueue, {kCb});
    VkCommandBuffer cb2 = h<VkCommandBuffer>(0xc3);
    t->cmd_write_buffer(cb2, a, 240, 20);  // overlaps across submissions
    t->on_submit(kDevice, kQueue, {cb2});
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 0, 260}, {kHostMem, 1000, 10}, {kHostMem2, 100, 100}}));
}

TEST_F(GpuWriteTrackerTest, CollectKeepsIncompleteSubmissionsAndRetiresCompleteOnes) {
    auto t = make();
    VkBuffer b = buffer(*t, 1, 4096, kHostMem, 0);
    VkCommandBuffer cb2 = h<VkCommandBuffer>(0xc3);
    t->cmd_write_buffer(kCb, b, 0, 16);
    t->cmd_write_buffer(cb2, b, 1024, 16);
    t->on_submit(kDevice, kQueue, {kCb});
    t->on_submit(kDevice, kQueue, {cb2});
    ASSERT_EQ(gpu_.submitted.size(), 2u);
    gpu_.fences[gpu_.submitted[0]] = true;  // the first is complete, the second is not
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 0, 16}, {kHostMem, 1024, 16}}));
    EXPECT_EQ(t->in_flight(), 1u);
    // The complete one retired; the incomplete one is still a candidate.
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 1024, 16}}));
    gpu_.fences[gpu_.submitted[1]] = true;
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 1024, 16}}))
        << "seen complete now: compared once more";
    EXPECT_TRUE(collect(*t).empty());
    EXPECT_EQ(t->in_flight(), 0u);
    // Retired fences are reused, not created again.
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_EQ(gpu_.created, 2);
}

TEST_F(GpuWriteTrackerTest, SubmissionsCompleteBeforeACollectStillReportOnce) {
    auto t = make();
    VkBuffer b = buffer(*t, 1, 4096, kHostMem, 0);
    t->cmd_write_buffer(kCb, b, 0, 16);
    t->on_submit(kDevice, kQueue, {kCb});
    signal_all();
    // The next submission's poll gives the fence back; the ranges wait for the collect.
    VkCommandBuffer cb2 = h<VkCommandBuffer>(0xc3);
    t->cmd_write_buffer(cb2, b, 2048, 16);
    t->on_submit(kDevice, kQueue, {cb2});
    EXPECT_EQ(t->in_flight(), 1u);
    EXPECT_EQ(gpu_.created, 1) << "the signaled fence was reused";
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 0, 16}, {kHostMem, 2048, 16}}));
}

TEST_F(GpuWriteTrackerTest, FreedMemoryIsNoLongerACandidate) {
    auto t = make();
    VkBuffer b = buffer(*t, 1, 4096, kHostMem, 0);
    t->cmd_write_buffer(kCb, b, 0, 16);
    t->on_submit(kDevice, kQueue, {kCb});
    t->on_free_memory(kHostMem);
    EXPECT_TRUE(collect(*t).empty());
}

TEST_F(GpuWriteTrackerTest, DestroyingTheDeviceDestroysEveryFence) {
    {
        auto t = make();
        VkBuffer b = buffer(*t, 1, 4096, kHostMem, 0);
        t->cmd_write_buffer(kCb, b, 0, 16);
        t->on_submit(kDevice, kQueue, {kCb});
        t->on_submit(kDevice, kQueue, {kCb});
        gpu_.fences[gpu_.submitted[0]] = true;
        collect(*t);  // one back in the pool, one in flight
        t->on_destroy_device(kDevice);
        EXPECT_EQ(t->in_flight(), 0u);
    }
    EXPECT_EQ(gpu_.created, 2);
    EXPECT_EQ(gpu_.destroyed, 2);
    EXPECT_TRUE(gpu_.fences.empty());
}

TEST_F(GpuWriteTrackerTest, TrackingOffAnswersEveryHostVisibleAllocationWhole) {
    auto t = make(false);
    VkBuffer b = buffer(*t, 1, 4096, kHostMem, 0);
    t->cmd_write_buffer(kCb, b, 0, 16);
    t->on_submit(kDevice, kQueue, {kCb});
    EXPECT_TRUE(gpu_.submitted.empty());
    EXPECT_EQ(collect(*t), (std::vector<MemoryRange>{{kHostMem, 0, 1 << 20}, {kHostMem2, 0, 1 << 20}}));
}

TEST_F(GpuWriteTrackerTest, EnvironmentSwitchesTrackingOff) {
    const char* old = std::getenv("ANARCHY_GPU_WRITE_TRACKING");
    std::string saved = old ? old : "";
    setenv("ANARCHY_GPU_WRITE_TRACKING", "0", 1);
    EXPECT_FALSE(GpuWriteTracker::tracking_from_environment());
    EXPECT_FALSE(GpuWriteTracker(devices_).tracking());
    setenv("ANARCHY_GPU_WRITE_TRACKING", "1", 1);
    EXPECT_TRUE(GpuWriteTracker::tracking_from_environment());
    unsetenv("ANARCHY_GPU_WRITE_TRACKING");
    EXPECT_TRUE(GpuWriteTracker::tracking_from_environment());
    if (old) setenv("ANARCHY_GPU_WRITE_TRACKING", saved.c_str(), 1);
}

}  // namespace
}  // namespace anarchy::server
