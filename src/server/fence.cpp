// Fences: waits run on the session's wait pool so the session keeps serving meanwhile.
#include <vector>

#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {

VkResult override_vkWaitForFences(Session& s, VkDevice device, uint32_t fenceCount, const VkFence* pFences,
                                  VkBool32 waitAll, uint64_t timeout) {
    // Already signaled (a program waiting on a frame from a while ago), or a poll: answer now, without a hand-off
    // to the wait pool. The session thread itself never blocks in the driver.
    VkResult now = s.vk(device).WaitForFences(device, fenceCount, pFences, waitAll, 0);
    if (now != VK_TIMEOUT || timeout == 0) return now;
    std::vector<VkFence> fences(pFences, pFences + fenceCount);
    WaitDeadline deadline(timeout);
    s.defer_reply(device, [&s, device, fences = std::move(fences), waitAll, deadline](uint64_t slice_ns,
                                                                                   protocol::WireEncoder& out) {
        if (s.abandoned(device)) {
            out.i32(VK_ERROR_DEVICE_LOST);
            return true;
        }
        bool last = false;
        uint64_t t = deadline.slice(slice_ns, last);
        VkResult r = s.vk(device).WaitForFences(device, static_cast<uint32_t>(fences.size()), fences.data(), waitAll, t);
        if (r == VK_TIMEOUT && !last) return false;
        out.i32(s.sync_result(protocol::CommandId::vkWaitForFences, r));
        return true;
    });
    return kReplyDeferred;
}

}  // namespace anarchy::server
