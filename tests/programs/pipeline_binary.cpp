// pipeline_binary: VK_KHR_pipeline_binary, the way engines keep compiled pipelines between runs. A compute
// pipeline created with CAPTURE_DATA gives its binaries (the count asked first with no array, then the array);
// each binary's key and data are read (the size asked first); the captured data is released and the pipeline,
// then the binaries, destroyed. New binaries are created from the saved keys and data alone, a second pipeline
// is created from them (VkPipelineBinaryInfoKHR) and its dispatch fills a host-visible buffer, which must hold
// exactly what the shader computes. Output: the facts that do not depend on the driver's build (how many
// binaries, whether keys and data were non-empty, the global key's size), then the words.
#include "binary_fill_comp.h"
#include "programs.h"

#include <cstring>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr uint32_t kCount = 4000;
constexpr uint32_t kSeed = 0x9e3779b9u;

struct Parameters {  // matches binary_fill.comp
    uint32_t count;
    uint32_t seed;
};

uint32_t scramble(uint32_t x) {  // as in binary_fill.comp
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

struct Procs {
    PFN_vkCreatePipelineBinariesKHR create_binaries;
    PFN_vkDestroyPipelineBinaryKHR destroy_binary;
    PFN_vkGetPipelineKeyKHR get_key;
    PFN_vkGetPipelineBinaryDataKHR get_data;
    PFN_vkReleaseCapturedPipelineDataKHR release_captured;
};

/// A saved binary: its key and its data, as a program would write them to disk.
struct SavedBinary {
    VkPipelineBinaryKeyKHR key{VK_STRUCTURE_TYPE_PIPELINE_BINARY_KEY_KHR};
    std::vector<uint8_t> data;
};

}  // namespace

