// compute: a storage-buffer compute shader with push constants and a descriptor set, over 1,000,000 uints
// uploaded through a staging buffer; the result is read back and checked against the same computation on
// the CPU.
#include "prefix_hash.h"
#include "prefix_hash_comp.h"
#include "programs.h"

#include <cstring>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr uint32_t kCount = 1'000'000;    // deliberately not a multiple of the workgroup size
constexpr uint32_t kWorkgroupSize = kPrefixHashWorkgroupSize;
constexpr uint32_t kSeed = 0x9e3779b9u;

}  // namespace

Output run_compute(TestContext& ctx) {
    VkDevice device = ctx.device();
    const uint32_t groups = (kCount + kWorkgroupSize - 1) / kWorkgroupSize;
    require(ctx.limits().maxComputeWorkGroupCount[0] >= groups, "maxComputeWorkGroupCount[0] too small");
    require(ctx.limits().maxStorageBufferRange >= kCount * sizeof(uint32_t), "maxStorageBufferRange too small");

    std::vector<uint32_t> input(kCount);
    for (uint32_t i = 0; i < kCount; ++i) input[i] = i * 2654435761u + 12345u;
    const VkDeviceSize bytes = VkDeviceSize(kCount) * sizeof(uint32_t);
    Buffer src = ctx.create_buffer_with_data(input.data(), bytes, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    Buffer dst = ctx.create_buffer(bytes, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                   VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    Buffer readback = ctx.create_buffer(bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);

    VkDescriptorSetLayoutBinding bindings[2] = {
        {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr},
    };
    VkDescriptorSetLayoutCreateInfo set_layout_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    set_layout_info.bindingCount = 2;
    set_layout_info.pBindings = bindings;
    VkDescriptorSetLayout set_layout;
    VK_CHECK(vkCreateDescriptorSetLayout(device, &set_layout_info, nullptr, &set_layout));
    ctx.own(set_layout, vkDestroyDescriptorSetLayout);

    VkPushConstantRange push_range{VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(PrefixHashParameters)};
    VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout_info.setLayoutCount = 1;
    layout_info.pSetLayouts = &set_layout;
    layout_info.pushConstantRangeCount = 1;
    layout_info.pPushConstantRanges = &push_range;
    VkPipelineLayout layout;
    VK_CHECK(vkCreatePipelineLayout(device, &layout_info, nullptr, &layout));
    ctx.own(layout, vkDestroyPipelineLayout);

    VkComputePipelineCreateInfo pipeline_info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    pipeline_info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    pipeline_info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    pipeline_info.stage.module = ctx.create_shader_module(prefix_hash_comp);
    pipeline_info.stage.pName = "main";
    pipeline_info.layout = layout;
    VkPipeline pipeline;
    VK_CHECK(vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &pipeline_info, nullptr, &pipeline));
    ctx.own(pipeline, vkDestroyPipeline);

    VkDescriptorPoolSize pool_size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2};
    VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pool_info.maxSets = 1;
    pool_info.poolSizeCount = 1;
    pool_info.pPoolSizes = &pool_size;
    VkDescriptorPool pool;
    VK_CHECK(vkCreateDescriptorPool(device, &pool_info, nullptr, &pool));
    ctx.own(pool, vkDestroyDescriptorPool);
    VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    alloc.descriptorPool = pool;
    alloc.descriptorSetCount = 1;
    alloc.pSetLayouts = &set_layout;
    VkDescriptorSet set;
    VK_CHECK(vkAllocateDescriptorSets(device, &alloc, &set));
    VkDescriptorBufferInfo buffer_infos[2] = {{src.buffer, 0, bytes}, {dst.buffer, 0, bytes}};
    VkWriteDescriptorSet write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    write.dstSet = set;
    write.dstBinding = 0;
    write.descriptorCount = 2;  // bindings 0 and 1, consecutive
    write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    write.pBufferInfo = buffer_infos;
    vkUpdateDescriptorSets(device, 1, &write, 0, nullptr);

    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
        vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, nullptr);
        PrefixHashParameters params{kCount, kSeed};
        vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof params, &params);
        vkCmdDispatch(cmd, groups, 1, 1);
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                       VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT);
        VkBufferCopy region{0, 0, bytes};
        vkCmdCopyBuffer(cmd, dst.buffer, readback.buffer, 1, &region);
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                       VK_ACCESS_2_HOST_READ_BIT);
    });

    std::vector<uint32_t> expected = expected_prefix_hashes(input, kSeed);
    const auto* result = readback.as<const uint32_t>();
    for (uint32_t i = 0; i < kCount; ++i)
        require(result[i] == expected[i], "compute: element " + std::to_string(i) + " is " + std::to_string(result[i]) +
                                              ", expected " + std::to_string(expected[i]));
    return bytes_of(result, bytes);
}

}  // namespace anarchy::testprog
