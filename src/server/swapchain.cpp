#include "server/swapchain.h"

#include <string>
#include <vector>

#include "protocol/swapchain_messages.h"
#include "server/session.h"

namespace anarchy::server {
namespace {

/// Resolves a client id of a given type (0 allowed when optional); false with the decoder's error otherwise.
template <typename T>
bool resolve_id(Session& s, protocol::WireDecoder& d, uint64_t id, VkObjectType type, bool optional, T& out) {
    out = reinterpret_cast<T>(uint64_t(0));
    if (id == 0) return optional ? true : d.fail("null handle where one is required");
    uint64_t handle = 0;
    if (!s.objects().resolve(id, type, handle))
        return d.fail("unknown, destroyed or mistyped object id " + std::to_string(id) + " (expected " +
                      Session::object_type_name(type) + ")");
    out = reinterpret_cast<T>(handle);
    return true;
}

}  // namespace

bool handle_swapchain_create(Session& s, protocol::WireDecoder& d) {
    protocol::SwapchainCreateMessage msg;
    if (!msg.decode(d)) return false;
    VkDevice device{};
    if (!resolve_id(s, d, msg.device, VK_OBJECT_TYPE_DEVICE, false, device)) return false;
    std::vector<VkImage> images(msg.images.size());
    for (size_t i = 0; i < images.size(); ++i)
        if (!resolve_id(s, d, msg.images[i], VK_OBJECT_TYPE_IMAGE, false, images[i])) return false;
    auto mode = static_cast<VkPresentModeKHR>(msg.present_mode);
    if (!FrameStreamer::known_present_mode(mode)) return d.fail("unknown present mode " + std::to_string(msg.present_mode));
    std::string err;
    if (!s.streamer().create_swapchain(device, msg.swapchain, VkFormat(msg.format), VkExtent2D{msg.width, msg.height},
                                       mode, std::move(images), &err,
                                       FrameStreamer::SharedWith{msg.copy_family, msg.compute_family}))
        return d.fail(err);
    return true;
}

bool handle_swapchain_destroy(Session& s, protocol::WireDecoder& d) {
    protocol::SwapchainDestroyMessage msg;
    if (!msg.decode(d)) return false;
    s.streamer().destroy_swapchain(msg.swapchain);
    return true;
}

bool handle_acquire_signal(Session& s, protocol::WireDecoder& d) {
    protocol::AcquireSignalMessage msg;
    if (!msg.decode(d)) return false;
    VkQueue queue{};
    VkSemaphore sem{};
    VkFence fence{};
    if (!resolve_id(s, d, msg.queue, VK_OBJECT_TYPE_QUEUE, false, queue) ||
        !resolve_id(s, d, msg.semaphore, VK_OBJECT_TYPE_SEMAPHORE, true, sem) ||
        !resolve_id(s, d, msg.fence, VK_OBJECT_TYPE_FENCE, true, fence))
        return false;
    // The image is free already (its capture finished before the client saw it released): nothing to wait for. A
    // semaphore alone is signalled by the program's next submission to the queue (acquire_signals.h).
    ObjectEntry e;
    if (sem && !fence && s.acquire_signals().merging() && s.objects().entry(msg.queue, e)) {
        if (s.acquire_signals().size() >= AcquireSignals::kMaxPending) submit_acquire_signals(s);
        s.acquire_signals().add(reinterpret_cast<VkDevice>(e.owner), queue, sem);
        return true;
    }
    ++s.acquire_signals().separate;
    signal_acquire_now(s, queue, sem, fence);
    return true;
}

bool handle_queue_present(Session& s, protocol::WireDecoder& d) {
    protocol::QueuePresentMessage msg;
    if (!msg.decode(d)) return false;
    VkQueue queue{};
    if (!resolve_id(s, d, msg.queue, VK_OBJECT_TYPE_QUEUE, false, queue)) return false;
    std::vector<VkSemaphore> waits(msg.wait_semaphores.size());
    for (size_t i = 0; i < waits.size(); ++i)
        if (!resolve_id(s, d, msg.wait_semaphores[i], VK_OBJECT_TYPE_SEMAPHORE, false, waits[i])) return false;
    std::vector<PresentEntry> entries;
    entries.reserve(msg.entries.size());
    for (const auto& en : msg.entries) entries.push_back(PresentEntry{en.swapchain, en.image_index, en.present_id,
                                                                    static_cast<VkPresentModeKHR>(en.present_mode)});
    std::string err;
    if (!s.streamer().present(queue, msg.queue_family, waits, entries, &err)) return d.fail(err);
    return true;
}

}  // namespace anarchy::server
