#include "scene_renderer.h"

#include "scene_frag_spv.h"
#include "scene_mesh.h"
#include "scene_texture.h"
#include "scene_vert_spv.h"
#include "vulkan_context.h"
#include "vulkan_error.h"

#include <cstddef>
#include <cstring>
#include <numbers>

namespace anarchy::demo {
namespace {

constexpr uint32_t kTextureSize = 256;
constexpr VkFormat kTextureFormat = VK_FORMAT_R8G8B8A8_SRGB;
constexpr VkClearColorValue kBackground = {{0.015f, 0.02f, 0.035f, 1.0f}};

VkFormat pick_depth_format(const VulkanContext& context) {
    // D16 is the only one every device must support; prefer more precision.
    for (VkFormat format : {VK_FORMAT_D32_SFLOAT, VK_FORMAT_X8_D24_UNORM_PACK32, VK_FORMAT_D24_UNORM_S8_UINT,
                            VK_FORMAT_D32_SFLOAT_S8_UINT, VK_FORMAT_D16_UNORM}) {
        VkFormatProperties properties;
        vkGetPhysicalDeviceFormatProperties(context.physical_device(), format, &properties);
        if (properties.optimalTilingFeatures & VK_FORMAT_FEATURE_DEPTH_STENCIL_ATTACHMENT_BIT) return format;
    }
    throw VulkanError("the device supports no depth attachment format");
}

bool has_stencil(VkFormat format) {
    return format == VK_FORMAT_D24_UNORM_S8_UINT || format == VK_FORMAT_D32_SFLOAT_S8_UINT ||
           format == VK_FORMAT_D16_UNORM_S8_UINT;
}

UniqueShaderModule create_shader(VkDevice device, const uint32_t* code, size_t bytes) {
    VkShaderModuleCreateInfo info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    info.codeSize = bytes;
    info.pCode = code;
    UniqueShaderModule module;
    VK_CHECK(vkCreateShaderModule(device, &info, nullptr, module.put(device)));
    return module;
}

void copy_vec3(float (&out)[4], Vec3 v) {
    out[0] = v.x;
    out[1] = v.y;
    out[2] = v.z;
    out[3] = 0.0f;
}

}  // namespace

SceneRenderer::SceneRenderer(const VulkanContext& context, VkFormat color_format, uint32_t frame_slots)
    : context_(context), color_format_(color_format), frame_slots_(frame_slots) {
    depth_format_ = pick_depth_format(context);
    create_pipeline();

    const Mesh torus = make_torus(1.0f, 0.42f, 96, 48, 6.0f);
    vertex_buffer_ = std::make_unique<GpuBuffer>(GpuBuffer::upload(
        context, torus.vertices.data(), torus.vertices.size() * sizeof(Vertex), VK_BUFFER_USAGE_VERTEX_BUFFER_BIT));
    index_buffer_ = std::make_unique<GpuBuffer>(GpuBuffer::upload(
        context, torus.indices.data(), torus.indices.size() * sizeof(uint32_t), VK_BUFFER_USAGE_INDEX_BUFFER_BIT));
    index_count_ = uint32_t(torus.indices.size());

    upload_texture();
    create_descriptors();
    depth_buffers_.resize(frame_slots);
}

void SceneRenderer::create_pipeline() {
    VkDevice device = context_.device();

    VkDescriptorSetLayoutBinding bindings[2] = {};
    bindings[0].binding = 0;
    bindings[0].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER;
    bindings[0].descriptorCount = 1;
    bindings[0].stageFlags = VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT;
    bindings[1].binding = 1;
    bindings[1].descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
    bindings[1].descriptorCount = 1;
    bindings[1].stageFlags = VK_SHADER_STAGE_FRAGMENT_BIT;
    VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    set_info.bindingCount = 2;
    set_info.pBindings = bindings;
    VK_CHECK(vkCreateDescriptorSetLayout(device, &set_info, nullptr, set_layout_.put(device)));

    VkDescriptorSetLayout set_layout = set_layout_.get();
    VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout_info.setLayoutCount = 1;
    layout_info.pSetLayouts = &set_layout;
    VK_CHECK(vkCreatePipelineLayout(device, &layout_info, nullptr, pipeline_layout_.put(device)));

    UniqueShaderModule vertex_shader = create_shader(device, scene_vert_spv, sizeof(scene_vert_spv));
    UniqueShaderModule fragment_shader = create_shader(device, scene_frag_spv, sizeof(scene_frag_spv));
    VkPipelineShaderStageCreateInfo stages[2] = {};
    stages[0].sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    stages[0].stage = VK_SHADER_STAGE_VERTEX_BIT;
    stages[0].module = vertex_shader.get();
    stages[0].pName = "main";
    stages[1].sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    stages[1].stage = VK_SHADER_STAGE_FRAGMENT_BIT;
    stages[1].module = fragment_shader.get();
    stages[1].pName = "main";

    VkVertexInputBindingDescription binding{0, sizeof(Vertex), VK_VERTEX_INPUT_RATE_VERTEX};
    VkVertexInputAttributeDescription attributes[3] = {
        {0, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(Vertex, position)},
        {1, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(Vertex, normal)},
        {2, 0, VK_FORMAT_R32G32_SFLOAT, offsetof(Vertex, uv)},
    };
    VkPipelineVertexInputStateCreateInfo vertex_input{VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
    vertex_input.vertexBindingDescriptionCount = 1;
    vertex_input.pVertexBindingDescriptions = &binding;
    vertex_input.vertexAttributeDescriptionCount = 3;
    vertex_input.pVertexAttributeDescriptions = attributes;

    VkPipelineInputAssemblyStateCreateInfo input_assembly{VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO};
    input_assembly.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;

    // Viewport and scissor are dynamic so one pipeline serves targets of any size (a resized window too).
    VkPipelineViewportStateCreateInfo viewport{VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO};
    viewport.viewportCount = 1;
    viewport.scissorCount = 1;
    VkDynamicState dynamic_states[] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
    VkPipelineDynamicStateCreateInfo dynamic{VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO};
    dynamic.dynamicStateCount = 2;
    dynamic.pDynamicStates = dynamic_states;

    VkPipelineRasterizationStateCreateInfo raster{VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO};
    raster.polygonMode = VK_POLYGON_MODE_FILL;
    raster.cullMode = VK_CULL_MODE_BACK_BIT;
    raster.frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE;
    raster.lineWidth = 1.0f;

    VkPipelineMultisampleStateCreateInfo multisample{VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO};
    multisample.rasterizationSamples = VK_SAMPLE_COUNT_1_BIT;

    VkPipelineDepthStencilStateCreateInfo depth{VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO};
    depth.depthTestEnable = VK_TRUE;
    depth.depthWriteEnable = VK_TRUE;
    depth.depthCompareOp = VK_COMPARE_OP_LESS;

    VkPipelineColorBlendAttachmentState blend_attachment{};
    blend_attachment.colorWriteMask =
        VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT | VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT;
    VkPipelineColorBlendStateCreateInfo blend{VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO};
    blend.attachmentCount = 1;
    blend.pAttachments = &blend_attachment;

    VkPipelineRenderingCreateInfo rendering{VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO};
    rendering.colorAttachmentCount = 1;
    rendering.pColorAttachmentFormats = &color_format_;
    rendering.depthAttachmentFormat = depth_format_;

    VkGraphicsPipelineCreateInfo info{VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO};
    info.pNext = &rendering;
    info.stageCount = 2;
    info.pStages = stages;
    info.pVertexInputState = &vertex_input;
    info.pInputAssemblyState = &input_assembly;
    info.pViewportState = &viewport;
    info.pRasterizationState = &raster;
    info.pMultisampleState = &multisample;
    info.pDepthStencilState = &depth;
    info.pColorBlendState = &blend;
    info.pDynamicState = &dynamic;
    info.layout = pipeline_layout_.get();
    VK_CHECK(vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &info, nullptr, pipeline_.put(device)));
}

void SceneRenderer::upload_texture() {
    VkFormatProperties properties;
    vkGetPhysicalDeviceFormatProperties(context_.physical_device(), kTextureFormat, &properties);
    const VkFormatFeatureFlags needed = VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT |
                                        VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT |
                                        VK_FORMAT_FEATURE_TRANSFER_DST_BIT;
    if ((properties.optimalTilingFeatures & needed) != needed) {
        throw VulkanError("VK_FORMAT_R8G8B8A8_SRGB cannot be a linearly filtered, copied-to texture on this device");
    }

    // All mip levels go through one staging buffer in a single submission.
    const std::vector<TextureMip> mips = make_brick_texture(kTextureSize);
    std::vector<uint8_t> texels;
    std::vector<VkBufferImageCopy> regions;
    for (uint32_t level = 0; level < mips.size(); ++level) {
        VkBufferImageCopy region{};
        region.bufferOffset = texels.size();  // a multiple of 4, as a 4-byte texel format requires
        region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, level, 0, 1};
        region.imageExtent = {mips[level].width, mips[level].height, 1};
        regions.push_back(region);
        texels.insert(texels.end(), mips[level].rgba.begin(), mips[level].rgba.end());
    }
    GpuBuffer staging(context_, texels.size(), VK_BUFFER_USAGE_TRANSFER_SRC_BIT, GpuBuffer::Access::HostMapped);
    std::memcpy(staging.mapped(), texels.data(), texels.size());

