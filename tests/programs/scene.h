// The textured scene the rendering programs draw: a floor and two intersecting cubes, with vertex, index and
// uniform buffers, a texture uploaded through a staging buffer, a sampler and a depth test. Programs differ
// in how they render it (dynamic rendering with MSAA, a render pass, secondary command buffers, threads).
#pragma once

#include "test_context.h"

namespace anarchy::testprog {

inline constexpr VkFormat kSceneColorFormat = VK_FORMAT_R8G8B8A8_UNORM;
inline constexpr VkExtent2D kSceneExtent{256, 256};
/// The clear colour as stored in kSceneColorFormat; scene_clear_value() is the same as floats.
inline constexpr uint8_t kSceneClearRgba[4] = {51, 51, 51, 255};
VkClearValue scene_clear_value();

struct Scene {
    Buffer vertices;
    Buffer indices;  // uint16, the floor's then the cube's
    Buffer camera;   // uniform buffer: view-projection matrix
    Image texture;
    VkSampler sampler = VK_NULL_HANDLE;
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    VkDescriptorPool descriptor_pool = VK_NULL_HANDLE;
    VkDescriptorSet descriptor_set = VK_NULL_HANDLE;
    VkPipelineLayout pipeline_layout = VK_NULL_HANDLE;
};

/// Creates and uploads everything the scene needs; the camera has a square aspect ratio.
Scene create_scene(TestContext& ctx);

/// What a scene pipeline renders to: a render pass, or (render_pass null) dynamic rendering with these formats.
struct SceneTarget {
    VkRenderPass render_pass = VK_NULL_HANDLE;
    VkFormat color_format = kSceneColorFormat;
    VkFormat depth_format = VK_FORMAT_UNDEFINED;
    VkSampleCountFlagBits samples = VK_SAMPLE_COUNT_1_BIT;
};

/// A pipeline for the scene with dynamic viewport and scissor.
VkPipeline create_scene_pipeline(TestContext& ctx, const Scene& scene, const SceneTarget& target);

/// Binds the pipeline, the buffers and the descriptor set, and sets viewport and scissor to `area`.
void bind_scene(VkCommandBuffer cmd, const Scene& scene, VkPipeline pipeline, VkRect2D area);
/// Draws the floor (after bind_scene).
void draw_floor(VkCommandBuffer cmd, const Scene& scene);
/// Draws the two cubes turned by `angle_degrees`, tinted (after bind_scene).
void draw_cubes(VkCommandBuffer cmd, const Scene& scene, float angle_degrees, const float tint[3]);
/// bind_scene, draw_floor and draw_cubes with a white tint.
void draw_scene(VkCommandBuffer cmd, const Scene& scene, VkPipeline pipeline, VkRect2D area, float angle_degrees);

/// Throws unless pixel (x, y) of a tightly packed RGBA8 image `width` wide differs from the clear colour.
void require_drawn(const uint8_t* rgba, uint32_t width, uint32_t x, uint32_t y, const char* what);

}  // namespace anarchy::testprog
