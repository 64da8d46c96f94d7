// ring: 60 frames through a persistently mapped ring buffer (mapped once, never unmapped). Each frame the
// host fills the frame's slot, a compute pass folds it into device-local accumulators and writes a copy to
// a persistently mapped read-back buffer; after the frame's fence the host folds that copy into a checksum
// that seeds the next frame's upload, so a GPU write that failed to reach the host changes everything after.
// The same frames run twice: on HOST_COHERENT memory, and with explicit vkFlushMappedMemoryRanges /
// vkInvalidateMappedMemoryRanges on a non-coherent type (or on a coherent one where the device has no
// other). Both must match the CPU's simulation, so the output does not depend on the memory types.
#include "programs.h"
#include "ring_comp.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr uint32_t kFrames = 60;
constexpr uint32_t kSlots = 4;
constexpr uint32_t kCount = 256;         // words per slot
constexpr uint32_t kWorkgroupSize = 64;  // local_size_x in ring.comp

struct FrameConstants {  // matches `Frame` in ring.comp
    uint32_t slot_offset;
    uint32_t frame;
    uint32_t count;
};

uint32_t upload_word(uint32_t checksum, uint32_t frame, uint32_t i) {
    uint32_t x = checksum ^ (i * 0x9e3779b9u) ^ (frame << 16);
    x ^= x >> 15;
    x *= 0x2c1b3c6du;
    x ^= x >> 12;
    return x;
}

uint32_t fold(uint32_t checksum, const uint32_t* words) {
    for (uint32_t i = 0; i < kCount; ++i) checksum = (checksum ^ words[i]) * 0x01000193u;
    return checksum;
}

// What the frames must produce: the accumulators after the last frame, and the checksum after each frame.
struct RingResult {
    std::vector<uint32_t> accumulators;
    std::vector<uint32_t> checksums;
};

RingResult simulate() {
    RingResult r{std::vector<uint32_t>(kCount, 0), {}};
    uint32_t checksum = 0x811c9dc5u;
    std::vector<uint32_t> readback(kCount);
    for (uint32_t frame = 0; frame < kFrames; ++frame) {
        for (uint32_t i = 0; i < kCount; ++i) {
            uint32_t value = r.accumulators[i] * 31u + (upload_word(checksum, frame, i) ^ frame);
            r.accumulators[i] = value;
            readback[i] = value ^ (value >> 7);
        }
        checksum = fold(checksum, readback.data());
        r.checksums.push_back(checksum);
    }
    return r;
}

struct RingPipeline {
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    VkPipeline pipeline;
    VkDescriptorPool pool;
};

RingPipeline create_ring_pipeline(TestContext& ctx) {
    VkDevice device = ctx.device();
    RingPipeline p;
    VkDescriptorSetLayoutBinding bindings[3];
    for (uint32_t i = 0; i < 3; ++i)
        bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
    VkDescriptorSetLayoutCreateInfo set_layout{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    set_layout.bindingCount = 3;
    set_layout.pBindings = bindings;
    VK_CHECK(vkCreateDescriptorSetLayout(device, &set_layout, nullptr, &p.set_layout));
    ctx.own(p.set_layout, vkDestroyDescriptorSetLayout);
    VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(FrameConstants)};
    VkPipelineLayoutCreateInfo layout{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout.setLayoutCount = 1;
    layout.pSetLayouts = &p.set_layout;
    layout.pushConstantRangeCount = 1;
    layout.pPushConstantRanges = &push;
    VK_CHECK(vkCreatePipelineLayout(device, &layout, nullptr, &p.layout));
    ctx.own(p.layout, vkDestroyPipelineLayout);
    VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    info.stage.module = ctx.create_shader_module(ring_comp);
    info.stage.pName = "main";
    info.layout = p.layout;
    VK_CHECK(vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &info, nullptr, &p.pipeline));
    ctx.own(p.pipeline, vkDestroyPipeline);
    VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 6};
    VkDescriptorPoolCreateInfo pool{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pool.maxSets = 2;
    pool.poolSizeCount = 1;
    pool.pPoolSizes = &size;
    VK_CHECK(vkCreateDescriptorPool(device, &pool, nullptr, &p.pool));
    ctx.own(p.pool, vkDestroyDescriptorPool);
    return p;
}

