// Draws the demo scene: a textured, lit torus tumbling in front of the camera. Owns everything the scene
// needs on the device (pipeline, mesh, texture, per-frame-slot uniforms and depth buffers); the colour
// image it draws into comes from the caller, so the same code serves offscreen images and swapchains.
#pragma once

#include "device_object.h"
#include "gpu_buffer.h"
#include "gpu_image.h"
#include "render_target.h"
#include "scene_math.h"

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace anarchy::demo {

class VulkanContext;

/// Per-frame uniforms, laid out as SceneUniforms in shaders/scene_uniforms.glsl (std140).
struct SceneUniforms {
    Mat4 model;
    Mat4 view;
    Mat4 projection;
    float camera_position[4];
    float light_direction[4];
    float params[4];  // x: scene time in seconds
};
static_assert(sizeof(SceneUniforms) == 3 * 64 + 3 * 16, "SceneUniforms must match the std140 block");

class SceneRenderer {
public:
    /// Builds the pipeline for colour targets of `color_format` and uploads the mesh and texture (waiting for
    /// the uploads). `frame_slots` is how many frames may be in flight at once.
    SceneRenderer(const VulkanContext& context, VkFormat color_format, uint32_t frame_slots);

    /// Records into `cmd` the rendering of the scene as it is at frame `frame_index` into `target`, and writes
    /// that frame's uniforms. The scene depends on the frame index alone, never on the clock, so a given frame
    /// always looks the same. The caller must have waited for the previous submission that used `slot`.
    void render_frame(VkCommandBuffer cmd, uint32_t slot, uint64_t frame_index, const RenderTarget& target);

    /// Frames the scene advances per second of scene time.
    static constexpr double kFramesPerSecond = 60.0;

private:
    void create_pipeline();
    void upload_texture();
    void create_descriptors();
    void write_uniforms(uint32_t slot, uint64_t frame_index, VkExtent2D extent);
    /// The slot's depth buffer, (re)created to match `extent`.
    const GpuImage& depth_buffer(uint32_t slot, VkExtent2D extent);

    const VulkanContext& context_;
    const VkFormat color_format_;
    VkFormat depth_format_ = VK_FORMAT_UNDEFINED;
    const uint32_t frame_slots_;

    UniqueDescriptorSetLayout set_layout_;
    UniquePipelineLayout pipeline_layout_;
    UniquePipeline pipeline_;

    std::unique_ptr<GpuBuffer> vertex_buffer_;
    std::unique_ptr<GpuBuffer> index_buffer_;
    uint32_t index_count_ = 0;
    std::unique_ptr<GpuImage> texture_;
    UniqueSampler sampler_;

    // One SceneUniforms per slot, `uniform_stride_` apart, persistently mapped and written by the host
    // while the slot is idle.
    std::unique_ptr<GpuBuffer> uniforms_;
    VkDeviceSize uniform_stride_ = 0;
    UniqueDescriptorPool descriptor_pool_;
    std::vector<VkDescriptorSet> descriptor_sets_;  // one per slot, freed with the pool

    std::vector<std::unique_ptr<GpuImage>> depth_buffers_;  // one per slot, sized to the last target
};

}  // namespace anarchy::demo
