// timeline: timeline semaphores (host signal and wait, timeouts, a GPU chain across vkQueueSubmit and
// vkQueueSubmit2 that waits for a host signal), binary semaphores, fences and events. Every observation in
// the report is forced by the API's ordering rules, never by timing: e.g. the chain cannot finish before the
// host signals the value it waits for, so a short wait for its fence must time out.
#include "programs.h"

#include <cstring>

namespace anarchy::testprog {

namespace {

constexpr uint64_t kMillisecond = 1'000'000;  // in nanoseconds, the unit of Vulkan timeouts
constexpr uint64_t kLongTimeout = 60'000 * kMillisecond;
constexpr uint32_t kWords = 16;

// Checks a call's result against the one the API requires and notes it in the report.
#define OBSERVE(report, what, call, expected)                         \
    do {                                                              \
        VK_EXPECT(call, expected);                                    \
        (report).line("%s: %s", what, result_name(expected).c_str()); \
    } while (0)

uint64_t counter_value(VkDevice device, VkSemaphore semaphore) {
    uint64_t value = 0;
    VK_CHECK(vkGetSemaphoreCounterValue(device, semaphore, &value));
    return value;
}

VkResult wait_semaphore(VkDevice device, VkSemaphore semaphore, uint64_t value, uint64_t timeout) {
    VkSemaphoreWaitInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO};
    info.semaphoreCount = 1;
    info.pSemaphores = &semaphore;
    info.pValues = &value;
    return vkWaitSemaphores(device, &info, timeout);
}

VkResult signal_semaphore(VkDevice device, VkSemaphore semaphore, uint64_t value) {
    VkSemaphoreSignalInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO};
    info.semaphore = semaphore;
    info.value = value;
    return vkSignalSemaphore(device, &info);
}

VkSemaphoreSubmitInfo semaphore_info(VkSemaphore semaphore, uint64_t value) {
    VkSemaphoreSubmitInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
    info.semaphore = semaphore;
    info.value = value;
    info.stageMask = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT;
    return info;
}

void submit2(VkQueue queue, VkCommandBuffer cmd, std::initializer_list<VkSemaphoreSubmitInfo> waits,
             std::initializer_list<VkSemaphoreSubmitInfo> signals, VkFence fence) {
    VkCommandBufferSubmitInfo cmd_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO};
    cmd_info.commandBuffer = cmd;
    VkSubmitInfo2 submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
    submit.waitSemaphoreInfoCount = uint32_t(waits.size());
    submit.pWaitSemaphoreInfos = waits.begin();
    submit.commandBufferInfoCount = 1;
    submit.pCommandBufferInfos = &cmd_info;
    submit.signalSemaphoreInfoCount = uint32_t(signals.size());
    submit.pSignalSemaphoreInfos = signals.begin();
    VK_CHECK(vkQueueSubmit2(queue, 1, &submit, fence));
}

void copy_words(VkCommandBuffer cmd, VkBuffer from, VkBuffer to, uint32_t from_word, uint32_t to_word, uint32_t count) {
    VkBufferCopy region{from_word * 4ull, to_word * 4ull, count * 4ull};
    vkCmdCopyBuffer(cmd, from, to, 1, &region);
}

void host_semaphores(TestContext& ctx, TextReport& report, VkSemaphore timeline) {
    VkDevice device = ctx.device();
    report.line("timeline created with initial value 0, counter: %llu",
                (unsigned long long)counter_value(device, timeline));
    VK_CHECK(signal_semaphore(device, timeline, 1));
    uint64_t value = counter_value(device, timeline);
    require(value == 1, "timeline: counter is " + std::to_string(value) + " after vkSignalSemaphore(1)");
    report.line("vkSignalSemaphore(1), counter: %llu", (unsigned long long)value);
    OBSERVE(report, "vkWaitSemaphores(>= 1, 1 s)", wait_semaphore(device, timeline, 1, 1000 * kMillisecond),
            VK_SUCCESS);
    OBSERVE(report, "vkWaitSemaphores(>= 100, 0 ns)", wait_semaphore(device, timeline, 100, 0), VK_TIMEOUT);
    OBSERVE(report, "vkWaitSemaphores(>= 100, 10 ms)", wait_semaphore(device, timeline, 100, 10 * kMillisecond),
            VK_TIMEOUT);
}