    texture_ = std::make_unique<GpuImage>(context_, VkExtent2D{kTextureSize, kTextureSize}, kTextureFormat,
                                          VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT,
                                          VK_IMAGE_ASPECT_COLOR_BIT, uint32_t(mips.size()));
    context_.submit_and_wait([&](VkCommandBuffer cmd) {
        VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
        barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        barrier.image = texture_->image();
        barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, texture_->mip_levels(), 0, 1};
        barrier.srcAccessMask = 0;
        barrier.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
        barrier.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
        barrier.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr,
                             0, nullptr, 1, &barrier);
        vkCmdCopyBufferToImage(cmd, staging.buffer(), texture_->image(), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                               uint32_t(regions.size()), regions.data());
        barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
        barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
        barrier.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
        barrier.newLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT, 0, 0,
                             nullptr, 0, nullptr, 1, &barrier);
    });

    VkSamplerCreateInfo sampler{VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO};
    sampler.magFilter = VK_FILTER_LINEAR;
    sampler.minFilter = VK_FILTER_LINEAR;
    sampler.mipmapMode = VK_SAMPLER_MIPMAP_MODE_LINEAR;
    sampler.addressModeU = VK_SAMPLER_ADDRESS_MODE_REPEAT;
    sampler.addressModeV = VK_SAMPLER_ADDRESS_MODE_REPEAT;
    sampler.addressModeW = VK_SAMPLER_ADDRESS_MODE_REPEAT;
    sampler.maxLod = VK_LOD_CLAMP_NONE;
    VK_CHECK(vkCreateSampler(context_.device(), &sampler, nullptr, sampler_.put(context_.device())));
}

