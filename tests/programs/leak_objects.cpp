// leak_objects: a program that leaves its objects to vkDestroyDevice, the way OpenGL programs through Mesa's zink
// (glxgears, glmark2) leave an image, its view and its memory behind. It creates one or more of every common
// kind (buffers, an image and its view, a buffer view, device memory mapped and not, a sampler, a shader module,
// a pipeline layout and pipeline, a render pass and framebuffer, a command pool with command buffers, a set
// layout and a descriptor pool with sets, a fence, binary and timeline semaphores, an event, a query pool), uses
// them for one compute dispatch and one render pass, and destroys none of them: the context then destroys the
// device and the instance only, with the last submission still in flight until its vkDeviceWaitIdle. Before
// that, a second device is created, left with a buffer, an image and mapped memory the program has written, and
// destroyed while the first goes on submitting (the written bytes must not follow the memory anywhere).
// leak_objects_exit does the same and exits without destroying the first device or the instance at all.
// Output: a text report of what the GPU computed (tests/integration/leaked_objects.py).
#include "memory_util.h"
#include "programs.h"
#include "storage_writes_comp.h"

#include <vector>

namespace anarchy::testprog {

namespace {

constexpr uint32_t kCount = 1000;  // words the dispatch writes
constexpr uint32_t kWorkgroupSize = 64;
constexpr VkExtent2D kExtent{64, 64};

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

/// Memory of `type` for `requirements`, bound to nothing yet; never freed.
VkDeviceMemory leak_memory(TestContext& ctx, const VkMemoryRequirements& requirements, VkMemoryPropertyFlags flags) {
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = ctx.find_memory_type(requirements.memoryTypeBits, flags);
    VkDeviceMemory memory;
    VK_CHECK(vkAllocateMemory(ctx.device(), &alloc, nullptr, &memory));
    return memory;
}

VkBuffer leak_buffer(TestContext& ctx, VkDeviceSize size, VkBufferUsageFlags usage, VkMemoryPropertyFlags flags,
                     VkDeviceMemory& memory) {
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = size;
    info.usage = usage;
    VkBuffer buffer;
    VK_CHECK(vkCreateBuffer(ctx.device(), &info, nullptr, &buffer));
    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(ctx.device(), buffer, &requirements);
    memory = leak_memory(ctx, requirements, flags);
    VK_CHECK(vkBindBufferMemory(ctx.device(), buffer, memory, 0));
    return buffer;
}

/// A second device on the same queue family, left with a buffer, an image and host-visible memory mapped and
/// written, then destroyed. Returns how many objects it had left.
uint32_t leak_on_second_device(TestContext& ctx) {
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueFamilyIndex = ctx.queue_family();
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    info.queueCreateInfoCount = 1;
    info.pQueueCreateInfos = &queue_info;
    VkDevice device;
    VK_CHECK(vkCreateDevice(ctx.physical_device(), &info, nullptr, &device));
    VkBufferCreateInfo buffer_info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    buffer_info.size = 256 * 1024;
    buffer_info.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
    VkBuffer buffer;
    VK_CHECK(vkCreateBuffer(device, &buffer_info, nullptr, &buffer));
    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(device, buffer, &requirements);
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = ctx.find_memory_type(
        requirements.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VkDeviceMemory memory;
    VK_CHECK(vkAllocateMemory(device, &alloc, nullptr, &memory));
    VK_CHECK(vkBindBufferMemory(device, buffer, memory, 0));
    void* mapped;
    VK_CHECK(vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, &mapped));
    Rng rng(0x5ec0dull);
    auto* bytes = static_cast<uint8_t*>(mapped);
    for (VkDeviceSize i = 0; i < buffer_info.size; i += 97) bytes[i] = rng.byte();  // written, never submitted
    VkImageCreateInfo image_info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    image_info.imageType = VK_IMAGE_TYPE_2D;
    image_info.format = VK_FORMAT_R8G8B8A8_UNORM;
    image_info.extent = {16, 16, 1};
    image_info.mipLevels = 1;
    image_info.arrayLayers = 1;
    image_info.samples = VK_SAMPLE_COUNT_1_BIT;
    image_info.tiling = VK_IMAGE_TILING_OPTIMAL;
    image_info.usage = VK_IMAGE_USAGE_SAMPLED_BIT;
    VkImage image;
    VK_CHECK(vkCreateImage(device, &image_info, nullptr, &image));
    vkDestroyDevice(device, nullptr);
    return 3;
}

}  // namespace

Output run_leak_objects(TestContext& ctx) {
    const uint32_t second_device_leaks = leak_on_second_device(ctx);
    VkDevice device = ctx.device();
    const VkDeviceSize bytes = VkDeviceSize(kCount) * 4;
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;

    // Buffers: one in host-visible memory, mapped and never unmapped; one in device-local memory never mapped.
    VkDeviceMemory plain_memory, dynamic_memory;
    VkBuffer plain = leak_buffer(ctx, bytes, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT,
                                 host, plain_memory);
    VkBuffer dynamic = leak_buffer(ctx, bytes, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
                                   dynamic_memory);
    void* mapped;
    VK_CHECK(vkMapMemory(device, plain_memory, 0, VK_WHOLE_SIZE, 0, &mapped));
    auto* words = static_cast<uint32_t*>(mapped);
    for (uint32_t i = 0; i < kCount; ++i) words[i] = 0xcdcdcdcdu;
    VkBufferViewCreateInfo buffer_view_info{VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
    buffer_view_info.buffer = plain;
    buffer_view_info.format = VK_FORMAT_R32_UINT;  // uniform texel buffers of R32_UINT are required of every device
    buffer_view_info.range = VK_WHOLE_SIZE;
    VkBufferView buffer_view;
    VK_CHECK(vkCreateBufferView(device, &buffer_view_info, nullptr, &buffer_view));

    // An image with its own memory, a view, a render pass and a framebuffer; a sampler.
    VkImageCreateInfo image_info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    image_info.imageType = VK_IMAGE_TYPE_2D;
    image_info.format = VK_FORMAT_R8G8B8A8_UNORM;
    image_info.extent = {kExtent.width, kExtent.height, 1};
    image_info.mipLevels = 1;
    image_info.arrayLayers = 1;
    image_info.samples = VK_SAMPLE_COUNT_1_BIT;
    image_info.tiling = VK_IMAGE_TILING_OPTIMAL;
    image_info.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_SAMPLED_BIT;
    VkImage image;
    VK_CHECK(vkCreateImage(device, &image_info, nullptr, &image));
    VkMemoryRequirements image_requirements;
    vkGetImageMemoryRequirements(device, image, &image_requirements);
    VkDeviceMemory image_memory = leak_memory(ctx, image_requirements, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    VK_CHECK(vkBindImageMemory(device, image, image_memory, 0));
    VkImageViewCreateInfo view_info{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    view_info.image = image;
    view_info.viewType = VK_IMAGE_VIEW_TYPE_2D;
    view_info.format = image_info.format;
    view_info.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    VkImageView view;
    VK_CHECK(vkCreateImageView(device, &view_info, nullptr, &view));
    VkAttachmentDescription attachment{};
    attachment.format = image_info.format;
    attachment.samples = VK_SAMPLE_COUNT_1_BIT;
    attachment.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
    attachment.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
    attachment.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
    attachment.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
    attachment.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    attachment.finalLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
    VkAttachmentReference color_ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkSubpassDescription subpass{};
    subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
    subpass.colorAttachmentCount = 1;
    subpass.pColorAttachments = &color_ref;
    VkRenderPassCreateInfo render_pass_info{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO};
    render_pass_info.attachmentCount = 1;
    render_pass_info.pAttachments = &attachment;
    render_pass_info.subpassCount = 1;
    render_pass_info.pSubpasses = &subpass;
    VkRenderPass render_pass;
    VK_CHECK(vkCreateRenderPass(device, &render_pass_info, nullptr, &render_pass));
    VkFramebufferCreateInfo framebuffer_info{VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO};
    framebuffer_info.renderPass = render_pass;
    framebuffer_info.attachmentCount = 1;
    framebuffer_info.pAttachments = &view;
    framebuffer_info.width = kExtent.width;
    framebuffer_info.height = kExtent.height;
    framebuffer_info.layers = 1;
    VkFramebuffer framebuffer;
    VK_CHECK(vkCreateFramebuffer(device, &framebuffer_info, nullptr, &framebuffer));
    VkSamplerCreateInfo sampler_info{VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO};
    sampler_info.magFilter = VK_FILTER_LINEAR;
    sampler_info.minFilter = VK_FILTER_LINEAR;
    VkSampler sampler;
    VK_CHECK(vkCreateSampler(device, &sampler_info, nullptr, &sampler));

    // The compute pipeline: shader module, set layout, pipeline layout; a descriptor pool with two sets.
    VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    module_info.codeSize = sizeof storage_writes_comp;
    module_info.pCode = storage_writes_comp;
    VkShaderModule module;
    VK_CHECK(vkCreateShaderModule(device, &module_info, nullptr, &module));
    VkDescriptorSetLayoutBinding bindings[2] = {
        {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr},
    };
    VkDescriptorSetLayoutCreateInfo set_layout_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    set_layout_info.bindingCount = 2;
    set_layout_info.pBindings = bindings;
    VkDescriptorSetLayout set_layout;
    VK_CHECK(vkCreateDescriptorSetLayout(device, &set_layout_info, nullptr, &set_layout));
    VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(Parameters)};
    VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout_info.setLayoutCount = 1;
    layout_info.pSetLayouts = &set_layout;
    layout_info.pushConstantRangeCount = 1;
    layout_info.pPushConstantRanges = &push;
    VkPipelineLayout layout;
    VK_CHECK(vkCreatePipelineLayout(device, &layout_info, nullptr, &layout));
    VkComputePipelineCreateInfo pipeline_info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    pipeline_info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    pipeline_info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    pipeline_info.stage.module = module;
    pipeline_info.stage.pName = "main";
    pipeline_info.layout = layout;
    VkPipeline pipeline;
    VK_CHECK(vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &pipeline_info, nullptr, &pipeline));
    VkDescriptorPoolSize pool_size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 4};
    VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pool_info.maxSets = 2;
    pool_info.poolSizeCount = 1;
    pool_info.pPoolSizes = &pool_size;
    VkDescriptorPool descriptor_pool;
    VK_CHECK(vkCreateDescriptorPool(device, &pool_info, nullptr, &descriptor_pool));
    VkDescriptorSetLayout set_layouts[2] = {set_layout, set_layout};
    VkDescriptorSetAllocateInfo set_alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    set_alloc.descriptorPool = descriptor_pool;
    set_alloc.descriptorSetCount = 2;
    set_alloc.pSetLayouts = set_layouts;
    VkDescriptorSet sets[2];
    VK_CHECK(vkAllocateDescriptorSets(device, &set_alloc, sets));
    VkDescriptorBufferInfo buffer_infos[2] = {{plain, 0, VK_WHOLE_SIZE}, {dynamic, 0, VK_WHOLE_SIZE}};
    VkWriteDescriptorSet write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    write.dstSet = sets[0];
    write.dstBinding = 0;
    write.descriptorCount = 2;  // bindings 0 and 1, consecutive
    write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    write.pBufferInfo = buffer_infos;
    vkUpdateDescriptorSets(device, 1, &write, 0, nullptr);

    // Synchronisation objects and a query pool; a command pool with two command buffers.
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    VK_CHECK(vkCreateFence(device, &fence_info, nullptr, &fence));
    VkSemaphoreCreateInfo binary_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkSemaphore binary;
    VK_CHECK(vkCreateSemaphore(device, &binary_info, nullptr, &binary));
    VkSemaphoreTypeCreateInfo timeline_type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
    timeline_type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
    VkSemaphoreCreateInfo timeline_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    timeline_info.pNext = &timeline_type;
    VkSemaphore timeline;
    VK_CHECK(vkCreateSemaphore(device, &timeline_info, nullptr, &timeline));
    VkEventCreateInfo event_info{VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
    VkEvent event;
    VK_CHECK(vkCreateEvent(device, &event_info, nullptr, &event));
    VkQueryPoolCreateInfo query_info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    query_info.queryType = VK_QUERY_TYPE_OCCLUSION;
    query_info.queryCount = 4;
    VkQueryPool query_pool;
    VK_CHECK(vkCreateQueryPool(device, &query_info, nullptr, &query_pool));
    VkCommandPoolCreateInfo command_pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    command_pool_info.queueFamilyIndex = ctx.queue_family();
    VkCommandPool command_pool;
    VK_CHECK(vkCreateCommandPool(device, &command_pool_info, nullptr, &command_pool));
    VkCommandBufferAllocateInfo command_alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    command_alloc.commandPool = command_pool;
    command_alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    command_alloc.commandBufferCount = 2;
    VkCommandBuffer cmds[2];
    VK_CHECK(vkAllocateCommandBuffers(device, &command_alloc, cmds));

    // First submission: the dispatch writes both buffers and sets the event; it signals both semaphores.
    begin_command_buffer(cmds[0]);
    vkCmdBindPipeline(cmds[0], VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    vkCmdBindDescriptorSets(cmds[0], VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &sets[0], 0, nullptr);
    const Parameters parameters{kCount, 0x1eaf5u};
    vkCmdPushConstants(cmds[0], layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof parameters, &parameters);
    vkCmdDispatch(cmds[0], (kCount + kWorkgroupSize - 1) / kWorkgroupSize, 1, 1);
    memory_barrier(cmds[0], VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                   VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
    vkCmdSetEvent(cmds[0], event, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT);
    VK_CHECK(vkEndCommandBuffer(cmds[0]));
    const uint64_t signal_values[2] = {0, 1};
    VkTimelineSemaphoreSubmitInfo timeline_submit{VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO};
    timeline_submit.signalSemaphoreValueCount = 2;
    timeline_submit.pSignalSemaphoreValues = signal_values;
    const VkSemaphore signals[2] = {binary, timeline};
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.pNext = &timeline_submit;
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmds[0];
    submit.signalSemaphoreCount = 2;
    submit.pSignalSemaphores = signals;
    VK_CHECK(vkQueueSubmit(ctx.queue(), 1, &submit, fence));
    VK_CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));

    TextReport report;
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < kCount; ++i) wrong += words[i] != scramble(i ^ parameters.seed);
    require(wrong == 0, "leak_objects: " + std::to_string(wrong) + " words of the dispatch are wrong");
    report.line("dispatch: %u words, fnv1a %08x", kCount, fnv1a(words, bytes));
    report.line("event after the dispatch: %s", vkGetEventStatus(device, event) == VK_EVENT_SET ? "set" : "reset");
    // Waited for too: lavapipe may signal the fence before the timeline semaphore of the same batch.
    const uint64_t first_value = 1;
    VkSemaphoreWaitInfo wait_info{VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO};
    wait_info.semaphoreCount = 1;
    wait_info.pSemaphores = &timeline;
    wait_info.pValues = &first_value;
    VK_CHECK(vkWaitSemaphores(device, &wait_info, UINT64_MAX));
    uint64_t value = 0;
    VK_CHECK(vkGetSemaphoreCounterValue(device, timeline, &value));
    report.line("timeline semaphore: %llu", (unsigned long long)value);

    // Second submission, left in flight: waits for the binary semaphore, clears the image in the render pass
    // around an empty occlusion query, and signals the timeline semaphore again. Nothing waits for it.
    begin_command_buffer(cmds[1]);
    vkCmdResetQueryPool(cmds[1], query_pool, 0, query_info.queryCount);
    VkClearValue clear{};
    clear.color = {{0.25f, 0.5f, 0.75f, 1.0f}};
    VkRenderPassBeginInfo begin{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
    begin.renderPass = render_pass;
    begin.framebuffer = framebuffer;
    begin.renderArea = {{0, 0}, kExtent};
    begin.clearValueCount = 1;
    begin.pClearValues = &clear;
    vkCmdBeginRenderPass(cmds[1], &begin, VK_SUBPASS_CONTENTS_INLINE);
    vkCmdBeginQuery(cmds[1], query_pool, 0, 0);
    vkCmdEndQuery(cmds[1], query_pool, 0);
    vkCmdEndRenderPass(cmds[1]);
    VK_CHECK(vkEndCommandBuffer(cmds[1]));
    const VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
    const uint64_t wait_value = 0, signal_value = 2;
    VkTimelineSemaphoreSubmitInfo second_timeline{VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO};
    second_timeline.waitSemaphoreValueCount = 1;
    second_timeline.pWaitSemaphoreValues = &wait_value;
    second_timeline.signalSemaphoreValueCount = 1;
    second_timeline.pSignalSemaphoreValues = &signal_value;
    VkSubmitInfo second{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    second.pNext = &second_timeline;
    second.waitSemaphoreCount = 1;
    second.pWaitSemaphores = &binary;
    second.pWaitDstStageMask = &wait_stage;
    second.commandBufferCount = 1;
    second.pCommandBuffers = &cmds[1];
    second.signalSemaphoreCount = 1;
    second.pSignalSemaphores = &timeline;
    VK_CHECK(vkQueueSubmit(ctx.queue(), 1, &second, VK_NULL_HANDLE));

    // Named so the compiler sees them used; none is destroyed.
    const uint64_t leaked[] = {
        uint64_t(plain), uint64_t(dynamic), uint64_t(plain_memory), uint64_t(dynamic_memory), uint64_t(buffer_view),
        uint64_t(image), uint64_t(image_memory), uint64_t(view), uint64_t(render_pass), uint64_t(framebuffer),
        uint64_t(sampler), uint64_t(module), uint64_t(set_layout), uint64_t(layout), uint64_t(pipeline),
        uint64_t(descriptor_pool), uint64_t(fence), uint64_t(binary), uint64_t(timeline), uint64_t(event),
        uint64_t(query_pool), uint64_t(command_pool)};
    uint32_t live = 0;
    for (uint64_t handle : leaked) live += handle != 0;
    report.line("left behind: %u objects, 2 descriptor sets, 2 command buffers; %u on a second device", live,
                second_device_leaks);
    return report.bytes();
}

}  // namespace anarchy::testprog