// A chain A -> B -> C -> D across timeline values 2..6 and a binary semaphore; A waits for value 2, which
// only the host signals, so nothing in the chain can run before that. C signals the fence.
void gpu_chain(TestContext& ctx, TextReport& report, VkSemaphore timeline) {
    VkDevice device = ctx.device();
    VkQueue queue = ctx.queue();
    Buffer work = ctx.create_buffer(kWords * 4, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                    VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    Buffer result = ctx.create_buffer(kWords * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    std::memset(result.mapped, 0, kWords * 4);
    VkSemaphore binary = ctx.create_binary_semaphore();
    VkFence fence = ctx.create_fence();
    VkCommandPool pool = ctx.create_command_pool();
    VkCommandBuffer cmd[4];
    for (VkCommandBuffer& c : cmd) c = ctx.allocate_command_buffer(pool);

    // Semaphore waits make earlier submissions' writes visible to the transfer stage, so no barriers are
    // needed between submissions.
    begin_command_buffer(cmd[0]);
    vkCmdFillBuffer(cmd[0], work.buffer, 0, VK_WHOLE_SIZE, 0xa0a0a0a0u);
    VK_CHECK(vkEndCommandBuffer(cmd[0]));
    begin_command_buffer(cmd[1]);
    const uint32_t marker[2] = {0xb1u, 0xb2u};
    vkCmdUpdateBuffer(cmd[1], work.buffer, 0, sizeof marker, marker);
    VK_CHECK(vkEndCommandBuffer(cmd[1]));
    begin_command_buffer(cmd[2]);
    copy_words(cmd[2], work.buffer, work.buffer, 0, 8, 4);  // B's marker and A's fill, to words 8..11
    VK_CHECK(vkEndCommandBuffer(cmd[2]));
    begin_command_buffer(cmd[3]);
    copy_words(cmd[3], work.buffer, result.buffer, 0, 0, kWords);
    memory_barrier(cmd[3], VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                   VK_ACCESS_2_HOST_READ_BIT);
    VK_CHECK(vkEndCommandBuffer(cmd[3]));

    {  // A: vkQueueSubmit with VkTimelineSemaphoreSubmitInfo, waits 2, signals 3.
        const uint64_t wait_value = 2, signal_value = 3;
        VkTimelineSemaphoreSubmitInfo values{VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO};
        values.waitSemaphoreValueCount = 1;
        values.pWaitSemaphoreValues = &wait_value;
        values.signalSemaphoreValueCount = 1;
        values.pSignalSemaphoreValues = &signal_value;
        const VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.pNext = &values;
        submit.waitSemaphoreCount = 1;
        submit.pWaitSemaphores = &timeline;
        submit.pWaitDstStageMask = &wait_stage;
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd[0];
        submit.signalSemaphoreCount = 1;
        submit.pSignalSemaphores = &timeline;
        VK_CHECK(vkQueueSubmit(queue, 1, &submit, VK_NULL_HANDLE));
    }
    // B and C: vkQueueSubmit2; C also signals the binary semaphore and the fence.
    submit2(queue, cmd[1], {semaphore_info(timeline, 3)}, {semaphore_info(timeline, 4)}, VK_NULL_HANDLE);
    submit2(queue, cmd[2], {semaphore_info(timeline, 4)}, {semaphore_info(timeline, 5), semaphore_info(binary, 0)},
            fence);

    // Blocked on value 2, which only the host provides.
    uint64_t value = counter_value(device, timeline);
    require(value == 1, "timeline: counter moved to " + std::to_string(value) + " before the host signalled 2");
    report.line("chain submitted, waiting for value 2; counter: %llu", (unsigned long long)value);
    OBSERVE(report, "vkGetFenceStatus(chain fence)", vkGetFenceStatus(device, fence), VK_NOT_READY);
    OBSERVE(report, "vkWaitForFences(chain fence, 10 ms)",
            vkWaitForFences(device, 1, &fence, VK_TRUE, 10 * kMillisecond), VK_TIMEOUT);
    OBSERVE(report, "vkWaitSemaphores(>= 3, 10 ms)", wait_semaphore(device, timeline, 3, 10 * kMillisecond),
            VK_TIMEOUT);
    VK_CHECK(signal_semaphore(device, timeline, 2));
    report.line("vkSignalSemaphore(2)");

    // D: vkQueueSubmit waiting for the binary semaphore, signalling timeline value 6. Submitted only now:
    // an implementation may block a submission that waits for a binary semaphore until the signalling
    // batch is itself ready to run, and C was waiting for the host.
    {
        const uint64_t wait_values[1] = {0};  // ignored for binary semaphores
        const uint64_t signal_value = 6;
        VkTimelineSemaphoreSubmitInfo values{VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO};
        values.waitSemaphoreValueCount = 1;
        values.pWaitSemaphoreValues = wait_values;
        values.signalSemaphoreValueCount = 1;
        values.pSignalSemaphoreValues = &signal_value;
        const VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.pNext = &values;
        submit.waitSemaphoreCount = 1;
        submit.pWaitSemaphores = &binary;
        submit.pWaitDstStageMask = &wait_stage;
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd[3];
        submit.signalSemaphoreCount = 1;
        submit.pSignalSemaphores = &timeline;
        VK_CHECK(vkQueueSubmit(queue, 1, &submit, VK_NULL_HANDLE));
    }
    OBSERVE(report, "vkWaitSemaphores(>= 6, 60 s)", wait_semaphore(device, timeline, 6, kLongTimeout), VK_SUCCESS);
    value = counter_value(device, timeline);
    require(value == 6, "timeline: counter is " + std::to_string(value) + " after the chain, expected 6");
    report.line("counter after the chain: %llu", (unsigned long long)value);
    OBSERVE(report, "vkWaitForFences(chain fence, 60 s)", vkWaitForFences(device, 1, &fence, VK_TRUE, kLongTimeout),
            VK_SUCCESS);
    OBSERVE(report, "vkGetFenceStatus(chain fence)", vkGetFenceStatus(device, fence), VK_SUCCESS);
    VK_CHECK(vkResetFences(device, 1, &fence));
    OBSERVE(report, "vkGetFenceStatus(after vkResetFences)", vkGetFenceStatus(device, fence), VK_NOT_READY);

    const auto* words = result.as<const uint32_t>();
    uint32_t expected[kWords];
    for (uint32_t& w : expected) w = 0xa0a0a0a0u;
    expected[0] = expected[8] = 0xb1u;
    expected[1] = expected[9] = 0xb2u;
    for (uint32_t i = 0; i < kWords; ++i)
        require(words[i] == expected[i], "timeline: chain result word " + std::to_string(i) + " is " +
                                             std::to_string(words[i]) + ", expected " + std::to_string(expected[i]));
    report.line("chain result: words 0,1,8,9 = 0x%x 0x%x 0x%x 0x%x, others 0x%x", words[0], words[1], words[8],
                words[9], words[2]);
}

void wait_any_and_fences(TestContext& ctx, TextReport& report, VkSemaphore timeline) {
    VkDevice device = ctx.device();
    VkSemaphore idle = ctx.create_timeline_semaphore(0);
    VkSemaphore semaphores[2] = {idle, timeline};
    const uint64_t values[2] = {1, 6};
    VkSemaphoreWaitInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO};
    info.semaphoreCount = 2;
    info.pSemaphores = semaphores;
    info.pValues = values;
    OBSERVE(report, "vkWaitSemaphores(all of {idle >= 1, timeline >= 6}, 0 ns)", vkWaitSemaphores(device, &info, 0),
            VK_TIMEOUT);
    info.flags = VK_SEMAPHORE_WAIT_ANY_BIT;
    OBSERVE(report, "vkWaitSemaphores(any of {idle >= 1, timeline >= 6}, 0 ns)", vkWaitSemaphores(device, &info, 0),
            VK_SUCCESS);

    VkFence signaled = ctx.create_fence(true);
    VkFence unsignaled = ctx.create_fence(false);
    OBSERVE(report, "vkGetFenceStatus(created signalled)", vkGetFenceStatus(device, signaled), VK_SUCCESS);
    OBSERVE(report, "vkWaitForFences(created signalled, 0 ns)", vkWaitForFences(device, 1, &signaled, VK_TRUE, 0),
            VK_SUCCESS);
    OBSERVE(report, "vkWaitForFences(unsignalled, 0 ns)", vkWaitForFences(device, 1, &unsignaled, VK_TRUE, 0),
            VK_TIMEOUT);
    VkFence both[2] = {signaled, unsignaled};
    OBSERVE(report, "vkWaitForFences(any of {signalled, unsignalled}, 0 ns)",
            vkWaitForFences(device, 2, both, VK_FALSE, 0), VK_SUCCESS);
    OBSERVE(report, "vkWaitForFences(all of {signalled, unsignalled}, 1 ms)",
            vkWaitForFences(device, 2, both, VK_TRUE, kMillisecond), VK_TIMEOUT);
}

VkEvent create_event(TestContext& ctx) {
    VkEventCreateInfo info{VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
    VkEvent event;
    VK_CHECK(vkCreateEvent(ctx.device(), &info, nullptr, &event));
    return ctx.own(event, vkDestroyEvent);
}

// Host and device event operations. The host sets its event before submitting, so the command buffer's
// wait never depends on the host acting later.
void events(TestContext& ctx, TextReport& report) {
    VkDevice device = ctx.device();
    VkEvent host_event = create_event(ctx), device_event = create_event(ctx), sync2_event = create_event(ctx),
            reset_on_device = create_event(ctx);
    OBSERVE(report, "vkGetEventStatus(new event)", vkGetEventStatus(device, host_event), VK_EVENT_RESET);
    VK_CHECK(vkSetEvent(device, host_event));
    OBSERVE(report, "vkGetEventStatus(after vkSetEvent)", vkGetEventStatus(device, host_event), VK_EVENT_SET);
    VK_CHECK(vkResetEvent(device, host_event));
    OBSERVE(report, "vkGetEventStatus(after vkResetEvent)", vkGetEventStatus(device, host_event), VK_EVENT_RESET);
    VK_CHECK(vkSetEvent(device, host_event));
    VK_CHECK(vkSetEvent(device, reset_on_device));

    Buffer work = ctx.create_buffer(kWords * 4, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                    VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    Buffer result = ctx.create_buffer(kWords * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        // Vulkan 1.0 events: fill, set, wait for it and the host's event, copy half.
        vkCmdFillBuffer(cmd, work.buffer, 0, VK_WHOLE_SIZE, 0x5e5e5e5eu);
        vkCmdSetEvent(cmd, device_event, VK_PIPELINE_STAGE_TRANSFER_BIT);
        VkEvent waited[2] = {device_event, host_event};
        VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
        barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT;
        barrier.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;  // the copy, the update
        vkCmdWaitEvents(cmd, 2, waited, VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                        VK_PIPELINE_STAGE_TRANSFER_BIT, 1, &barrier, 0, nullptr, 0, nullptr);
        copy_words(cmd, work.buffer, result.buffer, 0, 0, kWords / 2);

        // synchronization2 events: update, set, wait, copy the other half.
        const uint32_t marker[2] = {0xe1u, 0xe2u};
        vkCmdUpdateBuffer(cmd, work.buffer, (kWords / 2) * 4, sizeof marker, marker);
        VkMemoryBarrier2 barrier2{VK_STRUCTURE_TYPE_MEMORY_BARRIER_2};
        barrier2.srcStageMask = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT;
        barrier2.srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT;
        barrier2.dstStageMask = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT;
        barrier2.dstAccessMask = VK_ACCESS_2_TRANSFER_READ_BIT;
        VkDependencyInfo dependency{VK_STRUCTURE_TYPE_DEPENDENCY_INFO};
        dependency.memoryBarrierCount = 1;
        dependency.pMemoryBarriers = &barrier2;
        vkCmdSetEvent2(cmd, sync2_event, &dependency);
        vkCmdWaitEvents2(cmd, 1, &sync2_event, &dependency);
        copy_words(cmd, work.buffer, result.buffer, kWords / 2, kWords / 2, kWords / 2);

        vkCmdResetEvent(cmd, reset_on_device, VK_PIPELINE_STAGE_TRANSFER_BIT);
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                       VK_ACCESS_2_HOST_READ_BIT);
    });
    OBSERVE(report, "vkGetEventStatus(set by vkCmdSetEvent)", vkGetEventStatus(device, device_event), VK_EVENT_SET);
    OBSERVE(report, "vkGetEventStatus(set by vkCmdSetEvent2)", vkGetEventStatus(device, sync2_event), VK_EVENT_SET);
    OBSERVE(report, "vkGetEventStatus(reset by vkCmdResetEvent)", vkGetEventStatus(device, reset_on_device),
            VK_EVENT_RESET);
    const auto* words = result.as<const uint32_t>();
    for (uint32_t i = 0; i < kWords; ++i) {
        uint32_t expected = i == kWords / 2 ? 0xe1u : i == kWords / 2 + 1 ? 0xe2u : 0x5e5e5e5eu;
        require(words[i] == expected, "timeline: event result word " + std::to_string(i) + " is " +
                                          std::to_string(words[i]) + ", expected " + std::to_string(expected));
    }
    report.line("event-ordered copies: words 8,9 = 0x%x 0x%x, others 0x%x", words[8], words[9], words[0]);
}

}  // namespace

Output run_timeline(TestContext& ctx) {
    TextReport report;
    VkSemaphore timeline = ctx.create_timeline_semaphore(0);
    host_semaphores(ctx, report, timeline);
    gpu_chain(ctx, report, timeline);
    wait_any_and_fences(ctx, report, timeline);
    events(ctx, report);
    return report.bytes();
}

}  // namespace anarchy::testprog
