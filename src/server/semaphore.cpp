// Semaphores: host waits on timeline semaphores run on the session's wait pool.
#include <vector>

#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {

VkResult override_vkWaitSemaphores(Session& s, VkDevice device, const VkSemaphoreWaitInfo* pWaitInfo, uint64_t timeout) {
    // Already reached, or a poll: answer now, without a hand-off to the wait pool.
    VkResult now = s.vk(device).WaitSemaphores(device, pWaitInfo, 0);
    if (now != VK_TIMEOUT || timeout == 0) return now;
    std::vector<VkSemaphore> sems(pWaitInfo->pSemaphores, pWaitInfo->pSemaphores + pWaitInfo->semaphoreCount);
    std::vector<uint64_t> values(pWaitInfo->pValues, pWaitInfo->pValues + pWaitInfo->semaphoreCount);
    VkSemaphoreWaitFlags flags = pWaitInfo->flags;
    WaitDeadline deadline(timeout);
    auto hold = s.holds().hold_handles(sems);
    s.defer_reply(device, [&s, device, sems = std::move(sems), values = std::move(values), flags, deadline, hold](
                      uint64_t slice_ns, protocol::WireEncoder& out) {
        if (s.abandoned(device) || hold->cancelled()) {
            out.i32(VK_ERROR_DEVICE_LOST);
            return true;
        }
        VkSemaphoreWaitInfo wi{VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO, nullptr, flags, static_cast<uint32_t>(sems.size()),
                               sems.data(), values.data()};
        bool last = false;
        uint64_t t = deadline.slice(slice_ns, last);
        VkResult r = s.vk(device).WaitSemaphores(device, &wi, t);
        if (r == VK_TIMEOUT && !last) return false;
        out.i32(s.sync_result(protocol::CommandId::vkWaitSemaphores, r));
        return true;
    });
    return kReplyDeferred;
}

void override_vkDestroySemaphore(Session& s, VkDevice device, VkSemaphore semaphore, const VkAllocationCallbacks*) {
    s.acquire_signals().forget(semaphore);  // an acquire's signal nobody waited for: never submitted now
    auto destroy = s.vk(device).DestroySemaphore;
    s.holds().destroy_or_park(reinterpret_cast<uint64_t>(semaphore), [=] { destroy(device, semaphore, nullptr); });
}

}  // namespace anarchy::server