void SceneRenderer::create_descriptors() {
    VkDevice device = context_.device();
    const VkDeviceSize alignment = context_.properties().limits.minUniformBufferOffsetAlignment;
    uniform_stride_ = (sizeof(SceneUniforms) + alignment - 1) / alignment * alignment;
    uniforms_ = std::make_unique<GpuBuffer>(context_, uniform_stride_ * frame_slots_,
                                            VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT, GpuBuffer::Access::HostMapped);

    VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, frame_slots_},
                                     {VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, frame_slots_}};
    VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pool_info.maxSets = frame_slots_;
    pool_info.poolSizeCount = 2;
    pool_info.pPoolSizes = sizes;
    VK_CHECK(vkCreateDescriptorPool(device, &pool_info, nullptr, descriptor_pool_.put(device)));

    std::vector<VkDescriptorSetLayout> layouts(frame_slots_, set_layout_.get());
    VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    alloc.descriptorPool = descriptor_pool_.get();
    alloc.descriptorSetCount = frame_slots_;
    alloc.pSetLayouts = layouts.data();
    descriptor_sets_.resize(frame_slots_);
    VK_CHECK(vkAllocateDescriptorSets(device, &alloc, descriptor_sets_.data()));

    for (uint32_t slot = 0; slot < frame_slots_; ++slot) {
        VkDescriptorBufferInfo buffer{uniforms_->buffer(), uniform_stride_ * slot, sizeof(SceneUniforms)};
        VkDescriptorImageInfo image{sampler_.get(), texture_->view(), VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
        VkWriteDescriptorSet writes[2] = {};
        writes[0].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
        writes[0].dstSet = descriptor_sets_[slot];
        writes[0].dstBinding = 0;
        writes[0].descriptorCount = 1;
        writes[0].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER;
        writes[0].pBufferInfo = &buffer;
        writes[1].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
        writes[1].dstSet = descriptor_sets_[slot];
        writes[1].dstBinding = 1;
        writes[1].descriptorCount = 1;
        writes[1].descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
        writes[1].pImageInfo = &image;
        vkUpdateDescriptorSets(device, 2, writes, 0, nullptr);
    }
}

void SceneRenderer::write_uniforms(uint32_t slot, uint64_t frame_index, VkExtent2D extent) {
    const float time = float(double(frame_index) / kFramesPerSecond);
    const Vec3 eye{0.0f, 1.1f, 4.0f};
    const Vec3 light = normalize({-0.55f, -0.75f, -0.45f});

    SceneUniforms uniforms{};
    uniforms.model = rotation({0.0f, 1.0f, 0.0f}, time * 0.7f) * rotation({1.0f, 0.0f, 0.0f}, 1.0f + time * 0.65f);
    uniforms.view = look_at(eye, {0.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f});
    uniforms.projection = perspective(std::numbers::pi_v<float> / 4.0f, float(extent.width) / float(extent.height),
                                      0.1f, 50.0f);
    copy_vec3(uniforms.camera_position, eye);
    copy_vec3(uniforms.light_direction, light);
    uniforms.params[0] = time;

    // The slot's previous frame has completed (the caller waited for its fence), so the host may overwrite it;
    // the memory is coherent and the submission that follows makes the write visible to the device.
    std::memcpy(static_cast<uint8_t*>(uniforms_->mapped()) + uniform_stride_ * slot, &uniforms, sizeof uniforms);
}

