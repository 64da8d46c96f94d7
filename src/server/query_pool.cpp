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
    s.defer_reply(device, [&s, device, queryPool, firstQuery, queryCount, data, stride, poll_flags](uint64_t slice_ns,
                                                                                       protocol::WireEncoder& out) {
        // Drivers have no blocking wait with a timeout here: poll with a growing pause, within the slice.
        auto start = std::chrono::steady_clock::now();
        auto pause = std::chrono::microseconds(20);
        VkResult r;
        for (;;) {
            r = s.vk(device).GetQueryPoolResults(device, queryPool, firstQuery, queryCount, data->size(), data->data(), stride,
                                           poll_flags);
            if (r != VK_NOT_READY || s.abandoned(device)) break;
            if (std::chrono::steady_clock::now() - start >= std::chrono::nanoseconds(slice_ns)) return false;
            std::this_thread::sleep_for(pause);
            if (pause < std::chrono::microseconds(1000)) pause *= 2;
        }
        if (s.abandoned(device) && r == VK_NOT_READY) r = VK_ERROR_DEVICE_LOST;
        out.i32(s.sync_result(protocol::CommandId::vkGetQueryPoolResults, r));
        out.blob(data->data(), data->size());
        return true;
    });
    return kReplyDeferred;
}

}  // namespace anarchy::server
