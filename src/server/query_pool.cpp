// Query pools: results with VK_QUERY_RESULT_WAIT_BIT are polled on the session's wait pool.
#include <chrono>
#include <thread>
#include <vector>

#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {

VkResult override_vkGetQueryPoolResults(Session& s, VkDevice device, VkQueryPool queryPool, uint32_t firstQuery,
                                        uint32_t queryCount, size_t dataSize, void* pData, VkDeviceSize stride,
                                        VkQueryResultFlags flags) {
    if (!(flags & VK_QUERY_RESULT_WAIT_BIT))
        return s.vk(device).GetQueryPoolResults(device, queryPool, firstQuery, queryCount, dataSize, pData, stride, flags);
    VkQueryResultFlags poll_flags = flags & ~VK_QUERY_RESULT_WAIT_BIT;
    auto data = std::make_shared<std::vector<uint8_t>>(dataSize);
    auto hold = s.holds().hold({reinterpret_cast<uint64_t>(queryPool)});
    s.defer_reply(device, [&s, device, queryPool, firstQuery, queryCount, data, stride, poll_flags, hold](
                              uint64_t slice_ns, protocol::WireEncoder& out) {
        // The pool destroyed under the wait (natively undefined): answer as a lost device, never touch it again.
        if (hold->cancelled()) {
            out.i32(VK_ERROR_DEVICE_LOST);
            out.blob(data->data(), data->size());
            return true;
        }
        // Drivers have no blocking wait with a timeout here: poll with a growing pause, within the slice.
        auto start = std::chrono::steady_clock::now();
        auto pause = std::chrono::microseconds(20);
        VkResult r;
        for (;;) {
            r = s.vk(device).GetQueryPoolResults(device, queryPool, firstQuery, queryCount, data->size(), data->data(), stride,
                                           poll_flags);
            if (r != VK_NOT_READY || s.abandoned(device) || hold->cancelled()) break;
            if (std::chrono::steady_clock::now() - start >= std::chrono::nanoseconds(slice_ns)) return false;
            std::this_thread::sleep_for(pause);
            if (pause < std::chrono::microseconds(1000)) pause *= 2;
        }
        if ((s.abandoned(device) || hold->cancelled()) && r == VK_NOT_READY) r = VK_ERROR_DEVICE_LOST;
        out.i32(s.sync_result(protocol::CommandId::vkGetQueryPoolResults, r));
        out.blob(data->data(), data->size());
        return true;
    });
    return kReplyDeferred;
}

void override_vkDestroyQueryPool(Session& s, VkDevice device, VkQueryPool queryPool, const VkAllocationCallbacks*) {
    auto destroy = s.vk(device).DestroyQueryPool;
    s.holds().destroy_or_park(reinterpret_cast<uint64_t>(queryPool), [=] { destroy(device, queryPool, nullptr); });
}

}  // namespace anarchy::server