const GpuImage& SceneRenderer::depth_buffer(uint32_t slot, VkExtent2D extent) {
    std::unique_ptr<GpuImage>& depth = depth_buffers_.at(slot);
    if (!depth || depth->extent().width != extent.width || depth->extent().height != extent.height) {
        depth = std::make_unique<GpuImage>(context_, extent, depth_format_, VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT,
                                           VK_IMAGE_ASPECT_DEPTH_BIT);
    }
    return *depth;
}

void SceneRenderer::render_frame(VkCommandBuffer cmd, uint32_t slot, uint64_t frame_index, const RenderTarget& target) {
    write_uniforms(slot, frame_index, target.extent);
    const GpuImage& depth = depth_buffer(slot, target.extent);

    // Both images start UNDEFINED each frame: their old contents are cleared anyway. The colour image waits
    // for its previous use (a readback, or presentation through the acquire semaphore's stage), the depth
    // buffer for the slot's previous frame.
    VkImageMemoryBarrier to_attachment[2] = {};
    to_attachment[0].sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER;
    to_attachment[0].srcAccessMask = 0;
    to_attachment[0].dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    to_attachment[0].oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    to_attachment[0].newLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    to_attachment[0].srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_attachment[0].dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_attachment[0].image = target.image;
    to_attachment[0].subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    to_attachment[1].sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER;
    to_attachment[1].srcAccessMask = VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT;
    to_attachment[1].dstAccessMask =
        VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_READ_BIT | VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT;
    to_attachment[1].oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    to_attachment[1].newLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL;
    to_attachment[1].srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_attachment[1].dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_attachment[1].image = depth.image();
    to_attachment[1].subresourceRange = {
        VkImageAspectFlags(VK_IMAGE_ASPECT_DEPTH_BIT | (has_stencil(depth_format_) ? VK_IMAGE_ASPECT_STENCIL_BIT : 0)),
        0, 1, 0, 1};
    vkCmdPipelineBarrier(cmd,
                         target.final_stage | VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT |
                             VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT,
                         VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT |
                             VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT,
                         0, 0, nullptr, 0, nullptr, 2, to_attachment);

    VkRenderingAttachmentInfo color_attachment{VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO};
    color_attachment.imageView = target.view;
    color_attachment.imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    color_attachment.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
    color_attachment.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
    color_attachment.clearValue.color = kBackground;
    VkRenderingAttachmentInfo depth_attachment{VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO};
    depth_attachment.imageView = depth.view();
    depth_attachment.imageLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL;
    depth_attachment.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
    depth_attachment.storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
    depth_attachment.clearValue.depthStencil = {1.0f, 0};

    VkRenderingInfo rendering{VK_STRUCTURE_TYPE_RENDERING_INFO};
    rendering.renderArea = {{0, 0}, target.extent};
    rendering.layerCount = 1;
    rendering.colorAttachmentCount = 1;
    rendering.pColorAttachments = &color_attachment;
    rendering.pDepthAttachment = &depth_attachment;
    vkCmdBeginRendering(cmd, &rendering);

    VkViewport viewport{0.0f, 0.0f, float(target.extent.width), float(target.extent.height), 0.0f, 1.0f};
    VkRect2D scissor{{0, 0}, target.extent};
    vkCmdSetViewport(cmd, 0, 1, &viewport);
    vkCmdSetScissor(cmd, 0, 1, &scissor);
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline_.get());
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline_layout_.get(), 0, 1,
                            &descriptor_sets_.at(slot), 0, nullptr);
    VkBuffer vertex_buffer = vertex_buffer_->buffer();
    VkDeviceSize vertex_offset = 0;
    vkCmdBindVertexBuffers(cmd, 0, 1, &vertex_buffer, &vertex_offset);
    vkCmdBindIndexBuffer(cmd, index_buffer_->buffer(), 0, VK_INDEX_TYPE_UINT32);
    vkCmdDrawIndexed(cmd, index_count_, 1, 0, 0, 0);
    vkCmdEndRendering(cmd);

    VkImageMemoryBarrier to_final{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    to_final.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    to_final.dstAccessMask = target.final_access;
    to_final.oldLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    to_final.newLayout = target.final_layout;
    to_final.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_final.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_final.image = target.image;
    to_final.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, target.final_stage, 0, 0, nullptr, 0,
                         nullptr, 1, &to_final);
}

}  // namespace anarchy::demo
