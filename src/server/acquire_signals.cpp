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

void signal_acquire_now(Session& s, VkQueue queue, VkSemaphore semaphore, VkFence fence) {
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.signalSemaphoreCount = semaphore ? 1 : 0;
    si.pSignalSemaphores = &semaphore;
    const VkResult r = s.vk(queue).QueueSubmit(queue, semaphore ? 1 : 0, &si, fence);
    if (r != VK_SUCCESS) s.note_async_failure("vkAcquireNextImageKHR (signal)", r);
}

void submit_acquire_signals(Session& s) {
    for (const AcquireSignals::Pending& p : s.acquire_signals().take_all())
        signal_acquire_now(s, p.queue, p.semaphore, VK_NULL_HANDLE);
}

}  // namespace anarchy::server
