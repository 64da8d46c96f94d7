// queries: occlusion queries over rectangles whose pixel coverage is known exactly, read back by polling
// vkGetQueryPoolResults without waiting, by waiting, and by vkCmdCopyQueryPoolResults; query resets on the
// device and the host; timestamps. The report holds only facts that do not depend on timing.
#include "programs.h"
#include "rect_frag.h"
#include "rect_vert.h"

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr uint32_t kSize = 64;  // framebuffer width and height, in pixels
constexpr VkFormat kColorFormat = VK_FORMAT_R8G8B8A8_UNORM;

struct RectConstants {  // matches `Rect` in rect.vert / rect.frag
    float bounds[4];
    float color[4];
    float depth;
};

struct PixelRect {
    const char* what;
    uint32_t x0, y0, x1, y1;
    float depth;
};

// Drawn in order, each inside its own occlusion query; edges lie on pixel edges, so coverage is exact.
constexpr PixelRect kRects[] = {
    {"16x16 square", 8, 8, 24, 24, 0.5f},
    {"32x8 bar in front", 40, 8, 56, 16, 0.25f},
    {"8x8 square hidden behind the first", 12, 12, 20, 20, 0.75f},
    {"32x32 square partly behind the first", 16, 16, 48, 48, 0.6f},
    {"full screen behind everything", 0, 0, kSize, kSize, 0.9f},
};
constexpr uint32_t kQueryCount = sizeof kRects / sizeof kRects[0];

// Samples passing a LESS depth test when the rectangles are drawn in order over depth 1.0.
std::vector<uint64_t> expected_samples() {
    std::vector<float> depth(kSize * kSize, 1.0f);
    std::vector<uint64_t> counts;
    for (const PixelRect& rect : kRects) {
        uint64_t passed = 0;
        for (uint32_t y = rect.y0; y < rect.y1; ++y)
            for (uint32_t x = rect.x0; x < rect.x1; ++x)
                if (rect.depth < depth[y * kSize + x]) {
                    depth[y * kSize + x] = rect.depth;
                    ++passed;
                }
        counts.push_back(passed);
    }
    return counts;
}