VkDeviceSize align_up(VkDeviceSize value, VkDeviceSize alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

// Runs all frames; with `explicit_flush`, host-visible memory is preferably non-coherent and every host
// write is flushed and every host read invalidated.
RingResult run_frames(TestContext& ctx, const RingPipeline& p, bool explicit_flush) {
    VkDevice device = ctx.device();
    const VkMemoryPropertyFlags coherent = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    const VkMemoryPropertyFlags required =
        explicit_flush ? VkMemoryPropertyFlags(VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) : coherent;
    const VkMemoryPropertyFlags avoid =
        explicit_flush ? VkMemoryPropertyFlags(VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) : 0;
    // Flushed ranges must be multiples of nonCoherentAtomSize, so each slot is.
    const VkDeviceSize slot_bytes = align_up(kCount * 4, ctx.limits().nonCoherentAtomSize);
    Buffer ring = ctx.create_buffer(slot_bytes * kSlots, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, required, avoid);
    Buffer readback = ctx.create_buffer(kCount * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, required, avoid);
    Buffer accumulators = ctx.create_buffer(
        kCount * 4,
        VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    Buffer final_copy = ctx.create_buffer(kCount * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT, coherent);
    if (explicit_flush) {
        bool ring_coherent = ring.memory_flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
        bool readback_coherent = readback.memory_flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
        // Informational only, so not in the output: the remote driver may offer other memory types.
        std::printf("ring: explicit flush path on %s memory (ring), %s memory (read-back)\n",
                    ring_coherent ? "coherent" : "non-coherent", readback_coherent ? "coherent" : "non-coherent");
    }

    VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    alloc.descriptorPool = p.pool;
    alloc.descriptorSetCount = 1;
    alloc.pSetLayouts = &p.set_layout;
    VkDescriptorSet set;
    VK_CHECK(vkAllocateDescriptorSets(device, &alloc, &set));
    VkDescriptorBufferInfo infos[3] = {
        {ring.buffer, 0, VK_WHOLE_SIZE}, {accumulators.buffer, 0, VK_WHOLE_SIZE}, {readback.buffer, 0, VK_WHOLE_SIZE}};
    VkWriteDescriptorSet write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    write.dstSet = set;
    write.descriptorCount = 3;
    write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    write.pBufferInfo = infos;
    vkUpdateDescriptorSets(device, 1, &write, 0, nullptr);

    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        vkCmdFillBuffer(cmd, accumulators.buffer, 0, VK_WHOLE_SIZE, 0);
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                       VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT,
                       VK_ACCESS_2_SHADER_STORAGE_READ_BIT | VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT);
    });

    VkCommandPool pool = ctx.create_command_pool(VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT);
    VkCommandBuffer cmd = ctx.allocate_command_buffer(pool);
    VkFence fence = ctx.create_fence();
    RingResult result;
    uint32_t checksum = 0x811c9dc5u;
    for (uint32_t frame = 0; frame < kFrames; ++frame) {
        const uint32_t slot = frame % kSlots;
        auto* slot_words = reinterpret_cast<uint32_t*>(ring.as<uint8_t>() + slot * slot_bytes);
        for (uint32_t i = 0; i < kCount; ++i) slot_words[i] = upload_word(checksum, frame, i);
        if (explicit_flush) {
            VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE};
            range.memory = ring.memory;
            range.offset = slot * slot_bytes;
            range.size = slot_bytes;
            VK_CHECK(vkFlushMappedMemoryRanges(device, 1, &range));
        }

        begin_command_buffer(cmd);  // implicitly resets the previous frame's recording
        // The previous frame's accumulator writes, from an earlier submission, before this frame's.
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                       VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT,
                       VK_ACCESS_2_SHADER_STORAGE_READ_BIT | VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT);
        vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
        vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, 1, &set, 0, nullptr);
        FrameConstants constants{uint32_t(slot * slot_bytes / 4), frame, kCount};
        vkCmdPushConstants(cmd, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof constants, &constants);
        vkCmdDispatch(cmd, (kCount + kWorkgroupSize - 1) / kWorkgroupSize, 1, 1);
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                       VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
        VK_CHECK(vkEndCommandBuffer(cmd));
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd;
        VK_CHECK(vkQueueSubmit(ctx.queue(), 1, &submit, fence));
        VK_CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
        VK_CHECK(vkResetFences(device, 1, &fence));

        if (explicit_flush) {
            VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE};
            range.memory = readback.memory;
            range.offset = 0;
            range.size = VK_WHOLE_SIZE;
            VK_CHECK(vkInvalidateMappedMemoryRanges(device, 1, &range));
        }
        checksum = fold(checksum, readback.as<const uint32_t>());
        result.checksums.push_back(checksum);
    }

    ctx.submit_and_wait([&](VkCommandBuffer copy_cmd) {
        memory_barrier(copy_cmd, VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                       VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT);
        VkBufferCopy region{0, 0, kCount * 4};
        vkCmdCopyBuffer(copy_cmd, accumulators.buffer, final_copy.buffer, 1, &region);
        memory_barrier(copy_cmd, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                       VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
    });
    const auto* words = final_copy.as<const uint32_t>();
    result.accumulators.assign(words, words + kCount);
    return result;
}

void require_equal(const RingResult& got, const RingResult& expected, const char* path) {
    for (uint32_t frame = 0; frame < kFrames; ++frame)
        require(got.checksums[frame] == expected.checksums[frame],
                std::string("ring (") + path + "): checksum after frame " + std::to_string(frame) + " is " +
                    std::to_string(got.checksums[frame]) + ", expected " + std::to_string(expected.checksums[frame]));
    require(got.accumulators == expected.accumulators,
            std::string("ring (") + path + "): final accumulators differ from the CPU's");
}

}  // namespace

Output run_ring(TestContext& ctx) {
    RingPipeline pipeline = create_ring_pipeline(ctx);
    RingResult expected = simulate();
    RingResult coherent = run_frames(ctx, pipeline, false);
    require_equal(coherent, expected, "coherent memory");
    RingResult flushed = run_frames(ctx, pipeline, true);
    require_equal(flushed, expected, "explicit flush/invalidate");

    // The accumulators, then the checksum after every frame.
    Output out = bytes_of(coherent.accumulators.data(), coherent.accumulators.size() * 4);
    Output checksums = bytes_of(coherent.checksums.data(), coherent.checksums.size() * 4);
    out.insert(out.end(), checksums.begin(), checksums.end());
    return out;
}

}  // namespace anarchy::testprog
