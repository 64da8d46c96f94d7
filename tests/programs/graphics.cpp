// graphics: the scene through dynamic rendering (vkCmdBeginRendering) into 4x MSAA colour and depth, the
// colour resolved to a single-sample image that is read back.
#include "programs.h"
#include "scene.h"

namespace anarchy::testprog {

Output run_graphics(TestContext& ctx) {
    const VkSampleCountFlagBits samples = VK_SAMPLE_COUNT_4_BIT;
    const VkFormat depth_format = ctx.find_depth_format();
    ctx.require_sample_count(kSceneColorFormat, VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT, samples);
    ctx.require_sample_count(depth_format, VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT, samples);

    Scene scene = create_scene(ctx);
    VkPipeline pipeline = create_scene_pipeline(ctx, scene, {VK_NULL_HANDLE, kSceneColorFormat, depth_format, samples});
    Image msaa_color = ctx.create_image(
        {kSceneColorFormat, kSceneExtent, VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT, samples, VK_IMAGE_ASPECT_COLOR_BIT});
    Image msaa_depth = ctx.create_image(
        {depth_format, kSceneExtent, VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT, samples, VK_IMAGE_ASPECT_DEPTH_BIT});
    Image resolved = ctx.create_image(
        {kSceneColorFormat, kSceneExtent, VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT});
    const VkDeviceSize pixel_bytes = VkDeviceSize(kSceneExtent.width) * kSceneExtent.height * 4;
    Buffer readback = ctx.create_buffer(pixel_bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);

    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        const VkPipelineStageFlags2 color_stage = VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT;
        const VkPipelineStageFlags2 depth_stages =
            VK_PIPELINE_STAGE_2_EARLY_FRAGMENT_TESTS_BIT | VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT;
        for (const Image* image : {&msaa_color, &resolved})
            image_barrier(cmd, *image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                          VK_PIPELINE_STAGE_2_NONE, 0, color_stage, VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT);
        image_barrier(cmd, msaa_depth, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL,
                      VK_PIPELINE_STAGE_2_NONE, 0, depth_stages,
                      VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT | VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT);

        VkRenderingAttachmentInfo color{VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO};
        color.imageView = msaa_color.view;
        color.imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
        color.resolveMode = VK_RESOLVE_MODE_AVERAGE_BIT;
        color.resolveImageView = resolved.view;
        color.resolveImageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
        color.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
        color.storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;  // only the resolved image is kept
        color.clearValue = scene_clear_value();
        VkRenderingAttachmentInfo depth{VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO};
        depth.imageView = msaa_depth.view;
        depth.imageLayout = VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL;
        depth.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
        depth.storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
        depth.clearValue.depthStencil = {1.0f, 0};
        VkRenderingInfo rendering{VK_STRUCTURE_TYPE_RENDERING_INFO};
        rendering.renderArea = {{0, 0}, kSceneExtent};
        rendering.layerCount = 1;
        rendering.colorAttachmentCount = 1;
        rendering.pColorAttachments = &color;
        rendering.pDepthAttachment = &depth;
        vkCmdBeginRendering(cmd, &rendering);
        draw_scene(cmd, scene, pipeline, rendering.renderArea, 30.0f);
        vkCmdEndRendering(cmd);

        // The resolve happens in the colour attachment output stage.
        image_barrier(cmd, resolved, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                      color_stage, VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT, VK_PIPELINE_STAGE_2_COPY_BIT,
                      VK_ACCESS_2_TRANSFER_READ_BIT);
        copy_image_to_buffer(cmd, resolved, readback.buffer);
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                       VK_ACCESS_2_HOST_READ_BIT);
    });

    const auto* pixels = readback.as<const uint8_t>();
    require_drawn(pixels, kSceneExtent.width, kSceneExtent.width / 2, kSceneExtent.height / 2, "graphics");
    return encode_pam_rgba(kSceneExtent.width, kSceneExtent.height, pixels);
}

}  // namespace anarchy::testprog
