#include "server/capture_queue.h"

#include <cstdlib>
#include <cstring>

#include "common/log.h"

namespace anarchy::server {

std::optional<CaptureQueuePlan> plan_capture_queue(const std::vector<VkQueueFamilyProperties>& families,
                                                   std::vector<VkDeviceQueueCreateInfo>& queues,
                                                   std::vector<float>& priorities) {
    constexpr VkQueueFlags kWork = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT;
    for (uint32_t f = 0; f < families.size(); ++f) {
        const VkQueueFamilyProperties& p = families[f];
        if (!(p.queueFlags & VK_QUEUE_TRANSFER_BIT) || (p.queueFlags & kWork) || !p.queueCount) continue;
        for (VkDeviceQueueCreateInfo& q : queues) {
            if (q.queueFamilyIndex != f) continue;
            if (q.flags || q.queueCount >= p.queueCount || !q.pQueuePriorities) return std::nullopt;
            priorities.assign(q.pQueuePriorities, q.pQueuePriorities + q.queueCount);
            priorities.push_back(1.0f);
            q.pQueuePriorities = priorities.data();
            return CaptureQueuePlan{f, q.queueCount++};
        }
        priorities.assign(1, 1.0f);
        VkDeviceQueueCreateInfo q{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
        q.queueFamilyIndex = f;
        q.queueCount = 1;
        q.pQueuePriorities = priorities.data();
        queues.push_back(q);
        return CaptureQueuePlan{f, 0};
    }
    return std::nullopt;
}

bool capture_queue_wanted() {
    static const bool wanted = [] {
        const char* v = std::getenv("ANARCHY_CAPTURE_QUEUE");
        if (!v || !*v || std::strcmp(v, "copy") == 0) return true;
        if (std::strcmp(v, "program") == 0) return false;
        LOG_WARN("ANARCHY_CAPTURE_QUEUE=%s: `copy` or `program`; using copy", v);
        return true;
    }();
    return wanted;
}

}  // namespace anarchy::server
