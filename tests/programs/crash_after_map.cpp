// crash_after_map: not a test of results but of failure: creates a device, maps host-visible memory, writes
// into it, then writes through a null pointer. The program must die by SIGSEGV natively and remotely alike
// (a driver that catches SIGSEGV for page tracking must hand the program's own faults back), and the server
// must go on serving others (tests/integration/segfault_program.py).
#include "programs.h"

#include <cstdio>
#include <cstring>

namespace anarchy::testprog {

Output run_crash_after_map(TestContext& ctx) {
    Buffer buffer = ctx.create_buffer(1 << 20, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    std::memset(buffer.mapped, 0x5a, 1 << 20);
    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        VkBufferCopy region{0, 4096, 4096};
        vkCmdCopyBuffer(cmd, buffer.buffer, buffer.buffer, 1, &region);
    });
    buffer.as<uint8_t>()[100] = 1;  // a write into the mapping after the submission, then the fault
    std::printf("crash_after_map: writing through a null pointer\n");
    std::fflush(stdout);
    volatile int* volatile null_pointer = nullptr;
    *null_pointer = 1;
    throw TestFailure("crash_after_map: a write through a null pointer did not fault");
}

}  // namespace anarchy::testprog