VkPipeline create_rect_pipeline(TestContext& ctx, VkPipelineLayout layout, VkFormat depth_format) {
    VkPipelineShaderStageCreateInfo stages[2] = {{VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO},
                                                 {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO}};
    stages[0].stage = VK_SHADER_STAGE_VERTEX_BIT;
    stages[0].module = ctx.create_shader_module(rect_vert);
    stages[0].pName = "main";
    stages[1].stage = VK_SHADER_STAGE_FRAGMENT_BIT;
    stages[1].module = ctx.create_shader_module(rect_frag);
    stages[1].pName = "main";
    VkPipelineVertexInputStateCreateInfo vertex_input{VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
    VkPipelineInputAssemblyStateCreateInfo input_assembly{VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO};
    input_assembly.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
    VkViewport viewport{0, 0, float(kSize), float(kSize), 0, 1};
    VkRect2D scissor{{0, 0}, {kSize, kSize}};
    VkPipelineViewportStateCreateInfo viewport_state{VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO};
    viewport_state.viewportCount = 1;
    viewport_state.pViewports = &viewport;
    viewport_state.scissorCount = 1;
    viewport_state.pScissors = &scissor;
    VkPipelineRasterizationStateCreateInfo raster{VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO};
    raster.cullMode = VK_CULL_MODE_NONE;
    raster.lineWidth = 1.0f;
    VkPipelineMultisampleStateCreateInfo multisample{VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO};
    multisample.rasterizationSamples = VK_SAMPLE_COUNT_1_BIT;
    VkPipelineDepthStencilStateCreateInfo depth{VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO};
    depth.depthTestEnable = VK_TRUE;
    depth.depthWriteEnable = VK_TRUE;
    depth.depthCompareOp = VK_COMPARE_OP_LESS;
    VkPipelineColorBlendAttachmentState blend_attachment{};
    blend_attachment.colorWriteMask = 0xf;
    VkPipelineColorBlendStateCreateInfo blend{VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO};
    blend.attachmentCount = 1;
    blend.pAttachments = &blend_attachment;
    VkPipelineRenderingCreateInfo rendering{VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO};
    rendering.colorAttachmentCount = 1;
    rendering.pColorAttachmentFormats = &kColorFormat;
    rendering.depthAttachmentFormat = depth_format;

    VkGraphicsPipelineCreateInfo info{VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO};
    info.pNext = &rendering;
    info.stageCount = 2;
    info.pStages = stages;
    info.pVertexInputState = &vertex_input;
    info.pInputAssemblyState = &input_assembly;
    info.pViewportState = &viewport_state;
    info.pRasterizationState = &raster;
    info.pMultisampleState = &multisample;
    info.pDepthStencilState = &depth;
    info.pColorBlendState = &blend;
    info.layout = layout;
    VkPipeline pipeline;
    VK_CHECK(vkCreateGraphicsPipelines(ctx.device(), VK_NULL_HANDLE, 1, &info, nullptr, &pipeline));
    return ctx.own(pipeline, vkDestroyPipeline);
}

VkQueryPool create_query_pool(TestContext& ctx, VkQueryType type, uint32_t count) {
    VkQueryPoolCreateInfo info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    info.queryType = type;
    info.queryCount = count;
    VkQueryPool pool;
    VK_CHECK(vkCreateQueryPool(ctx.device(), &info, nullptr, &pool));
    return ctx.own(pool, vkDestroyQueryPool);
}

// Value and availability of one query, as written with VK_QUERY_RESULT_64_BIT | WITH_AVAILABILITY_BIT.
struct QueryResult {
    uint64_t value;
    uint64_t available;
};

void record_occlusion_pass(TestContext& ctx, VkCommandBuffer cmd, VkQueryPool pool, VkPipeline pipeline,
                           VkPipelineLayout layout, const Image& color, const Image& depth, Buffer& copy_target) {
    vkCmdResetQueryPool(cmd, pool, 0, kQueryCount);
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
    VkRenderingAttachmentInfo depth_attachment{VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO};
    depth_attachment.imageView = depth.view;
    depth_attachment.imageLayout = VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL;
    depth_attachment.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
    depth_attachment.storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
    depth_attachment.clearValue.depthStencil = {1.0f, 0};
    VkRenderingInfo rendering{VK_STRUCTURE_TYPE_RENDERING_INFO};
    rendering.renderArea = {{0, 0}, {kSize, kSize}};
    rendering.layerCount = 1;
    rendering.colorAttachmentCount = 1;
    rendering.pColorAttachments = &color_attachment;
    rendering.pDepthAttachment = &depth_attachment;
    vkCmdBeginRendering(cmd, &rendering);
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
    const VkQueryControlFlags control = ctx.occlusion_query_precise() ? VK_QUERY_CONTROL_PRECISE_BIT : 0;
    for (uint32_t i = 0; i < kQueryCount; ++i) {
        const PixelRect& r = kRects[i];
        auto ndc = [](uint32_t pixel) { return float(pixel) * 2.0f / kSize - 1.0f; };
        RectConstants constants{
            {ndc(r.x0), ndc(r.y0), ndc(r.x1), ndc(r.y1)}, {0.2f * i, 1 - 0.2f * i, 0.5f, 1}, r.depth};
        vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, 0, sizeof constants,
                           &constants);
        vkCmdBeginQuery(cmd, pool, i, control);
        vkCmdDraw(cmd, 6, 1, 0, 0);
        vkCmdEndQuery(cmd, pool, i);
    }
    vkCmdEndRendering(cmd);
    vkCmdCopyQueryPoolResults(
        cmd, pool, 0, kQueryCount, copy_target.buffer, 0, sizeof(QueryResult),
        VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WITH_AVAILABILITY_BIT | VK_QUERY_RESULT_WAIT_BIT);
    memory_barrier(cmd, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                   VK_ACCESS_2_HOST_READ_BIT);
}

void check_counts(TextReport& report, const char* how, const std::vector<uint64_t>& got, bool precise) {
    std::vector<uint64_t> expected = expected_samples();
    for (uint32_t i = 0; i < kQueryCount; ++i) {
        bool ok = precise ? got[i] == expected[i] : (got[i] != 0) == (expected[i] != 0);
        require(ok, std::string("queries: ") + how + ": occlusion query " + std::to_string(i) + " (" + kRects[i].what +
                        ") counted " + std::to_string(got[i]) + " samples, expected " + std::to_string(expected[i]));
    }
    report.line("occlusion results %s: match", how);
}