Output run_pipeline_binary(TestContext& ctx) {
    VkDevice device = ctx.device();
    const Procs vk{
        device_proc<PFN_vkCreatePipelineBinariesKHR>(device, "vkCreatePipelineBinariesKHR"),
        device_proc<PFN_vkDestroyPipelineBinaryKHR>(device, "vkDestroyPipelineBinaryKHR"),
        device_proc<PFN_vkGetPipelineKeyKHR>(device, "vkGetPipelineKeyKHR"),
        device_proc<PFN_vkGetPipelineBinaryDataKHR>(device, "vkGetPipelineBinaryDataKHR"),
        device_proc<PFN_vkReleaseCapturedPipelineDataKHR>(device, "vkReleaseCapturedPipelineDataKHR"),
    };
    TextReport report;

    VkDescriptorSetLayoutBinding binding{0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
    VkDescriptorSetLayoutCreateInfo set_layout_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    set_layout_info.bindingCount = 1;
    set_layout_info.pBindings = &binding;
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
    pipeline_info.stage.module = ctx.create_shader_module(binary_fill_comp);
    pipeline_info.stage.pName = "main";
    pipeline_info.layout = layout;

    // The driver's global key (what its binaries are compatible with): its size is a fact of the driver.
    VkPipelineBinaryKeyKHR global_key{VK_STRUCTURE_TYPE_PIPELINE_BINARY_KEY_KHR};
    VK_CHECK(vk.get_key(device, nullptr, &global_key));
    report.line("global key: %s", global_key.keySize > 0 ? "non-empty" : "empty");

    // 1. A pipeline that keeps its data for capture, and its binaries.
    VkPipelineCreateFlags2CreateInfoKHR capture{VK_STRUCTURE_TYPE_PIPELINE_CREATE_FLAGS_2_CREATE_INFO_KHR};
    capture.flags = VK_PIPELINE_CREATE_2_CAPTURE_DATA_BIT_KHR;
    pipeline_info.pNext = &capture;
    VkPipeline captured;
    VK_CHECK(vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &pipeline_info, nullptr, &captured));
    VkPipelineBinaryCreateInfoKHR from_pipeline{VK_STRUCTURE_TYPE_PIPELINE_BINARY_CREATE_INFO_KHR};
    from_pipeline.pipeline = captured;
    VkPipelineBinaryHandlesInfoKHR handles{VK_STRUCTURE_TYPE_PIPELINE_BINARY_HANDLES_INFO_KHR};
    VK_CHECK(vk.create_binaries(device, &from_pipeline, nullptr, &handles));
    const uint32_t binary_count = handles.pipelineBinaryCount;
    require(binary_count > 0, "pipeline_binary: the captured pipeline has no binaries");
    std::vector<VkPipelineBinaryKHR> binaries(binary_count, VK_NULL_HANDLE);
    handles.pPipelineBinaries = binaries.data();
    VK_CHECK(vk.create_binaries(device, &from_pipeline, nullptr, &handles));
    require(handles.pipelineBinaryCount == binary_count, "pipeline_binary: the second call made a different count");
    for (VkPipelineBinaryKHR b : binaries) require(b != VK_NULL_HANDLE, "pipeline_binary: a binary came back null");
    report.line("binaries from the pipeline: %u", binary_count);

    // 2. Each binary's key and data, the size asked first.
    std::vector<SavedBinary> saved(binary_count);
    for (uint32_t i = 0; i < binary_count; ++i) {
        VkPipelineBinaryDataInfoKHR info{VK_STRUCTURE_TYPE_PIPELINE_BINARY_DATA_INFO_KHR};
        info.pipelineBinary = binaries[i];
        size_t size = 0;
        VK_CHECK(vk.get_data(device, &info, &saved[i].key, &size, nullptr));
        require(size > 0, "pipeline_binary: a binary has no data");
        saved[i].data.resize(size);
        VK_CHECK(vk.get_data(device, &info, &saved[i].key, &size, saved[i].data.data()));
        require(size == saved[i].data.size(), "pipeline_binary: the data's size changed between the calls");
        require(saved[i].key.keySize > 0 && saved[i].key.keySize <= VK_MAX_PIPELINE_BINARY_KEY_SIZE_KHR,
                "pipeline_binary: a key's size is out of range");
        // Too small an array: VK_ERROR_NOT_ENOUGH_SPACE_KHR and the size needed, as the extension says.
        size_t small = size - 1;
        std::vector<uint8_t> too_small(small + 1);
        VkResult r = vk.get_data(device, &info, &saved[i].key, &small, too_small.data());
        require(r == VK_ERROR_NOT_ENOUGH_SPACE_KHR && small == size,
                "pipeline_binary: a too small array gave " + result_name(r));
    }
    report.line("keys and data read: %u, each non-empty", binary_count);

    VkReleaseCapturedPipelineDataInfoKHR release{VK_STRUCTURE_TYPE_RELEASE_CAPTURED_PIPELINE_DATA_INFO_KHR};
    release.pipeline = captured;
    VK_CHECK(vk.release_captured(device, &release, nullptr));
    vkDestroyPipeline(device, captured, nullptr);
    for (VkPipelineBinaryKHR b : binaries) vk.destroy_binary(device, b, nullptr);

    // 3. Binaries again from the saved keys and data alone, and a pipeline made of them.
    std::vector<VkPipelineBinaryKeyKHR> keys;
    std::vector<VkPipelineBinaryDataKHR> datas;
    for (SavedBinary& b : saved) {
        keys.push_back(b.key);
        datas.push_back({b.data.size(), b.data.data()});
    }
    VkPipelineBinaryKeysAndDataKHR keys_and_data{binary_count, keys.data(), datas.data()};
    VkPipelineBinaryCreateInfoKHR from_data{VK_STRUCTURE_TYPE_PIPELINE_BINARY_CREATE_INFO_KHR};
    from_data.pKeysAndDataInfo = &keys_and_data;
    std::vector<VkPipelineBinaryKHR> restored(binary_count, VK_NULL_HANDLE);
    VkPipelineBinaryHandlesInfoKHR restored_handles{VK_STRUCTURE_TYPE_PIPELINE_BINARY_HANDLES_INFO_KHR};
    restored_handles.pipelineBinaryCount = binary_count;
    restored_handles.pPipelineBinaries = restored.data();
    VK_CHECK(vk.create_binaries(device, &from_data, nullptr, &restored_handles));
    for (VkPipelineBinaryKHR b : restored) {
        require(b != VK_NULL_HANDLE, "pipeline_binary: a binary made from saved data came back null");
        ctx.own(b, vk.destroy_binary);
    }
    VkPipelineBinaryInfoKHR use_binaries{VK_STRUCTURE_TYPE_PIPELINE_BINARY_INFO_KHR};
    use_binaries.binaryCount = binary_count;
    use_binaries.pPipelineBinaries = restored.data();
    pipeline_info.pNext = &use_binaries;
    VkPipeline pipeline;
    VK_CHECK(vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &pipeline_info, nullptr, &pipeline));
    ctx.own(pipeline, vkDestroyPipeline);
    report.line("binaries from saved keys and data: %u; pipeline created from them", binary_count);

    // 4. Its dispatch.
    Buffer out = ctx.create_buffer(kCount * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                                   VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    std::memset(out.mapped, 0, kCount * 4);
    VkDescriptorPoolSize pool_size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1};
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
    VkDescriptorBufferInfo buffer_info{out.buffer, 0, VK_WHOLE_SIZE};
    VkWriteDescriptorSet write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    write.dstSet = set;
    write.descriptorCount = 1;
    write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    write.pBufferInfo = &buffer_info;
    vkUpdateDescriptorSets(device, 1, &write, 0, nullptr);
    const Parameters parameters{kCount, kSeed};
    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
        vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, nullptr);
        vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof parameters, &parameters);
        vkCmdDispatch(cmd, (kCount + 63) / 64, 1, 1);
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT, VK_ACCESS_2_SHADER_WRITE_BIT,
                       VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
    });
    const uint32_t* words = out.as<uint32_t>();
    for (uint32_t i = 0; i < kCount; ++i)
        require(words[i] == scramble(i + kSeed), "pipeline_binary: word " + std::to_string(i) + " is wrong");
    report.line("dispatch from the restored pipeline: %u words as computed", kCount);

    Output result = report.bytes();
    result.insert(result.end(), reinterpret_cast<const uint8_t*>(words),
                  reinterpret_cast<const uint8_t*>(words) + kCount * 4);
    return result;
}

}  // namespace anarchy::testprog
