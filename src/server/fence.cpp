// Fences: waits run on the session's wait pool so the session keeps serving meanwhile; a fence destroyed under a
// wait goes once the wait has answered.
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
    auto hold = s.holds().hold_handles(fences);
    s.defer_reply(device, [&s, device, fences = std::move(fences), waitAll, deadline, hold](uint64_t slice_ns,
                                                                                         protocol::WireEncoder& out) {
        // The device going, or a fence destroyed under the wait (natively undefined): the GPU is lost to it.
        if (s.abandoned(device) || hold->cancelled()) {
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

void override_vkDestroyFence(Session& s, VkDevice device, VkFence fence, const VkAllocationCallbacks*) {
    auto destroy = s.vk(device).DestroyFence;
    s.holds().destroy_or_park(reinterpret_cast<uint64_t>(fence), [=] { destroy(device, fence, nullptr); });
}

}  // namespace anarchy::server
