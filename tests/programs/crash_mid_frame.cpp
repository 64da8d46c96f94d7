// crash_mid_frame: not a test of results but of failure: submits a frame's worth of GPU work (copies back and
// forth between two 32 MiB buffers, then into host-visible memory), has a second thread wait for its fence, and
// kills itself with SIGKILL while the work is in flight: no destructor runs, no goodbye is sent. The server must
// drain the work, answer nobody, free the session's objects and go on serving the others
// (tests/integration/leaked_objects.py).
#include "programs.h"

#include <chrono>
#include <csignal>
#ifdef _WIN32
#include <windows.h>
#endif
#include <cstdio>
#include <thread>

namespace anarchy::testprog {

Output run_crash_mid_frame(TestContext& ctx) {
    VkDevice device = ctx.device();
    const VkDeviceSize size = VkDeviceSize(32) << 20;
    const VkBufferUsageFlags usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    Buffer a = ctx.create_buffer(size, usage, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    Buffer b = ctx.create_buffer(size, usage, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    Buffer readback = ctx.create_buffer(1 << 20, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VkCommandPool pool = ctx.create_command_pool();
    VkCommandBuffer cmd = ctx.allocate_command_buffer(pool);
    VkFence fence = ctx.create_fence();

    begin_command_buffer(cmd);
    vkCmdFillBuffer(cmd, a.buffer, 0, VK_WHOLE_SIZE, 0x5a5a5a5au);
    for (int i = 0; i < 48; ++i) {
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_COPY_BIT | VK_PIPELINE_STAGE_2_CLEAR_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                       VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT | VK_ACCESS_2_TRANSFER_WRITE_BIT);
        VkBufferCopy whole{0, 0, size};
        vkCmdCopyBuffer(cmd, i % 2 ? b.buffer : a.buffer, i % 2 ? a.buffer : b.buffer, 1, &whole);
    }
    memory_barrier(cmd, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_COPY_BIT,
                   VK_ACCESS_2_TRANSFER_READ_BIT);
    VkBufferCopy tail{0, 0, 1 << 20};
    vkCmdCopyBuffer(cmd, a.buffer, readback.buffer, 1, &tail);
    VK_CHECK(vkEndCommandBuffer(cmd));
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;
    VK_CHECK(vkQueueSubmit(ctx.queue(), 1, &submit, fence));

    // A wait the server holds for this program when it dies.
    std::thread waiter([device, fence] { vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX); });
    waiter.detach();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::printf("crash_mid_frame: killing itself with work in flight\n");
    std::fflush(stdout);
#ifdef _WIN32
    ::TerminateProcess(::GetCurrentProcess(), 137);  // no cleanup at all, like SIGKILL
#else
    std::raise(SIGKILL);
#endif
    throw TestFailure("crash_mid_frame: the program survived killing itself");
}

}  // namespace anarchy::testprog
