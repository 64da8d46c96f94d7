// templates: descriptor update templates. The prefix-hash compute shader runs twice: once with a descriptor
// set written by vkUpdateDescriptorSetWithTemplate from a padded, program-laid-out structure, once with push
// descriptors written by vkCmdPushDescriptorSetWithTemplateKHR. Both results are checked on the CPU.
#include "prefix_hash.h"
#include "prefix_hash_comp.h"
#include "programs.h"

#include <cstddef>
#include <cstring>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr uint32_t kCount = 65'536 + 77;
constexpr uint32_t kWorkgroupSize = kPrefixHashWorkgroupSize;

// How a program might keep its descriptors: interleaved with other data, so offsets and strides matter.
struct UpdateData {
    uint32_t tag;
    VkDescriptorBufferInfo input;
    uint64_t unrelated[3];
    VkDescriptorBufferInfo output;
};

}  // namespace

Output run_templates(TestContext& ctx) {
    VkDevice device = ctx.device();
    require(ctx.push_descriptor(), "device does not offer VK_KHR_push_descriptor");
    auto push_with_template = reinterpret_cast<PFN_vkCmdPushDescriptorSetWithTemplateKHR>(
        vkGetDeviceProcAddr(device, "vkCmdPushDescriptorSetWithTemplateKHR"));
    require(push_with_template != nullptr, "vkCmdPushDescriptorSetWithTemplateKHR not found");

    std::vector<uint32_t> input(kCount);
    for (uint32_t i = 0; i < kCount; ++i) input[i] = i * 747796405u + 2891336453u;
    const VkDeviceSize bytes = VkDeviceSize(kCount) * sizeof(uint32_t);
    Buffer src = ctx.create_buffer_with_data(input.data(), bytes, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    Buffer out[2];
    for (Buffer& b : out)
        b = ctx.create_buffer(bytes, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                              VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);

    VkDescriptorSetLayoutBinding bindings[2] = {
        {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr},
    };
    VkDescriptorSetLayout set_layouts[2];  // [0] ordinary, [1] push descriptors
    for (int i = 0; i < 2; ++i) {
        VkDescriptorSetLayoutCreateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
        info.flags = i == 1 ? VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR : 0;
        info.bindingCount = 2;
        info.pBindings = bindings;
        VK_CHECK(vkCreateDescriptorSetLayout(device, &info, nullptr, &set_layouts[i]));
        ctx.own(set_layouts[i], vkDestroyDescriptorSetLayout);
    }
    VkPushConstantRange push_range{VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(PrefixHashParameters)};
    VkPipelineLayout layouts[2];
    VkPipeline pipelines[2];
    VkShaderModule module = ctx.create_shader_module(prefix_hash_comp);
    for (int i = 0; i < 2; ++i) {
        VkPipelineLayoutCreateInfo info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
        info.setLayoutCount = 1;
        info.pSetLayouts = &set_layouts[i];
        info.pushConstantRangeCount = 1;
        info.pPushConstantRanges = &push_range;
        VK_CHECK(vkCreatePipelineLayout(device, &info, nullptr, &layouts[i]));
        ctx.own(layouts[i], vkDestroyPipelineLayout);
        VkComputePipelineCreateInfo pipeline_info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
        pipeline_info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
        pipeline_info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
        pipeline_info.stage.module = module;
        pipeline_info.stage.pName = "main";
        pipeline_info.layout = layouts[i];
        VK_CHECK(vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &pipeline_info, nullptr, &pipelines[i]));
        ctx.own(pipelines[i], vkDestroyPipeline);
    }

    // One entry per binding, reading the program's own structure at its members' offsets.
    VkDescriptorUpdateTemplateEntry entries[2] = {
        {0, 0, 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, offsetof(UpdateData, input), sizeof(UpdateData)},
        {1, 0, 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, offsetof(UpdateData, output), sizeof(UpdateData)},
    };
    VkDescriptorUpdateTemplate templates[2];
    for (int i = 0; i < 2; ++i) {
        VkDescriptorUpdateTemplateCreateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_UPDATE_TEMPLATE_CREATE_INFO};
        info.descriptorUpdateEntryCount = 2;
        info.pDescriptorUpdateEntries = entries;
        info.templateType = i == 0 ? VK_DESCRIPTOR_UPDATE_TEMPLATE_TYPE_DESCRIPTOR_SET
                                   : VK_DESCRIPTOR_UPDATE_TEMPLATE_TYPE_PUSH_DESCRIPTORS_KHR;
        info.descriptorSetLayout = set_layouts[i];
        info.pipelineBindPoint = VK_PIPELINE_BIND_POINT_COMPUTE;
        info.pipelineLayout = layouts[i];
        info.set = 0;
        VK_CHECK(vkCreateDescriptorUpdateTemplate(device, &info, nullptr, &templates[i]));
        ctx.own(templates[i], vkDestroyDescriptorUpdateTemplate);
    }

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
    alloc.pSetLayouts = &set_layouts[0];
    VkDescriptorSet set;
    VK_CHECK(vkAllocateDescriptorSets(device, &alloc, &set));

    UpdateData data[2]{};
    for (int i = 0; i < 2; ++i) {
        data[i].tag = 0xdeadbeef;
        data[i].input = {src.buffer, 0, bytes};
        data[i].output = {out[i].buffer, 0, bytes};
        for (auto& u : data[i].unrelated) u = ~uint64_t(0);  // never read as a handle
    }
    vkUpdateDescriptorSetWithTemplate(device, set, templates[0], &data[0]);

    const uint32_t seeds[2] = {0x2545f491u, 0x9e3779b9u};
    const uint32_t groups = (kCount + kWorkgroupSize - 1) / kWorkgroupSize;
    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        for (int i = 0; i < 2; ++i) {
            vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipelines[i]);
            if (i == 0)
                vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layouts[0], 0, 1, &set, 0, nullptr);
            else
                push_with_template(cmd, templates[1], layouts[1], 0, &data[1]);
            PrefixHashParameters params{kCount, seeds[i]};
            vkCmdPushConstants(cmd, layouts[i], VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof params, &params);
            vkCmdDispatch(cmd, groups, 1, 1);
        }
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                       VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
    });

    Output output;
    for (int i = 0; i < 2; ++i) {
        const auto* result = out[i].as<const uint32_t>();
        const std::vector<uint32_t> expected = expected_prefix_hashes(input, seeds[i]);
        for (uint32_t k = 0; k < kCount; ++k)
            require(result[k] == expected[k], std::string(i == 0 ? "update template" : "push descriptor template") +
                                                  ": element " + std::to_string(k) + " is wrong");
        Output part = bytes_of(result, bytes);
        output.insert(output.end(), part.begin(), part.end());
    }
    return output;
}

}  // namespace anarchy::testprog
