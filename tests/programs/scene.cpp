#include "scene.h"

#include "scene_frag.h"
#include "scene_vert.h"

#include <array>
#include <cmath>
#include <cstring>

namespace anarchy::testprog {

namespace {

struct Vertex {
    float position[3];
    float uv[2];
    float color[3];
};

// Column-major, as GLSL reads it.
struct Mat4 {
    float m[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
};

struct ObjectConstants {  // matches `Object` in scene.vert
    Mat4 model;
    float tint[4];
};

constexpr float kPi = 3.14159265358979f;
constexpr uint32_t kTextureSize = 64;
constexpr uint32_t kFloorFirstIndex = 0;
constexpr uint32_t kFloorIndexCount = 6;
constexpr uint32_t kCubeFirstIndex = 6;
constexpr uint32_t kCubeIndexCount = 36;

Mat4 multiply(const Mat4& a, const Mat4& b) {
    Mat4 r;
    for (int col = 0; col < 4; ++col)
        for (int row = 0; row < 4; ++row) {
            float sum = 0;
            for (int k = 0; k < 4; ++k) sum += a.m[k * 4 + row] * b.m[col * 4 + k];
            r.m[col * 4 + row] = sum;
        }
    return r;
}

// Right-handed view space, Vulkan clip space: y points down, depth runs 0..1.
Mat4 perspective(float fov_y_degrees, float aspect, float near, float far) {
    float f = 1.0f / std::tan(fov_y_degrees * kPi / 360.0f);
    Mat4 r;
    r.m[0] = f / aspect;
    r.m[5] = -f;
    r.m[10] = far / (near - far);
    r.m[11] = -1.0f;
    r.m[14] = near * far / (near - far);
    r.m[15] = 0.0f;
    return r;
}

Mat4 look_at(const float eye[3], const float center[3]) {
    auto normalize = [](std::array<float, 3> v) {
        float length = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        return std::array<float, 3>{v[0] / length, v[1] / length, v[2] / length};
    };
    auto cross = [](std::array<float, 3> a, std::array<float, 3> b) {
        return std::array<float, 3>{a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    };
    auto dot = [](std::array<float, 3> a, const float* b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; };
    auto f = normalize({center[0] - eye[0], center[1] - eye[1], center[2] - eye[2]});
    auto s = normalize(cross(f, {0, 1, 0}));
    auto u = cross(s, f);
    Mat4 r;
    for (int i = 0; i < 3; ++i) {
        r.m[i * 4 + 0] = s[i];
        r.m[i * 4 + 1] = u[i];
        r.m[i * 4 + 2] = -f[i];
    }
    r.m[12] = -dot(s, eye);
    r.m[13] = -dot(u, eye);
    r.m[14] = dot(f, eye);
    return r;
}

Mat4 rotation(float degrees, int axis) {  // axis 0 = x, 1 = y
    float c = std::cos(degrees * kPi / 180.0f), s = std::sin(degrees * kPi / 180.0f);
    Mat4 r;
    if (axis == 0) {
        r.m[5] = c, r.m[6] = s, r.m[9] = -s, r.m[10] = c;
    } else {
        r.m[0] = c, r.m[2] = -s, r.m[8] = s, r.m[10] = c;
    }
    return r;
}

Mat4 translate_scale(float x, float y, float z, float scale) {
    Mat4 r;
    r.m[0] = r.m[5] = r.m[10] = scale;
    r.m[12] = x, r.m[13] = y, r.m[14] = z;
    return r;
}

std::vector<Vertex> scene_vertices() {
    std::vector<Vertex> vertices = {
        // Floor: the texture repeats four times across it.
        {{-3, -0.8f, -3}, {0, 0}, {0.8f, 0.8f, 0.8f}},
        {{3, -0.8f, -3}, {4, 0}, {0.8f, 0.8f, 0.8f}},
        {{3, -0.8f, 3}, {4, 4}, {0.8f, 0.8f, 0.8f}},
        {{-3, -0.8f, 3}, {0, 4}, {0.8f, 0.8f, 0.8f}},
    };
    // Unit cube, four vertices per face so every face has its own texture coordinates and colour.
    const float face_colors[6][3] = {{1, 0.4f, 0.4f}, {0.4f, 1, 0.4f}, {0.4f, 0.4f, 1},
                                     {1, 1, 0.4f},    {0.4f, 1, 1},    {1, 0.4f, 1}};
    for (int face = 0; face < 6; ++face) {
        int axis = face / 2;
        float sign = face % 2 ? -1.0f : 1.0f;
        for (int corner = 0; corner < 4; ++corner) {
            float a = (corner == 1 || corner == 2) ? 1.0f : -1.0f;
            float b = corner >= 2 ? 1.0f : -1.0f;
            Vertex v{};
            v.position[axis] = sign;
            v.position[(axis + 1) % 3] = a;
            v.position[(axis + 2) % 3] = b;
            v.uv[0] = (a + 1) / 2;
            v.uv[1] = (b + 1) / 2;
            std::memcpy(v.color, face_colors[face], sizeof v.color);
            vertices.push_back(v);
        }
    }
    return vertices;
}

std::vector<uint16_t> scene_indices() {
    std::vector<uint16_t> indices = {0, 1, 2, 0, 2, 3};
    for (uint16_t face = 0; face < 6; ++face) {
        uint16_t base = uint16_t(4 + face * 4);
        for (uint16_t i : {0, 1, 2, 0, 2, 3}) indices.push_back(uint16_t(base + i));
    }
    return indices;
}

// A checkerboard with a gradient, so that wrong texture coordinates or a wrong row pitch show.
std::vector<uint8_t> texture_pixels() {
    std::vector<uint8_t> pixels(kTextureSize * kTextureSize * 4);
    for (uint32_t y = 0; y < kTextureSize; ++y)
        for (uint32_t x = 0; x < kTextureSize; ++x) {
            uint8_t* p = &pixels[(y * kTextureSize + x) * 4];
            bool light = ((x / 8) + (y / 8)) % 2 == 0;
            p[0] = uint8_t(light ? 255 : 60 + x);
            p[1] = uint8_t(light ? 230 : 60 + y);
            p[2] = uint8_t(light ? 200 : 120);
            p[3] = 255;
        }
    return pixels;
}

Image create_texture(TestContext& ctx) {
    ctx.require_format_features(VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT);
    Image texture = ctx.create_image({VK_FORMAT_R8G8B8A8_UNORM,
                                      {kTextureSize, kTextureSize},
                                      VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT});
    std::vector<uint8_t> pixels = texture_pixels();
    Buffer staging = ctx.create_buffer(pixels.size(), VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    std::memcpy(staging.mapped, pixels.data(), pixels.size());
    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        image_barrier(cmd, texture, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                      VK_PIPELINE_STAGE_2_NONE, 0, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT);
        VkBufferImageCopy region{};
        region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
        region.imageExtent = {kTextureSize, kTextureSize, 1};
        vkCmdCopyBufferToImage(cmd, staging.buffer, texture.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
        image_barrier(cmd, texture, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
                      VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                      VK_PIPELINE_STAGE_2_FRAGMENT_SHADER_BIT, VK_ACCESS_2_SHADER_SAMPLED_READ_BIT);
    });
    return texture;
}

void push_object(VkCommandBuffer cmd, const Scene& scene, const Mat4& model, const float tint[3]) {
    ObjectConstants constants{model, {tint[0], tint[1], tint[2], 1.0f}};
    vkCmdPushConstants(cmd, scene.pipeline_layout, VK_SHADER_STAGE_VERTEX_BIT, 0, sizeof constants, &constants);
}

}  // namespace

VkClearValue scene_clear_value() {
    VkClearValue value{};
    for (int i = 0; i < 4; ++i) value.color.float32[i] = kSceneClearRgba[i] / 255.0f;
    return value;
}

Scene create_scene(TestContext& ctx) {
    VkDevice device = ctx.device();
    Scene scene;
    std::vector<Vertex> vertices = scene_vertices();
    std::vector<uint16_t> indices = scene_indices();
    scene.vertices = ctx.create_buffer_with_data(vertices.data(), vertices.size() * sizeof(Vertex),
                                                 VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    scene.indices = ctx.create_buffer_with_data(indices.data(), indices.size() * sizeof(uint16_t),
                                                VK_BUFFER_USAGE_INDEX_BUFFER_BIT);

    const float eye[3] = {2.6f, 2.4f, 4.2f}, center[3] = {0, 0, 0};
    Mat4 view_projection = multiply(perspective(50.0f, 1.0f, 0.1f, 20.0f), look_at(eye, center));
    scene.camera = ctx.create_buffer(sizeof(Mat4), VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT,
                                     VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    std::memcpy(scene.camera.mapped, &view_projection, sizeof view_projection);

    scene.texture = create_texture(ctx);
    VkSamplerCreateInfo sampler{VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO};
    sampler.magFilter = VK_FILTER_LINEAR;
    sampler.minFilter = VK_FILTER_LINEAR;
    sampler.mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST;
    sampler.addressModeU = sampler.addressModeV = sampler.addressModeW = VK_SAMPLER_ADDRESS_MODE_REPEAT;
    sampler.maxLod = 0.0f;
    VK_CHECK(vkCreateSampler(device, &sampler, nullptr, &scene.sampler));
    ctx.own(scene.sampler, vkDestroySampler);

    VkDescriptorSetLayoutBinding bindings[2] = {
        {0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1, VK_SHADER_STAGE_VERTEX_BIT, nullptr},
        {1, VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1, VK_SHADER_STAGE_FRAGMENT_BIT, nullptr},
    };
    VkDescriptorSetLayoutCreateInfo set_layout{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    set_layout.bindingCount = 2;
    set_layout.pBindings = bindings;
    VK_CHECK(vkCreateDescriptorSetLayout(device, &set_layout, nullptr, &scene.set_layout));
    ctx.own(scene.set_layout, vkDestroyDescriptorSetLayout);

    VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1},
                                     {VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1}};
    VkDescriptorPoolCreateInfo pool{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pool.maxSets = 1;
    pool.poolSizeCount = 2;
    pool.pPoolSizes = sizes;
    VK_CHECK(vkCreateDescriptorPool(device, &pool, nullptr, &scene.descriptor_pool));
    ctx.own(scene.descriptor_pool, vkDestroyDescriptorPool);
    VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    alloc.descriptorPool = scene.descriptor_pool;
    alloc.descriptorSetCount = 1;
    alloc.pSetLayouts = &scene.set_layout;
    VK_CHECK(vkAllocateDescriptorSets(device, &alloc, &scene.descriptor_set));

    VkDescriptorBufferInfo camera_info{scene.camera.buffer, 0, VK_WHOLE_SIZE};
    VkDescriptorImageInfo texture_info{scene.sampler, scene.texture.view, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
    VkWriteDescriptorSet writes[2] = {{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET},
                                      {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET}};
    writes[0].dstSet = scene.descriptor_set;
    writes[0].dstBinding = 0;
    writes[0].descriptorCount = 1;
    writes[0].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER;
    writes[0].pBufferInfo = &camera_info;
    writes[1].dstSet = scene.descriptor_set;
    writes[1].dstBinding = 1;
    writes[1].descriptorCount = 1;
    writes[1].descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
    writes[1].pImageInfo = &texture_info;
    vkUpdateDescriptorSets(device, 2, writes, 0, nullptr);

    VkPushConstantRange push{VK_SHADER_STAGE_VERTEX_BIT, 0, sizeof(ObjectConstants)};
    VkPipelineLayoutCreateInfo layout{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout.setLayoutCount = 1;
    layout.pSetLayouts = &scene.set_layout;
    layout.pushConstantRangeCount = 1;
    layout.pPushConstantRanges = &push;
    VK_CHECK(vkCreatePipelineLayout(device, &layout, nullptr, &scene.pipeline_layout));
    ctx.own(scene.pipeline_layout, vkDestroyPipelineLayout);
    return scene;
}

VkPipeline create_scene_pipeline(TestContext& ctx, const Scene& scene, const SceneTarget& target) {
    VkPipelineShaderStageCreateInfo stages[2] = {{VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO},
                                                 {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO}};
    stages[0].stage = VK_SHADER_STAGE_VERTEX_BIT;
    stages[0].module = ctx.create_shader_module(scene_vert);
    stages[0].pName = "main";
    stages[1].stage = VK_SHADER_STAGE_FRAGMENT_BIT;
    stages[1].module = ctx.create_shader_module(scene_frag);
    stages[1].pName = "main";

    VkVertexInputBindingDescription binding{0, sizeof(Vertex), VK_VERTEX_INPUT_RATE_VERTEX};
    VkVertexInputAttributeDescription attributes[3] = {
        {0, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(Vertex, position)},
        {1, 0, VK_FORMAT_R32G32_SFLOAT, offsetof(Vertex, uv)},
        {2, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(Vertex, color)},
    };
    VkPipelineVertexInputStateCreateInfo vertex_input{VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
    vertex_input.vertexBindingDescriptionCount = 1;
    vertex_input.pVertexBindingDescriptions = &binding;
    vertex_input.vertexAttributeDescriptionCount = 3;
    vertex_input.pVertexAttributeDescriptions = attributes;
    VkPipelineInputAssemblyStateCreateInfo input_assembly{VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO};
    input_assembly.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
    VkPipelineViewportStateCreateInfo viewport{VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO};
    viewport.viewportCount = 1;
    viewport.scissorCount = 1;
    VkPipelineRasterizationStateCreateInfo raster{VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO};
    raster.polygonMode = VK_POLYGON_MODE_FILL;
    raster.cullMode = VK_CULL_MODE_NONE;  // the depth test alone decides what is visible
    raster.frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE;
    raster.lineWidth = 1.0f;
    VkPipelineMultisampleStateCreateInfo multisample{VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO};
    multisample.rasterizationSamples = target.samples;
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
    VkDynamicState dynamic_states[2] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
    VkPipelineDynamicStateCreateInfo dynamic{VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO};
    dynamic.dynamicStateCount = 2;
    dynamic.pDynamicStates = dynamic_states;

    VkPipelineRenderingCreateInfo rendering{VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO};
    rendering.colorAttachmentCount = 1;
    rendering.pColorAttachmentFormats = &target.color_format;
    rendering.depthAttachmentFormat = target.depth_format;

    VkGraphicsPipelineCreateInfo info{VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO};
    info.pNext = target.render_pass ? nullptr : &rendering;
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
    info.layout = scene.pipeline_layout;
    info.renderPass = target.render_pass;
    VkPipeline pipeline;
    VK_CHECK(vkCreateGraphicsPipelines(ctx.device(), VK_NULL_HANDLE, 1, &info, nullptr, &pipeline));
    return ctx.own(pipeline, vkDestroyPipeline);
}

void bind_scene(VkCommandBuffer cmd, const Scene& scene, VkPipeline pipeline, VkRect2D area) {
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
    VkViewport viewport{
        float(area.offset.x), float(area.offset.y), float(area.extent.width), float(area.extent.height), 0.0f, 1.0f};
    vkCmdSetViewport(cmd, 0, 1, &viewport);
    vkCmdSetScissor(cmd, 0, 1, &area);
    VkDeviceSize offset = 0;
    vkCmdBindVertexBuffers(cmd, 0, 1, &scene.vertices.buffer, &offset);
    vkCmdBindIndexBuffer(cmd, scene.indices.buffer, 0, VK_INDEX_TYPE_UINT16);
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, scene.pipeline_layout, 0, 1, &scene.descriptor_set, 0,
                            nullptr);
}

void draw_floor(VkCommandBuffer cmd, const Scene& scene) {
    const float white[3] = {1, 1, 1};
    push_object(cmd, scene, Mat4{}, white);
    vkCmdDrawIndexed(cmd, kFloorIndexCount, 1, kFloorFirstIndex, 0, 0);
}

void draw_cubes(VkCommandBuffer cmd, const Scene& scene, float angle_degrees, const float tint[3]) {
    // A large cube tilted and turned about its centre, and a small darker one cutting into it.
    Mat4 large = multiply(rotation(angle_degrees, 1), multiply(rotation(20.0f, 0), translate_scale(0, 0, 0, 0.8f)));
    push_object(cmd, scene, large, tint);
    vkCmdDrawIndexed(cmd, kCubeIndexCount, 1, kCubeFirstIndex, 0, 0);
    Mat4 small = multiply(translate_scale(0.75f, 0.35f, 0.55f, 0.45f), rotation(-2.0f * angle_degrees, 1));
    const float darker[3] = {tint[0] * 0.55f, tint[1] * 0.55f, tint[2] * 0.55f};
    push_object(cmd, scene, small, darker);
    vkCmdDrawIndexed(cmd, kCubeIndexCount, 1, kCubeFirstIndex, 0, 0);
}

void draw_scene(VkCommandBuffer cmd, const Scene& scene, VkPipeline pipeline, VkRect2D area, float angle_degrees) {
    const float white[3] = {1, 1, 1};
    bind_scene(cmd, scene, pipeline, area);
    draw_floor(cmd, scene);
    draw_cubes(cmd, scene, angle_degrees, white);
}

void require_drawn(const uint8_t* rgba, uint32_t width, uint32_t x, uint32_t y, const char* what) {
    const uint8_t* pixel = rgba + (size_t(y) * width + x) * 4;
    require(std::memcmp(pixel, kSceneClearRgba, 4) != 0, std::string(what) + ": pixel (" + std::to_string(x) + "," +
                                                             std::to_string(y) +
                                                             ") still has the clear colour; nothing was drawn there");
}

}  // namespace anarchy::testprog
