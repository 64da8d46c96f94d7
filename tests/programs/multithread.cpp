// multithread: four threads, each with its own command pool, record at the same time one command buffer
// that renders the scene into its quadrant of a shared image (dynamic rendering with the quadrant as render
// area); the main thread submits them together between a prologue and a read-back epilogue.
#include "programs.h"
#include "scene.h"
#include "start_latch.h"

#include <exception>
#include <thread>

namespace anarchy::testprog {

namespace {

constexpr uint32_t kThreads = 4;

struct Targets {
    const Image& color;
    const Image& depth;
};

void record_quadrant(TestContext& ctx, const Scene& scene, VkPipeline pipeline, const Targets& targets,
                     uint32_t quadrant, VkCommandBuffer cmd) {
    const uint32_t half_w = kSceneExtent.width / 2, half_h = kSceneExtent.height / 2;
    const VkRect2D area{{int32_t(quadrant % 2 * half_w), int32_t(quadrant / 2 * half_h)}, {half_w, half_h}};
    begin_command_buffer(cmd);
    // Orders this quadrant's attachment accesses after everything submitted before it, whichever thread
    // recorded that.
    memory_barrier(cmd, VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_2_EARLY_FRAGMENT_TESTS_BIT |
                       VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT |
                       VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT);
    VkRenderingAttachmentInfo color{VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO};
    color.imageView = targets.color.view;
    color.imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    color.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;  // clears the render area only
    color.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
    color.clearValue = scene_clear_value();
    VkRenderingAttachmentInfo depth{VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO};
    depth.imageView = targets.depth.view;
    depth.imageLayout = VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL;
    depth.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
    depth.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
    depth.clearValue.depthStencil = {1.0f, 0};
    VkRenderingInfo rendering{VK_STRUCTURE_TYPE_RENDERING_INFO};
    rendering.renderArea = area;
    rendering.layerCount = 1;
    rendering.colorAttachmentCount = 1;
    rendering.pColorAttachments = &color;
    rendering.pDepthAttachment = &depth;
    vkCmdBeginRendering(cmd, &rendering);
    bind_scene(cmd, scene, pipeline, area);
    draw_floor(cmd, scene);
    const float tints[kThreads][3] = {{1, 1, 1}, {1, 0.6f, 0.6f}, {0.6f, 1, 0.6f}, {0.6f, 0.6f, 1}};
    draw_cubes(cmd, scene, 15.0f + 40.0f * quadrant, tints[quadrant]);
    vkCmdEndRendering(cmd);
    VK_CHECK(vkEndCommandBuffer(cmd));
}

}  // namespace

Output run_multithread(TestContext& ctx) {
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
    const Targets targets{color, depth};

    // Command buffers in submission order: prologue, the four quadrants, epilogue.
    VkCommandBuffer cmds[kThreads + 2];
    VkCommandPool main_pool = ctx.create_command_pool();
    cmds[0] = ctx.allocate_command_buffer(main_pool);
    cmds[kThreads + 1] = ctx.allocate_command_buffer(main_pool);

    StartLatch start(kThreads);
    std::exception_ptr errors[kThreads];
    std::thread threads[kThreads];
    for (uint32_t q = 0; q < kThreads; ++q)
        threads[q] = std::thread([&, q] {
            bool arrived = false;
            try {
                VkCommandPool pool = ctx.create_command_pool();  // command pools are never shared across threads
                cmds[q + 1] = ctx.allocate_command_buffer(pool);
                start.arrive_and_wait();  // all four record at the same time
                arrived = true;
                record_quadrant(ctx, scene, pipeline, targets, q, cmds[q + 1]);
            } catch (...) {
                errors[q] = std::current_exception();
                if (!arrived) start.count_down();  // so that the others do not wait forever
            }
        });
    for (std::thread& thread : threads) thread.join();
    for (const std::exception_ptr& error : errors)
        if (error) std::rethrow_exception(error);

    begin_command_buffer(cmds[0]);
    image_barrier(cmds[0], color, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                  VK_PIPELINE_STAGE_2_NONE, 0, VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                  VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT);
    image_barrier(cmds[0], depth, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL,
                  VK_PIPELINE_STAGE_2_NONE, 0,
                  VK_PIPELINE_STAGE_2_EARLY_FRAGMENT_TESTS_BIT | VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT,
                  VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT | VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT);
    VK_CHECK(vkEndCommandBuffer(cmds[0]));
    VkCommandBuffer epilogue = cmds[kThreads + 1];
    begin_command_buffer(epilogue);
    image_barrier(epilogue, color, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                  VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT, VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT,
                  VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT);
    copy_image_to_buffer(epilogue, color, readback.buffer);
    memory_barrier(epilogue, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                   VK_ACCESS_2_HOST_READ_BIT);
    VK_CHECK(vkEndCommandBuffer(epilogue));

    VkFence fence = ctx.create_fence();
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = kThreads + 2;
    submit.pCommandBuffers = cmds;
    VK_CHECK(vkQueueSubmit(ctx.queue(), 1, &submit, fence));
    VK_CHECK(vkWaitForFences(ctx.device(), 1, &fence, VK_TRUE, UINT64_MAX));

    const auto* pixels = readback.as<const uint8_t>();
    for (uint32_t q = 0; q < kThreads; ++q)
        require_drawn(pixels, kSceneExtent.width, kSceneExtent.width / 4 + q % 2 * kSceneExtent.width / 2,
                      kSceneExtent.height / 4 + q / 2 * kSceneExtent.height / 2, "multithread");
    return encode_pam_rgba(kSceneExtent.width, kSceneExtent.height, pixels);
}

}  // namespace anarchy::testprog
