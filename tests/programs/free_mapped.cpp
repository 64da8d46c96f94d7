// free_mapped: memory freed while still mapped (legal: vkFreeMemory unmaps), then new allocations that are
// likely to reuse the same addresses on both sides. Each of 40 iterations allocates host-visible memory of a
// varying size, maps it, writes it, has the GPU copy it into a slot of a device-local buffer, writes it
// again without any submission reading it (bytes that must simply go away with the memory), and frees it
// still mapped (every fourth iteration unmaps first, for contrast). At the end all slots are copied into
// one read-back buffer and checked. Output: the read-back bytes.
#include "memory_util.h"
#include "programs.h"

#include <cstring>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr uint32_t kIterations = 40;
constexpr VkDeviceSize kSlot = 96 * 1024;

}  // namespace

Output run_free_mapped(TestContext& ctx) {
    VkDevice device = ctx.device();
    const VkMemoryPropertyFlags coherent = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    Buffer slots = ctx.create_buffer(kSlot * kIterations,
                                     VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                     VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    Buffer readback = ctx.create_buffer(kSlot * kIterations, VK_BUFFER_USAGE_TRANSFER_DST_BIT, coherent);
    std::vector<uint8_t> model(kSlot * kIterations, 0);
    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        vkCmdFillBuffer(cmd, slots.buffer, 0, VK_WHOLE_SIZE, 0);
        transfer_barrier(cmd);
    });

    VkCommandPool pool = ctx.create_command_pool(VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT);
    VkCommandBuffer cmd = ctx.allocate_command_buffer(pool);
    VkFence fence = ctx.create_fence();
    Rng rng(0x66726565u);
    for (uint32_t i = 0; i < kIterations; ++i) {
        // Sizes repeat (so the allocator hands back the memory just freed) and vary (so it cannot always).
        const VkDeviceSize size = (i % 3 == 2) ? kSlot : rng.range(1, kSlot / 4096) * 4096 - rng.range(0, 100);
        LooseBuffer source = create_loose_buffer(ctx, size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, coherent);
        void* mapped = nullptr;
        VK_CHECK(vkMapMemory(device, source.memory, 0, VK_WHOLE_SIZE, 0, &mapped));
        auto* bytes = static_cast<uint8_t*>(mapped);
        for (VkDeviceSize b = 0; b < size; ++b) bytes[b] = model[i * kSlot + b] = rng.byte();

        begin_command_buffer(cmd);
        VkBufferCopy copy{0, i * kSlot, size};
        vkCmdCopyBuffer(cmd, source.buffer, slots.buffer, 1, &copy);
        transfer_barrier(cmd);
        VK_CHECK(vkEndCommandBuffer(cmd));
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd;
        VK_CHECK(vkQueueSubmit(ctx.queue(), 1, &submit, fence));
        VK_CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
        VK_CHECK(vkResetFences(device, 1, &fence));

        // Written after the last submission that reads it: these bytes die with the memory.
        for (VkDeviceSize b = 0; b < size; b += 61) bytes[b] ^= 0xff;
        if (i % 4 == 3) {
            // Unmapped first, for contrast, then freed.
            vkUnmapMemory(device, source.memory);
        }
        destroy_loose_buffer(ctx, source);  // still mapped unless unmapped just above
    }

    ctx.submit_and_wait([&](VkCommandBuffer copy_cmd) {
        VkBufferCopy whole{0, 0, kSlot * kIterations};
        vkCmdCopyBuffer(copy_cmd, slots.buffer, readback.buffer, 1, &whole);
        transfer_to_host_barrier(copy_cmd);
    });
    const auto* got = readback.as<const uint8_t>();
    for (VkDeviceSize b = 0; b < model.size(); ++b)
        require(got[b] == model[b], "free_mapped: slot " + std::to_string(b / kSlot) + " byte " +
                                        std::to_string(b % kSlot) + " is " + std::to_string(got[b]) + ", expected " +
                                        std::to_string(model[b]));
    return bytes_of(got, model.size());
}

}  // namespace anarchy::testprog
