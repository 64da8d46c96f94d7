// secondary: the scene drawn by secondary command buffers inside dynamic rendering (inheriting the
// attachment formats through VkCommandBufferInheritanceRenderingInfo), and the read-back recorded in a
// secondary executed outside rendering; the primary only begins and ends rendering and executes them.
#include "programs.h"
#include "scene.h"

namespace anarchy::testprog {

namespace {

// Begins a secondary command buffer; `rendering` set means it continues a dynamic rendering instance.
void begin_secondary(VkCommandBuffer cmd, const VkCommandBufferInheritanceRenderingInfo* rendering) {
    VkCommandBufferInheritanceInfo inheritance{VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_INFO};
    inheritance.pNext = rendering;
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT |
                  (rendering ? VK_COMMAND_BUFFER_USAGE_RENDER_PASS_CONTINUE_BIT : 0);
    begin.pInheritanceInfo = &inheritance;
    VK_CHECK(vkBeginCommandBuffer(cmd, &begin));
}

}  // namespace

Output run_secondary(TestContext& ctx) {
    const VkFormat depth_format = ctx.find_depth_format();
    Scene scene = create_scene(ctx);
    VkPipeline pipeline = create_scene_pipeline(ctx, scene, {VK_NULL_HANDLE, kSceneColorFormat, depth_format});
    Image color = ctx.create_image(
        {kSceneColorFormat, kSceneExtent, VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT});
    Image depth = ctx.create_image({depth_format, kSceneExtent, VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT,
                                    VK_SAMPLE_COUNT_1_BIT, VK_IMAGE_ASPECT_DEPTH_BIT});
    const VkDeviceSize pixel_bytes = VkDeviceSize(kSceneExtent.width) * kSceneExtent.height * 4;
    Buffer readback = ctx.create_buffer(pixel_bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);

    VkCommandPool pool = ctx.create_command_pool();
    VkCommandBuffer floor = ctx.allocate_command_buffer(pool, VK_COMMAND_BUFFER_LEVEL_SECONDARY);
    VkCommandBuffer cubes = ctx.allocate_command_buffer(pool, VK_COMMAND_BUFFER_LEVEL_SECONDARY);
    VkCommandBuffer copy = ctx.allocate_command_buffer(pool, VK_COMMAND_BUFFER_LEVEL_SECONDARY);
    const VkRect2D area{{0, 0}, kSceneExtent};

    VkCommandBufferInheritanceRenderingInfo rendering{VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_RENDERING_INFO};
    rendering.colorAttachmentCount = 1;
    rendering.pColorAttachmentFormats = &kSceneColorFormat;
    rendering.depthAttachmentFormat = depth_format;
    rendering.rasterizationSamples = VK_SAMPLE_COUNT_1_BIT;
    // Nothing of the pipeline state is inherited: each secondary binds and sets what it uses.
    begin_secondary(floor, &rendering);
    bind_scene(floor, scene, pipeline, area);
    draw_floor(floor, scene);
    VK_CHECK(vkEndCommandBuffer(floor));
    begin_secondary(cubes, &rendering);
    bind_scene(cubes, scene, pipeline, area);
    const float tint[3] = {1.0f, 0.9f, 0.7f};
    draw_cubes(cubes, scene, 60.0f, tint);
    VK_CHECK(vkEndCommandBuffer(cubes));

    begin_secondary(copy, nullptr);
    image_barrier(copy, color, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                  VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT, VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT,
                  VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT);
    copy_image_to_buffer(copy, color, readback.buffer);
    memory_barrier(copy, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                   VK_ACCESS_2_HOST_READ_BIT);
    VK_CHECK(vkEndCommandBuffer(copy));

    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        image_barrier(cmd, color, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                      VK_PIPELINE_STAGE_2_NONE, 0, VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                      VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT);
        image_barrier(cmd, depth, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL,
                      VK_PIPELINE_STAGE_2_NONE, 0,
                      VK_PIPELINE_STAGE_2_EARLY_FRAGMENT_TESTS_BIT | VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT,
                      VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT | VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT);
        VkRenderingAttachmentInfo color_attachment{VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO};
        color_attachment.imageView = color.view;
        color_attachment.imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
        color_attachment.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
        color_attachment.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
        color_attachment.clearValue = scene_clear_value();
        VkRenderingAttachmentInfo depth_attachment{VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO};
        depth_attachment.imageView = depth.view;
        depth_attachment.imageLayout = VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL;
        depth_attachment.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
        depth_attachment.storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
        depth_attachment.clearValue.depthStencil = {1.0f, 0};
        VkRenderingInfo info{VK_STRUCTURE_TYPE_RENDERING_INFO};
        info.flags = VK_RENDERING_CONTENTS_SECONDARY_COMMAND_BUFFERS_BIT;
        info.renderArea = area;
        info.layerCount = 1;
        info.colorAttachmentCount = 1;
        info.pColorAttachments = &color_attachment;
        info.pDepthAttachment = &depth_attachment;
        vkCmdBeginRendering(cmd, &info);
        VkCommandBuffer draws[2] = {floor, cubes};
        vkCmdExecuteCommands(cmd, 2, draws);
        vkCmdEndRendering(cmd);
        vkCmdExecuteCommands(cmd, 1, &copy);
    });

    const auto* pixels = readback.as<const uint8_t>();
    require_drawn(pixels, kSceneExtent.width, kSceneExtent.width / 2, kSceneExtent.height / 2, "secondary (cubes)");
    require_drawn(pixels, kSceneExtent.width, kSceneExtent.width / 2, kSceneExtent.height - 8, "secondary (floor)");
    return encode_pam_rgba(kSceneExtent.width, kSceneExtent.height, pixels);
}

}  // namespace anarchy::testprog
