#include "server/capture_queue.h"

#include <cstdlib>
#include <cstring>

#include "common/log.h"
#include "protocol/capture_families.h"

namespace anarchy::server {
namespace {

std::optional<CaptureQueuePlan> add_queue(uint32_t f, const std::vector<VkQueueFamilyProperties>& families,
                                          std::vector<VkDeviceQueueCreateInfo>& queues,
                                          std::vector<std::vector<float>>& priorities) {
    if (f == protocol::kNoFamily) return std::nullopt;
    for (VkDeviceQueueCreateInfo& q : queues) {
        if (q.queueFamilyIndex != f) continue;
        if (q.flags || q.queueCount >= families[f].queueCount || !q.pQueuePriorities) return std::nullopt;
        std::vector<float>& p = priorities.emplace_back(q.pQueuePriorities, q.pQueuePriorities + q.queueCount);
        p.push_back(1.0f);
        q.pQueuePriorities = p.data();
        return CaptureQueuePlan{f, q.queueCount++};
    }
    const std::vector<float>& p = priorities.emplace_back(1, 1.0f);
    VkDeviceQueueCreateInfo q{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    q.queueFamilyIndex = f;
    q.queueCount = 1;
    q.pQueuePriorities = p.data();
    queues.push_back(q);
    return CaptureQueuePlan{f, 0};
}

}  // namespace

CaptureQueuesPlan plan_capture_queues(const std::vector<VkQueueFamilyProperties>& families,
                                      std::vector<VkDeviceQueueCreateInfo>& queues,
                                      std::vector<std::vector<float>>& priorities) {
    // The priorities' storage must not move while queues point into it: room for both requests up front.
    priorities.reserve(priorities.size() + 2);
    CaptureQueuesPlan plan;
    plan.copy = add_queue(protocol::copy_engine_family(families), families, queues, priorities);
    plan.compute = add_queue(protocol::async_compute_family(families), families, queues, priorities);
    return plan;
}

bool capture_queues_wanted() {
    static const bool wanted = [] {
        const char* v = std::getenv("ANARCHY_CAPTURE_QUEUE");
        if (!v || !*v || std::strcmp(v, "own") == 0) return true;
        if (std::strcmp(v, "program") == 0) return false;
        LOG_WARN("ANARCHY_CAPTURE_QUEUE=%s: `own` or `program`; using own", v);
        return true;
    }();
    return wanted;
}

}  // namespace anarchy::server
