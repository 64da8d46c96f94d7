#include "server/acquire_signals.h"

#include "common/log.h"
#include "server/session.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace anarchy::server {

AcquireSignals::AcquireSignals() {
    const char* v = std::getenv("ANARCHY_ACQUIRE_SIGNAL_MERGE");
    merging_ = !(v && std::strcmp(v, "0") == 0);
}

void AcquireSignals::add(VkDevice device, VkQueue queue, VkSemaphore semaphore) {
    pending_.push_back({device, queue, semaphore});
}

std::vector<VkSemaphore> AcquireSignals::take(VkQueue queue) {
    std::vector<VkSemaphore> out;
    auto keep = std::remove_if(pending_.begin(), pending_.end(), [&](const Pending& p) {
        if (p.queue != queue) return false;
        out.push_back(p.semaphore);
        return true;
    });
    pending_.erase(keep, pending_.end());
    merged += out.size();
    return out;
}

std::vector<AcquireSignals::Pending> AcquireSignals::take_all() {
    std::vector<Pending> out;
    out.swap(pending_);
    separate += out.size();
    return out;
}

void AcquireSignals::forget(VkSemaphore semaphore) {
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                  [&](const Pending& p) { return p.semaphore == semaphore; }),
                   pending_.end());
}

void AcquireSignals::forget_device(VkDevice device) {
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                  [&](const Pending& p) { return p.device == device; }),
                   pending_.end());
}

void submit_acquire_signals(Session& s) {
    for (const AcquireSignals::Pending& p : s.acquire_signals().take_all()) {
        VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        si.signalSemaphoreCount = 1;
        si.pSignalSemaphores = &p.semaphore;
        const VkResult r = s.vk(p.queue).QueueSubmit(p.queue, 1, &si, VK_NULL_HANDLE);
        if (r != VK_SUCCESS) s.note_async_failure("vkAcquireNextImageKHR (signal)", r);
    }
}

}  // namespace anarchy::server
