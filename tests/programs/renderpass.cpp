// renderpass: the scene through a classic VkRenderPass and VkFramebuffer; the render pass itself moves the
// colour image to TRANSFER_SRC_OPTIMAL for the read-back.
#include "programs.h"
#include "scene.h"

namespace anarchy::testprog {

namespace {

VkRenderPass create_render_pass(TestContext& ctx, VkFormat depth_format) {
    VkAttachmentDescription attachments[2] = {};
    attachments[0].format = kSceneColorFormat;
    attachments[0].samples = VK_SAMPLE_COUNT_1_BIT;
    attachments[0].loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
    attachments[0].storeOp = VK_ATTACHMENT_STORE_OP_STORE;
    attachments[0].stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
    attachments[0].stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
    attachments[0].initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    attachments[0].finalLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    attachments[1] = attachments[0];
    attachments[1].format = depth_format;
    attachments[1].storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
    attachments[1].finalLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL;

    VkAttachmentReference color_ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkAttachmentReference depth_ref{1, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL};
    VkSubpassDescription subpass{};
    subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
    subpass.colorAttachmentCount = 1;
    subpass.pColorAttachments = &color_ref;
    subpass.pDepthStencilAttachment = &depth_ref;

    VkSubpassDependency dependencies[2] = {};
    // Layout transitions and clears wait for nothing earlier but must precede the subpass's writes.
    dependencies[0].srcSubpass = VK_SUBPASS_EXTERNAL;
    dependencies[0].dstSubpass = 0;
    dependencies[0].srcStageMask =
        VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT;
    dependencies[0].dstStageMask =
        VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT;
    dependencies[0].dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT;
    // The copy after the render pass reads what the subpass wrote.
    dependencies[1].srcSubpass = 0;
    dependencies[1].dstSubpass = VK_SUBPASS_EXTERNAL;
    dependencies[1].srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
    dependencies[1].srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    dependencies[1].dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT;
    dependencies[1].dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;

    VkRenderPassCreateInfo info{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO};
    info.attachmentCount = 2;
    info.pAttachments = attachments;
    info.subpassCount = 1;
    info.pSubpasses = &subpass;
    info.dependencyCount = 2;
    info.pDependencies = dependencies;
    VkRenderPass render_pass;
    VK_CHECK(vkCreateRenderPass(ctx.device(), &info, nullptr, &render_pass));
    return ctx.own(render_pass, vkDestroyRenderPass);
}

}  // namespace

Output run_renderpass(TestContext& ctx) {
    const VkFormat depth_format = ctx.find_depth_format();
    Scene scene = create_scene(ctx);
    VkRenderPass render_pass = create_render_pass(ctx, depth_format);
    VkPipeline pipeline = create_scene_pipeline(ctx, scene, {render_pass, kSceneColorFormat, depth_format});
    Image color = ctx.create_image(
        {kSceneColorFormat, kSceneExtent, VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT});
    Image depth = ctx.create_image({depth_format, kSceneExtent, VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT,
                                    VK_SAMPLE_COUNT_1_BIT, VK_IMAGE_ASPECT_DEPTH_BIT});

    VkImageView views[2] = {color.view, depth.view};
    VkFramebufferCreateInfo framebuffer_info{VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO};
    framebuffer_info.renderPass = render_pass;
    framebuffer_info.attachmentCount = 2;
    framebuffer_info.pAttachments = views;
    framebuffer_info.width = kSceneExtent.width;
    framebuffer_info.height = kSceneExtent.height;
    framebuffer_info.layers = 1;
    VkFramebuffer framebuffer;
    VK_CHECK(vkCreateFramebuffer(ctx.device(), &framebuffer_info, nullptr, &framebuffer));
    ctx.own(framebuffer, vkDestroyFramebuffer);

    const VkDeviceSize pixel_bytes = VkDeviceSize(kSceneExtent.width) * kSceneExtent.height * 4;
    Buffer readback = ctx.create_buffer(pixel_bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);

    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        VkClearValue clears[2] = {scene_clear_value(), {}};
        clears[1].depthStencil = {1.0f, 0};
        VkRenderPassBeginInfo begin{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
        begin.renderPass = render_pass;
        begin.framebuffer = framebuffer;
        begin.renderArea = {{0, 0}, kSceneExtent};
        begin.clearValueCount = 2;
        begin.pClearValues = clears;
        vkCmdBeginRenderPass(cmd, &begin, VK_SUBPASS_CONTENTS_INLINE);
        draw_scene(cmd, scene, pipeline, begin.renderArea, -25.0f);
        vkCmdEndRenderPass(cmd);
        copy_image_to_buffer(cmd, color, readback.buffer);
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                       VK_ACCESS_2_HOST_READ_BIT);
    });

    const auto* pixels = readback.as<const uint8_t>();
    require_drawn(pixels, kSceneExtent.width, kSceneExtent.width / 2, kSceneExtent.height / 2, "renderpass");
    return encode_pam_rgba(kSceneExtent.width, kSceneExtent.height, pixels);
}

}  // namespace anarchy::testprog
