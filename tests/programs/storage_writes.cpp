// storage_writes: a compute shader writes host-visible memory through descriptors, the way GPU-driven
// engines fill read-back buffers: a plain storage buffer and a DYNAMIC storage buffer whose slot is chosen by
// the dynamic offset at bind time. The plain binding is re-pointed between frames (vkUpdateDescriptorSets
// after the previous frame's fence, before recording: legal without update-after-bind) at one of two buffers
// that share one allocation at different offsets. Each frame dispatches twice with different dynamic
// offsets; after the fence the host checks both allocations entirely (the bytes no shader wrote keep the
// host's sentinel). Output: the words the host read each frame.
#include "memory_util.h"
#include "programs.h"
#include "storage_writes_comp.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr uint32_t kCount = 4000;  // words per dispatch; not a multiple of the workgroup size
constexpr uint32_t kWorkgroupSize = 64;
constexpr uint32_t kFrames = 6;
constexpr uint32_t kSlots = 4;
constexpr uint32_t kSentinel = 0xcdcdcdcdu;

struct Parameters {  // matches storage_writes.comp
    uint32_t count;
    uint32_t seed;
};

uint32_t scramble(uint32_t x) {  // as in storage_writes.comp
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

VkDeviceSize align_up(VkDeviceSize value, VkDeviceSize alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

// Host-visible memory of `bytes` with the given buffers bound at `offsets`, mapped for the whole run.
struct SharedMemory {
    VkDeviceMemory memory = VK_NULL_HANDLE;
    std::vector<VkBuffer> buffers;
    uint32_t* words = nullptr;
    VkDeviceSize bytes = 0;
};

SharedMemory create_shared(TestContext& ctx, VkDeviceSize buffer_bytes, const std::vector<VkDeviceSize>& offsets) {
    VkDevice device = ctx.device();
    SharedMemory m;
    uint32_t type_bits = ~0u;
    VkDeviceSize alignment = 1;
    for (VkDeviceSize offset : offsets) {
        VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
        info.size = buffer_bytes;
        info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
        VkBuffer buffer;
        VK_CHECK(vkCreateBuffer(device, &info, nullptr, &buffer));
        ctx.own(buffer, vkDestroyBuffer);
        VkMemoryRequirements requirements;
        vkGetBufferMemoryRequirements(device, buffer, &requirements);
        type_bits &= requirements.memoryTypeBits;
        alignment = std::max(alignment, requirements.alignment);
        m.bytes = std::max(m.bytes, offset + requirements.size);
        m.buffers.push_back(buffer);
    }
    for (VkDeviceSize offset : offsets) require(offset % alignment == 0, "storage_writes: misaligned buffer offset");
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = m.bytes;
    alloc.memoryTypeIndex = ctx.find_memory_type(
        type_bits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VK_CHECK(vkAllocateMemory(device, &alloc, nullptr, &m.memory));
    ctx.own(m.memory, vkFreeMemory);
    for (size_t i = 0; i < offsets.size(); ++i) VK_CHECK(vkBindBufferMemory(device, m.buffers[i], m.memory, offsets[i]));
    void* mapped;
    VK_CHECK(vkMapMemory(device, m.memory, 0, VK_WHOLE_SIZE, 0, &mapped));
    m.words = static_cast<uint32_t*>(mapped);
    return m;
}

}  // namespace

Output run_storage_writes(TestContext& ctx) {
    VkDevice device = ctx.device();
    const VkDeviceSize region = VkDeviceSize(kCount) * 4;
    // Offsets aligned for both binding and dynamic-offset use; 256 covers every real device's requirement.
    const VkDeviceSize alignment = std::max<VkDeviceSize>(ctx.limits().minStorageBufferOffsetAlignment, 256);
    const VkDeviceSize stride = align_up(region + 512, alignment);  // leaves a gap no shader writes

    // Two plain buffers sharing one allocation (the second not at offset 0), and the dynamic buffer's slots.
    SharedMemory plain = create_shared(ctx, region, {alignment, alignment + stride});
    SharedMemory dynamic = create_shared(ctx, stride * (kSlots - 1) + region, {0});
    std::vector<uint32_t> plain_model(plain.bytes / 4, kSentinel), dynamic_model(dynamic.bytes / 4, kSentinel);
    std::memcpy(plain.words, plain_model.data(), plain.bytes);
    std::memcpy(dynamic.words, dynamic_model.data(), dynamic.bytes);

    VkDescriptorSetLayoutBinding bindings[2] = {
        {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr},
    };
    VkDescriptorSetLayoutCreateInfo set_layout_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    set_layout_info.bindingCount = 2;
    set_layout_info.pBindings = bindings;
    VkDescriptorSetLayout set_layout;
    VK_CHECK(vkCreateDescriptorSetLayout(device, &set_layout_info, nullptr, &set_layout));
    ctx.own(set_layout, vkDestroyDescriptorSetLayout);
    VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(Parameters)};
    VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout_info.setLayoutCount = 1;
    layout_info.pSetLayouts = &set_layout;
    layout_info.pushConstantRangeCount = 1;
    layout_info.pPushConstantRanges = &push;
    VkPipelineLayout layout;
    VK_CHECK(vkCreatePipelineLayout(device, &layout_info, nullptr, &layout));
    ctx.own(layout, vkDestroyPipelineLayout);
    VkComputePipelineCreateInfo pipeline_info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    pipeline_info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    pipeline_info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    pipeline_info.stage.module = ctx.create_shader_module(storage_writes_comp);
    pipeline_info.stage.pName = "main";
    pipeline_info.layout = layout;
    VkPipeline pipeline;
    VK_CHECK(vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &pipeline_info, nullptr, &pipeline));
    ctx.own(pipeline, vkDestroyPipeline);

    VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1},
                                     {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC, 1}};
    VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pool_info.maxSets = 1;
    pool_info.poolSizeCount = 2;
    pool_info.pPoolSizes = sizes;
    VkDescriptorPool pool;
    VK_CHECK(vkCreateDescriptorPool(device, &pool_info, nullptr, &pool));
    ctx.own(pool, vkDestroyDescriptorPool);
    VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    alloc.descriptorPool = pool;
    alloc.descriptorSetCount = 1;
    alloc.pSetLayouts = &set_layout;
    VkDescriptorSet set;
    VK_CHECK(vkAllocateDescriptorSets(device, &alloc, &set));
    VkDescriptorBufferInfo dynamic_info{dynamic.buffers[0], 0, region};
    VkWriteDescriptorSet dynamic_write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    dynamic_write.dstSet = set;
    dynamic_write.dstBinding = 1;
    dynamic_write.descriptorCount = 1;
    dynamic_write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC;
    dynamic_write.pBufferInfo = &dynamic_info;
    vkUpdateDescriptorSets(device, 1, &dynamic_write, 0, nullptr);

    VkCommandPool command_pool = ctx.create_command_pool(VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT);
    VkCommandBuffer cmd = ctx.allocate_command_buffer(command_pool);
    VkFence fence = ctx.create_fence();
    Output out;
    for (uint32_t frame = 0; frame < kFrames; ++frame) {
        // Re-point the plain binding: the previous frame's work is done, so the set is not in use.
        const uint32_t target = frame % 2;
        VkDescriptorBufferInfo plain_info{plain.buffers[target], 0, VK_WHOLE_SIZE};
        VkWriteDescriptorSet plain_write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
        plain_write.dstSet = set;
        plain_write.dstBinding = 0;
        plain_write.descriptorCount = 1;
        plain_write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        plain_write.pBufferInfo = &plain_info;
        vkUpdateDescriptorSets(device, 1, &plain_write, 0, nullptr);

        begin_command_buffer(cmd);
        vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
        for (uint32_t dispatch = 0; dispatch < 2; ++dispatch) {
            const uint32_t slot = (frame * 2 + dispatch + frame / 2) % kSlots;
            const uint32_t dynamic_offset = uint32_t(slot * stride);
            vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 1, &dynamic_offset);
            Parameters parameters{kCount - dispatch * 1000 - frame * 7, 0x1234u + frame * 0x10001u + dispatch};
            vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof parameters, &parameters);
            vkCmdDispatch(cmd, (parameters.count + kWorkgroupSize - 1) / kWorkgroupSize, 1, 1);
            memory_barrier(cmd, VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                           VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_2_HOST_BIT,
                           VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT | VK_ACCESS_2_HOST_READ_BIT);

            const VkDeviceSize plain_base = (alignment + target * stride) / 4, dynamic_base = slot * stride / 4;
            for (uint32_t i = 0; i < parameters.count; ++i) {
                plain_model[plain_base + i] = scramble(i ^ parameters.seed);
                dynamic_model[dynamic_base + i] = scramble(i * 3u + parameters.seed) ^ 0x5bd1e995u;
            }
        }
        VK_CHECK(vkEndCommandBuffer(cmd));
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd;
        VK_CHECK(vkQueueSubmit(ctx.queue(), 1, &submit, fence));
        VK_CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
        VK_CHECK(vkResetFences(device, 1, &fence));

        for (size_t i = 0; i < plain_model.size(); ++i)
            require(plain.words[i] == plain_model[i], "storage_writes: frame " + std::to_string(frame) +
                                                          ": plain memory word " + std::to_string(i) + " is " +
                                                          std::to_string(plain.words[i]) + ", expected " +
                                                          std::to_string(plain_model[i]));
        for (size_t i = 0; i < dynamic_model.size(); ++i)
            require(dynamic.words[i] == dynamic_model[i], "storage_writes: frame " + std::to_string(frame) +
                                                              ": dynamic memory word " + std::to_string(i) + " is " +
                                                              std::to_string(dynamic.words[i]) + ", expected " +
                                                              std::to_string(dynamic_model[i]));
        const auto* p = reinterpret_cast<const uint8_t*>(plain.words);
        const auto* d = reinterpret_cast<const uint8_t*>(dynamic.words);
        out.insert(out.end(), p, p + plain.bytes);
        out.insert(out.end(), d, d + dynamic.bytes);
    }
    return out;
}

}  // namespace anarchy::testprog