void occlusion_queries(TestContext& ctx, TextReport& report) {
    VkDevice device = ctx.device();
    const bool precise = ctx.occlusion_query_precise();
    const VkFormat depth_format = ctx.find_depth_format();
    Image color = ctx.create_image({kColorFormat, {kSize, kSize}, VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT});
    Image depth = ctx.create_image({depth_format,
                                    {kSize, kSize},
                                    VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT,
                                    VK_SAMPLE_COUNT_1_BIT,
                                    VK_IMAGE_ASPECT_DEPTH_BIT});
    VkPushConstantRange push{VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, 0, sizeof(RectConstants)};
    VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout_info.pushConstantRangeCount = 1;
    layout_info.pPushConstantRanges = &push;
    VkPipelineLayout layout;
    VK_CHECK(vkCreatePipelineLayout(device, &layout_info, nullptr, &layout));
    ctx.own(layout, vkDestroyPipelineLayout);
    VkPipeline pipeline = create_rect_pipeline(ctx, layout, depth_format);
    VkQueryPool pool = create_query_pool(ctx, VK_QUERY_TYPE_OCCLUSION, kQueryCount);
    Buffer copied = ctx.create_buffer(kQueryCount * sizeof(QueryResult), VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);

    report.line("occlusionQueryPrecise: %s",
                precise ? "enabled, exact counts checked" : "unsupported, zero/non-zero checked");
    for (uint32_t i = 0; i < kQueryCount; ++i) {
        std::vector<uint64_t> expected = expected_samples();
        if (precise)
            report.line("occlusion query %u (%s): %llu samples", i, kRects[i].what, (unsigned long long)expected[i]);
        else
            report.line("occlusion query %u (%s): %s", i, kRects[i].what, expected[i] ? "non-zero" : "zero");
    }

    // Submit without waiting, then poll the results until all are available.
    VkCommandPool command_pool = ctx.create_command_pool();
    VkCommandBuffer cmd = ctx.allocate_command_buffer(command_pool);
    begin_command_buffer(cmd);
    record_occlusion_pass(ctx, cmd, pool, pipeline, layout, color, depth, copied);
    VK_CHECK(vkEndCommandBuffer(cmd));
    VkFence fence = ctx.create_fence();
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;
    VK_CHECK(vkQueueSubmit(ctx.queue(), 1, &submit, fence));

    QueryResult polled[kQueryCount];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
        VkResult result =
            vkGetQueryPoolResults(device, pool, 0, kQueryCount, sizeof polled, polled, sizeof(QueryResult),
                                  VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
        if (result == VK_SUCCESS) break;
        if (result != VK_NOT_READY) VK_CHECK(result);
        require(std::chrono::steady_clock::now() < deadline, "queries: occlusion results not available after 60 s");
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    bool all_available = true;
    std::vector<uint64_t> values;
    for (const QueryResult& r : polled) {
        all_available = all_available && r.available != 0;
        values.push_back(r.value);
    }
    require(all_available, "queries: vkGetQueryPoolResults returned VK_SUCCESS with a query unavailable");
    check_counts(report, "polled without WAIT_BIT", values, precise);
    VK_CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));

    uint64_t waited[kQueryCount];
    VK_CHECK(vkGetQueryPoolResults(device, pool, 0, kQueryCount, sizeof waited, waited, sizeof(uint64_t),
                                   VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
    check_counts(report, "64-bit with WAIT_BIT", std::vector<uint64_t>(waited, waited + kQueryCount), precise);
    uint32_t waited32[kQueryCount];
    VK_CHECK(vkGetQueryPoolResults(device, pool, 0, kQueryCount, sizeof waited32, waited32, sizeof(uint32_t),
                                   VK_QUERY_RESULT_WAIT_BIT));
    check_counts(report, "32-bit with WAIT_BIT", std::vector<uint64_t>(waited32, waited32 + kQueryCount), precise);
    values.clear();
    for (uint32_t i = 0; i < kQueryCount; ++i) {
        require(copied.as<QueryResult>()[i].available != 0, "queries: vkCmdCopyQueryPoolResults wrote unavailable");
        values.push_back(copied.as<QueryResult>()[i].value);
    }
    check_counts(report, "vkCmdCopyQueryPoolResults", values, precise);

    // After a reset no query is available: without WAIT_BIT the call says VK_NOT_READY.
    if (ctx.host_query_reset()) {
        vkResetQueryPool(device, pool, 0, kQueryCount);
        report.line("hostQueryReset: enabled, vkResetQueryPool used");
    } else {
        ctx.submit_and_wait([&](VkCommandBuffer reset_cmd) { vkCmdResetQueryPool(reset_cmd, pool, 0, kQueryCount); });
        report.line("hostQueryReset: unsupported, vkCmdResetQueryPool used");
    }
    VK_EXPECT(vkGetQueryPoolResults(device, pool, 0, kQueryCount, sizeof polled, polled, sizeof(QueryResult),
                                    VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WITH_AVAILABILITY_BIT),
              VK_NOT_READY);
    for (const QueryResult& r : polled) require(r.available == 0, "queries: a query is available after its reset");
    report.line("after reset: VK_NOT_READY, no query available");
}

void timestamp_queries(TestContext& ctx, TextReport& report) {
    const uint32_t valid_bits = ctx.queue_family_properties().timestampValidBits;
    report.line("timestampValidBits: %u", valid_bits);
    if (valid_bits == 0) {
        report.line("timestamps: unsupported on the queue family, skipped");
        return;
    }
    report.line("timestampPeriod > 0: %s", ctx.limits().timestampPeriod > 0 ? "yes" : "no");
    constexpr uint32_t kStamps = 4;
    VkQueryPool pool = create_query_pool(ctx, VK_QUERY_TYPE_TIMESTAMP, kStamps);
    if (ctx.host_query_reset()) vkResetQueryPool(ctx.device(), pool, 0, kStamps);
    const VkDeviceSize work_bytes = 4 << 20;
    Buffer work = ctx.create_buffer(work_bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        if (!ctx.host_query_reset()) vkCmdResetQueryPool(cmd, pool, 0, kStamps);
        const VkPipelineStageFlags2 transfer = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT;
        vkCmdWriteTimestamp2(cmd, VK_PIPELINE_STAGE_2_TOP_OF_PIPE_BIT, pool, 0);
        vkCmdFillBuffer(cmd, work.buffer, 0, VK_WHOLE_SIZE, 1);
        vkCmdWriteTimestamp2(cmd, transfer, pool, 1);
        memory_barrier(cmd, transfer, VK_ACCESS_2_TRANSFER_WRITE_BIT, transfer, VK_ACCESS_2_TRANSFER_WRITE_BIT);
        vkCmdFillBuffer(cmd, work.buffer, 0, VK_WHOLE_SIZE, 2);
        vkCmdWriteTimestamp2(cmd, transfer, pool, 2);
        vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool, 3);  // the Vulkan 1.0 entry point
    });
    uint64_t stamps[kStamps];
    VK_CHECK(vkGetQueryPoolResults(ctx.device(), pool, 0, kStamps, sizeof stamps, stamps, sizeof(uint64_t),
                                   VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
    const uint64_t mask = valid_bits >= 64 ? ~0ull : (1ull << valid_bits) - 1;
    bool nonzero = true, monotonic = true, within_bits = true;
    for (uint32_t i = 0; i < kStamps; ++i) {
        nonzero = nonzero && stamps[i] != 0;
        within_bits = within_bits && (stamps[i] & ~mask) == 0;
        if (i > 0) monotonic = monotonic && stamps[i] >= stamps[i - 1];
    }
    require(nonzero, "queries: a timestamp is zero");
    require(within_bits, "queries: a timestamp has bits above timestampValidBits");
    require(monotonic, "queries: timestamps decrease within one command buffer");
    report.line("%u timestamps: non-zero, within valid bits, non-decreasing", kStamps);
}

}  // namespace

Output run_queries(TestContext& ctx) {
    TextReport report;
    occlusion_queries(ctx, report);
    timestamp_queries(ctx, report);
    return report.bytes();
}

}  // namespace anarchy::testprog
