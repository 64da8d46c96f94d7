// Queues: submissions (the write tracker resolves what their command buffers may write) and idle waits (an
// empty submission with a fresh fence per queue, waited for on the wait pool).
#include <vector>

#include "server/gpu_write_tracker.h"
#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {
namespace {

VkDevice queue_device(Session& s, VkQueue queue) {
    ObjectEntry e;
    uint64_t id = s.objects().find_id(VK_OBJECT_TYPE_QUEUE, reinterpret_cast<uint64_t>(queue));
    if (!id || !s.objects().entry(id, e)) return VK_NULL_HANDLE;
    return reinterpret_cast<VkDevice>(e.owner);
}

VkResult idle_queues(Session& s, VkDevice device, const std::vector<VkQueue>& queues, protocol::CommandId command) {
    std::vector<VkFence> fences;
    auto destroy_all = [&s, device](const std::vector<VkFence>& list) {
        for (VkFence f : list) s.vk(device).DestroyFence(device, f, nullptr);
    };
    for (VkQueue q : queues) {
        VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, nullptr, 0};
        VkFence f{};
        VkResult r = s.vk(device).CreateFence(device, &fci, nullptr, &f);
        if (r == VK_SUCCESS) {
            r = s.vk(q).QueueSubmit(q, 0, nullptr, f);
            if (r != VK_SUCCESS) s.vk(device).DestroyFence(device, f, nullptr);
        }
        if (r != VK_SUCCESS) {
            destroy_all(fences);
            return r;
        }
        fences.push_back(f);
    }
    s.defer_reply(device, [&s, device, fences = std::move(fences), destroy_all, command](uint64_t slice_ns,
                                                                                       protocol::WireEncoder& out) {
        VkResult r = VK_SUCCESS;
        if (!fences.empty()) {
            // A closing session or a device being destroyed gives the GPU a last second, then answers; fences
            // still in use are left to the device's destruction rather than destroyed under the GPU.
            uint64_t t = s.abandoned(device) ? 1'000'000'000ull : slice_ns;
            r = s.vk(device).WaitForFences(device, static_cast<uint32_t>(fences.size()), fences.data(), VK_TRUE, t);
            if (r == VK_TIMEOUT && !s.abandoned(device)) return false;
        }
        if (r == VK_SUCCESS) destroy_all(fences);
        if (s.abandoned(device)) r = VK_ERROR_DEVICE_LOST;
        out.i32(s.sync_result(command, r));
        return true;
    });
    return kReplyDeferred;
}

// The program's batches behind `lead`, the batch that signals the deferred acquire semaphores.
template <class SubmitInfo>
std::vector<SubmitInfo> behind(const SubmitInfo& lead, const SubmitInfo* submits, uint32_t count) {
    std::vector<SubmitInfo> all;
    all.reserve(count + 1);
    all.push_back(lead);
    if (submits) all.insert(all.end(), submits, submits + count);
    return all;
}

// The acquire signals deferred for this queue (acquire_signals.h); those of other queues are submitted first, on
// their own queues, since this submission may wait for them too.
std::vector<VkSemaphore> take_acquire_signals(Session& s, VkQueue queue) {
    if (s.acquire_signals().empty()) return {};
    std::vector<VkSemaphore> mine = s.acquire_signals().take(queue);
    if (!s.acquire_signals().empty()) submit_acquire_signals(s);
    return mine;
}

}  // namespace

VkResult override_vkQueueWaitIdle(Session& s, VkQueue queue) {
    VkDevice device = queue_device(s, queue);
    if (!device) return s.vk(queue).QueueWaitIdle(queue);
    return idle_queues(s, device, {queue}, protocol::CommandId::vkQueueWaitIdle);
}

VkResult override_vkDeviceWaitIdle(Session& s, VkDevice device) {
    std::vector<VkQueue> queues;
    for (auto& [id, e] : s.objects().of_type(VK_OBJECT_TYPE_QUEUE))
        if (e.owner == reinterpret_cast<uint64_t>(device)) queues.push_back(reinterpret_cast<VkQueue>(e.handle));
    return idle_queues(s, device, queues, protocol::CommandId::vkDeviceWaitIdle);
}

// Submission: the write tracker resolves what the submitted command buffers may write. A failed submission is
// reported to the program at its next synchronisation by the generated dispatch (note_async_failure).
VkResult override_vkQueueSubmit(Session& s, VkQueue queue, uint32_t submitCount, const VkSubmitInfo* pSubmits,
                                VkFence fence) {
    VkResult r;
    if (std::vector<VkSemaphore> signals = take_acquire_signals(s, queue); !signals.empty()) {
        // The deferred acquire signals lead as a batch of their own, ahead of the batches that wait for them.
        VkSubmitInfo lead{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        lead.signalSemaphoreCount = uint32_t(signals.size());
        lead.pSignalSemaphores = signals.data();
        const std::vector<VkSubmitInfo> all = behind(lead, pSubmits, submitCount);
        r = s.vk(queue).QueueSubmit(queue, uint32_t(all.size()), all.data(), fence);
    } else {
        r = s.vk(queue).QueueSubmit(queue, submitCount, pSubmits, fence);
    }
    if (r != VK_SUCCESS) return r;
    std::vector<VkCommandBuffer> cbs;
    for (uint32_t i = 0; pSubmits && i < submitCount; ++i)
        for (uint32_t k = 0; pSubmits[i].pCommandBuffers && k < pSubmits[i].commandBufferCount; ++k)
            cbs.push_back(pSubmits[i].pCommandBuffers[k]);
    s.gpu_writes().on_submit(queue_device(s, queue), queue, cbs);
    return r;
}

VkResult override_vkQueueSubmit2(Session& s, VkQueue queue, uint32_t submitCount, const VkSubmitInfo2* pSubmits,
                                 VkFence fence) {
    VkResult r;
    if (std::vector<VkSemaphore> signals = take_acquire_signals(s, queue); !signals.empty()) {
        std::vector<VkSemaphoreSubmitInfo> infos;
        for (VkSemaphore sem : signals) {
            VkSemaphoreSubmitInfo i{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
            i.semaphore = sem;
            i.stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
            infos.push_back(i);
        }
        VkSubmitInfo2 lead{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
        lead.signalSemaphoreInfoCount = uint32_t(infos.size());
        lead.pSignalSemaphoreInfos = infos.data();
        const std::vector<VkSubmitInfo2> all = behind(lead, pSubmits, submitCount);
        r = s.vk(queue).QueueSubmit2(queue, uint32_t(all.size()), all.data(), fence);
    } else {
        r = s.vk(queue).QueueSubmit2(queue, submitCount, pSubmits, fence);
    }
    if (r != VK_SUCCESS) return r;
    std::vector<VkCommandBuffer> cbs;
    for (uint32_t i = 0; pSubmits && i < submitCount; ++i)
        for (uint32_t k = 0; pSubmits[i].pCommandBufferInfos && k < pSubmits[i].commandBufferInfoCount; ++k)
            cbs.push_back(pSubmits[i].pCommandBufferInfos[k].commandBuffer);
    s.gpu_writes().on_submit(queue_device(s, queue), queue, cbs);
    return r;
}

}  // namespace anarchy::server
