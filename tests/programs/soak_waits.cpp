// soak_waits: many submit-and-wait cycles in one session, for tests/integration/soak_waits.py to watch the
// server's threads and memory stay flat. Each cycle submits one tiny pre-recorded command buffer with a fence,
// waits for the fence and resets it; every 1000th cycle also waits for the queue and the device to go idle.
// The number of cycles comes from ANARCHY_SOAK_CYCLES (default 1000), since the command line takes only
// `--out FILE`. Output: a line with the number of cycles done.
#include "programs.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace anarchy::testprog {

Output run_soak_waits(TestContext& ctx) {
    VkDevice device = ctx.device();
    uint64_t cycles = 1000;
    if (const char* value = std::getenv("ANARCHY_SOAK_CYCLES")) cycles = std::strtoull(value, nullptr, 10);
    require(cycles > 0, "soak_waits: ANARCHY_SOAK_CYCLES must be a positive number");

    Buffer target = ctx.create_buffer(256, VK_BUFFER_USAGE_TRANSFER_DST_BIT, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    VkCommandPool pool = ctx.create_command_pool();
    VkCommandBuffer cmd = ctx.allocate_command_buffer(pool);
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};  // resubmitted: not one-time
    VK_CHECK(vkBeginCommandBuffer(cmd, &begin));
    vkCmdFillBuffer(cmd, target.buffer, 0, 256, 0x12345678u);
    VK_CHECK(vkEndCommandBuffer(cmd));
    VkFence fence = ctx.create_fence();
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;

    const auto start = std::chrono::steady_clock::now();
    for (uint64_t cycle = 1; cycle <= cycles; ++cycle) {
        VK_CHECK(vkQueueSubmit(ctx.queue(), 1, &submit, fence));
        VK_CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
        VK_CHECK(vkResetFences(device, 1, &fence));
        if (cycle % 1000 == 0) {
            VK_CHECK(vkQueueWaitIdle(ctx.queue()));
            VK_CHECK(vkDeviceWaitIdle(device));
        }
        if (cycle % 10000 == 0 || cycle == cycles) {
            double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::fprintf(stderr, "soak_waits: %llu cycles in %.1f s (%.0f per second)\n", (unsigned long long)cycle,
                         seconds, cycle / seconds);
        }
    }
    std::string line = "soak_waits: " + std::to_string(cycles) + " submit-and-wait cycles\n";
    return Output(line.begin(), line.end());
}

}  // namespace anarchy::testprog
