// VK_KHR_swapchain, emulated: swapchain images are ordinary images on the server, created here through the
// generated protocol. Acquire is answered on the client from the images' states; present sends one message, and
// the server captures, encodes and streams the image back on the video channel (video_channel.h).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <type_traits>

#include "client/command_writer.h"
#include "client/entry_points.h"
#include "client/objects.h"
#include "client/present_barrier.h"
#include "client/runtime.h"
#include "client/swapchain_sharing.h"
#include "client/video_channel.h"
#include "client/wsi_objects.h"
#include "client_commands_autogen.h"
#include "common/log.h"
#include "protocol/messages.h"
#include "protocol/swapchain_messages.h"
#include "video/decoder.h"

namespace anarchy::client {

VkImageUsageFlags swapchain_usage_flags(VkPhysicalDevice pd);
bool format_is_presentable(VkPhysicalDevice pd, VkFormat format);

using Clock = std::chrono::steady_clock;

namespace {
/// VK_NV_present_metering: batches begun further apart are a pause in the program, not its frame rate.
constexpr std::chrono::microseconds kMaxMeteredBatch{250000};
}  // namespace

void SwapchainState::complete_presents(uint64_t through) {
    while (!program_present_ids.empty() && program_present_ids.front().first <= through) {
        presented_id = std::max(presented_id, program_present_ids.front().second);
        program_present_ids.pop_front();
    }
    changed.notify_all();
}

void SwapchainState::complete_oldest_present() {
    if (!program_present_ids.empty()) complete_presents(program_present_ids.front().first);
}

void SwapchainState::meter_present(uint64_t present_id, const VkSetPresentConfigNV* config, Clock::time_point now) {
    if (config) {
        // A new batch: the time since the last one began is how long a batch has on screen.
        if (meter_batch_start != Clock::time_point{}) {
            const auto since = std::chrono::duration_cast<std::chrono::microseconds>(now - meter_batch_start);
            if (since <= kMaxMeteredBatch)
                meter_interval = meter_interval.count() ? (3 * meter_interval + since) / 4 : since;
            else
                meter_interval = std::chrono::microseconds{0};  // a pause, not a frame: measure afresh
        }
        meter_batch = config->numFramesPerBatch;
        meter_next = 0;
        meter_batch_start = now;
    }
    if (meter_next >= meter_batch) {
        meter_batch = 0;  // the batch is over: presents go as they come until the next configuration
        return;
    }
    MeteredPresent m;
    m.position = meter_next++;
    if (meter_interval.count()) m.spacing = meter_interval / meter_batch;
    metered[present_id] = m;
}

void SwapchainState::free_image(uint32_t index) {
    std::lock_guard<std::mutex> lock(mu);
    if (index < state.size()) state[index] = ImageState::Free;
    changed.notify_all();
}

namespace {

SwapchainObject* swapchain_of(VkSwapchainKHR h) { return reinterpret_cast<SwapchainObject*>(h); }

/// Our ids of presents, unique in the process: frames come back under them.
uint64_t new_present_id() {
    static std::atomic<uint64_t> next{1};
    return next++;
}

/// SHARED_CONTINUOUS_REFRESH's rate: ANARCHY_REFRESH_HZ where given (as for FIFO), else 60 refreshes a second.
std::chrono::microseconds continuous_refresh_interval() {
    double hz = 60;
    if (const char* v = std::getenv("ANARCHY_REFRESH_HZ")) {
        const double given = std::strtod(v, nullptr);
        if (given >= 1 && given <= 1000) hz = given;
    }
    return std::chrono::microseconds(int64_t(1e6 / hz));
}

/// A non-dispatchable handle's id: the handle is the id (a pointer-sized value on 64-bit, uint64_t on 32-bit).
template <typename Handle>
uint64_t id_of(Handle handle) {
    if constexpr (std::is_pointer_v<Handle>)
        return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(handle));
    else
        return static_cast<uint64_t>(handle);
}

/// A queue of the device for commands that need one (signalling at acquire).
QueueObject* any_queue(DeviceObject* dev) {
    {
        std::lock_guard<std::mutex> lock(dev->mu);
        if (!dev->queues.empty()) return dev->queues.begin()->second.get();
    }
    VkQueue q = VK_NULL_HANDLE;
    GetDeviceQueue(reinterpret_cast<VkDevice>(dev), dev->first_queue_family, 0, &q);
    return object_of<QueueObject>(q);
}

/// Releases the server images and memory of a swapchain (the server stopped capturing it first).
void destroy_images(VkDevice device, SwapchainState& sc) {
    for (uint64_t img : sc.images) gen_cmd::vkDestroyImage(device, reinterpret_cast<VkImage>(img), nullptr);
    if (sc.memory) gen_cmd::vkFreeMemory(device, reinterpret_cast<VkDeviceMemory>(sc.memory), nullptr);
    sc.images.clear();
    sc.memory = 0;
}

}  // namespace

void SwapchainState::refresh_loop(std::chrono::microseconds interval) {
    Runtime* rt = device->rt;
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
        if (stop_refresh || retired || lost || rt->lost()) return;
        const auto now = Clock::now();
        const auto due = last_capture + interval;
        // Only after the program's first present (it gave the queue), while the mode is continuous refresh, and
        // once the previous frame has been shown or dropped: an unchanged image never queues up.
        const bool active = present_queue != 0 && mode.load() == VK_PRESENT_MODE_SHARED_CONTINUOUS_REFRESH_KHR;
        if (!active || presents_pending > 0 || now < due) {
            changed.wait_until(lock, active && presents_pending == 0 ? due : now + std::chrono::milliseconds(100));
            continue;
        }
        const uint64_t pid = new_present_id();
        present_times[pid] = now;
        ++presents_pending;
        last_capture = now;
        protocol::QueuePresentMessage msg;
        msg.queue = present_queue;
        msg.queue_family = present_family;
        msg.entries.push_back({id, 0, pid, uint32_t(VK_PRESENT_MODE_SHARED_CONTINUOUS_REFRESH_KHR)});
        lock.unlock();
        // No semaphores: the presentation engine reads the shared image whenever it refreshes (tearing allowed).
        CommandWriter w(*rt, static_cast<uint32_t>(protocol::CustomCommand::QueuePresent), false);
        msg.encode(w.enc());
        w.send();
        rt->flush();
        lock.lock();
    }
}

SwapchainState::~SwapchainState() {
    // Normally done by vkDestroySwapchainKHR; a swapchain the program never destroyed ends with its instance.
    PresentBarrier::instance().leave(this);
    if (latency.sleeper.joinable()) stop_latency(*this);
    if (refresher.joinable()) {
        {
            std::lock_guard<std::mutex> lock(mu);
            stop_refresh = true;
            changed.notify_all();
        }
        refresher.join();
    }
}

VKAPI_ATTR VkResult VKAPI_CALL CreateSwapchainKHR(VkDevice device, const VkSwapchainCreateInfoKHR* ci,
                                                  const VkAllocationCallbacks*, VkSwapchainKHR* pSwapchain) {
    try {
        auto* dev = object_of<DeviceObject>(device);
        Runtime* rt = dev->rt;
        if (rt->lost()) return VK_ERROR_DEVICE_LOST;
        auto* surface = reinterpret_cast<SurfaceObject*>(ci->surface);
        VkPhysicalDevice pd = reinterpret_cast<VkPhysicalDevice>(dev->physical_device);
        if (ci->oldSwapchain) {
            auto& old = *swapchain_of(ci->oldSwapchain)->state;
            // A swapchain made in its place decides anew whether it uses the present barrier.
            PresentBarrier::instance().leave(&old);
            std::lock_guard<std::mutex> lock(old.mu);
            old.retired = true;
            old.changed.notify_all();
        }
        if (ci->imageExtent.width == 0 || ci->imageExtent.height == 0) {
            LOG_ERROR("vkCreateSwapchainKHR: zero-sized extent");
            return VK_ERROR_INITIALIZATION_FAILED;
        }
        if (!format_is_presentable(pd, ci->imageFormat)) {
            LOG_ERROR("vkCreateSwapchainKHR: format %d is not one the surface reports", int(ci->imageFormat));
            return VK_ERROR_INITIALIZATION_FAILED;
        }
        auto extent = surface->current_extent();
        if (!extent) return VK_ERROR_SURFACE_LOST_KHR;
        if (extent->width != 0xFFFFFFFFu &&
            (extent->width != ci->imageExtent.width || extent->height != ci->imageExtent.height))
            return VK_ERROR_OUT_OF_DATE_KHR;

        std::string err;
        VideoChannel* channel = rt->video_channel(&err);
        if (!channel) {
            std::fprintf(stderr, "anarchy: cannot open the video channel to %s: %s\n", rt->address().c_str(),
                         err.c_str());
            return VK_ERROR_SURFACE_LOST_KHR;
        }

        auto sc = std::make_shared<SwapchainState>();
        sc->id = rt->new_id();
        sc->device = dev;
        sc->surface = surface;
        sc->format = ci->imageFormat;
        sc->extent = ci->imageExtent;
        sc->mode = ci->presentMode;
        sc->modes = {ci->presentMode};
        const auto& supported = supported_present_modes();
        for (auto* n = static_cast<const VkBaseInStructure*>(ci->pNext); n; n = n->pNext)
            if (n->sType == VK_STRUCTURE_TYPE_SWAPCHAIN_PRESENT_MODES_CREATE_INFO_KHR) {
                // VK_KHR_swapchain_maintenance1: the modes later presents may switch to.
                auto* m = reinterpret_cast<const VkSwapchainPresentModesCreateInfoKHR*>(n);
                sc->modes.assign(m->pPresentModes, m->pPresentModes + m->presentModeCount);
            } else if (n->sType == VK_STRUCTURE_TYPE_SWAPCHAIN_PRESENT_BARRIER_CREATE_INFO_NV) {
                sc->present_barrier =
                    reinterpret_cast<const VkSwapchainPresentBarrierCreateInfoNV*>(n)->presentBarrierEnable;
            } else if (n->sType == VK_STRUCTURE_TYPE_SWAPCHAIN_LATENCY_CREATE_INFO_NV) {
                // VK_NV_low_latency2: recorded; low latency mode works on every swapchain here (latency.cpp).
                sc->latency.create_enabled = reinterpret_cast<const VkSwapchainLatencyCreateInfoNV*>(n)->latencyModeEnable;
            }
        // VK_KHR_shared_presentable_image: the two shared modes switch to each other only (surface.cpp).
        sc->shared = is_shared_present_mode(ci->presentMode);
        const auto& compatible = sc->shared ? shared_present_modes() : supported;
        for (VkPresentModeKHR m : sc->modes)
            if (std::find(compatible.begin(), compatible.end(), m) == compatible.end()) {
                LOG_ERROR("vkCreateSwapchainKHR: present mode %d is not one the surface reports for a swapchain of "
                          "mode %d", int(m), int(ci->presentMode));
                return VK_ERROR_INITIALIZATION_FAILED;
            }
        // A shared presentable swapchain has exactly one image (its minImageCount must be 1).
        const uint32_t count = sc->shared ? 1u : std::max(ci->minImageCount, 2u);

        // Images: what the program asked for, plus TRANSFER_SRC for the server's capture.
        VkImageCreateInfo ici{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
        VkImageFormatListCreateInfo formats{};  // mutable formats: the list alone, not what follows it in the chain
        for (auto* n = static_cast<const VkBaseInStructure*>(ci->pNext); n; n = n->pNext)
            if (n->sType == VK_STRUCTURE_TYPE_IMAGE_FORMAT_LIST_CREATE_INFO) {
                formats = *reinterpret_cast<const VkImageFormatListCreateInfo*>(n);
                formats.pNext = nullptr;
                ici.pNext = &formats;
            }
        if (ci->flags & VK_SWAPCHAIN_CREATE_MUTABLE_FORMAT_BIT_KHR) ici.flags |= VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT;
        ici.imageType = VK_IMAGE_TYPE_2D;
        ici.format = ci->imageFormat;
        ici.extent = {ci->imageExtent.width, ci->imageExtent.height, 1};
        ici.mipLevels = 1;
        ici.arrayLayers = ci->imageArrayLayers;
        ici.samples = VK_SAMPLE_COUNT_1_BIT;
        ici.tiling = VK_IMAGE_TILING_OPTIMAL;
        ici.usage = ci->imageUsage | VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
        ici.sharingMode = ci->imageSharingMode;
        ici.queueFamilyIndexCount = ci->queueFamilyIndexCount;
        ici.pQueueFamilyIndices = ci->pQueueFamilyIndices;
        // Where the device has a copy engine or asynchronous compute family, the server captures on queues of its
        // own there, beside the program's rendering rather than behind its next frame: the images are shared with
        // those families, and with every family the program could use them on, so no ownership transfer is needed.
        std::vector<uint32_t> sharing;
        uint32_t family_count = 0;
        gen_cmd::vkGetPhysicalDeviceQueueFamilyProperties(pd, &family_count, nullptr);
        std::vector<VkQueueFamilyProperties> families(family_count);
        gen_cmd::vkGetPhysicalDeviceQueueFamilyProperties(pd, &family_count, families.data());
        const SwapchainImageSharing shared_with = swapchain_image_sharing(families, *ci);
        if (shared_with.shared()) {
            sharing = shared_with.families;
            ici.sharingMode = VK_SHARING_MODE_CONCURRENT;
            ici.queueFamilyIndexCount = uint32_t(sharing.size());
            ici.pQueueFamilyIndices = sharing.data();
        }
        ici.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
        for (uint32_t i = 0; i < count; ++i) {
            VkImage img = VK_NULL_HANDLE;
            VkResult r = gen_cmd::vkCreateImage(device, &ici, nullptr, &img);
            if (r != VK_SUCCESS) {
                destroy_images(device, *sc);
                return r;
            }
            sc->images.push_back(id_of(img));
        }
        // One allocation for all images: one round trip, however many images.
        VkMemoryRequirements req{};
        gen_cmd::vkGetImageMemoryRequirements(device, reinterpret_cast<VkImage>(sc->images[0]), &req);
        const VkDeviceSize stride = (req.size + req.alignment - 1) / req.alignment * req.alignment;
        uint32_t type = UINT32_MAX;
        for (int pass = 0; pass < 2 && type == UINT32_MAX; ++pass)
            for (uint32_t i = 0; i < dev->memory_properties.memoryTypeCount; ++i) {
                if (!(req.memoryTypeBits & (1u << i))) continue;
                VkMemoryPropertyFlags f = dev->memory_properties.memoryTypes[i].propertyFlags;
                if (pass == 0 && !(f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)) continue;
                type = i;
                break;
            }
        if (type == UINT32_MAX) {
            destroy_images(device, *sc);
            return VK_ERROR_OUT_OF_DEVICE_MEMORY;
        }
        VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
        mai.allocationSize = stride * count;
        mai.memoryTypeIndex = type;
        VkDeviceMemory mem = VK_NULL_HANDLE;
        VkResult r = AllocateMemory(device, &mai, nullptr, &mem);
        if (r != VK_SUCCESS) {
            destroy_images(device, *sc);
            return r;
        }
        sc->memory = id_of(mem);
        for (uint32_t i = 0; i < count; ++i)
            gen_cmd::vkBindImageMemory(device, reinterpret_cast<VkImage>(sc->images[i]), mem, stride * i);
        sc->state.assign(count, ImageState::Free);
        sc->returns_on_display.assign(count, false);

        if (sc->present_barrier) PresentBarrier::instance().join(sc.get());
        channel->add(sc);
        CommandWriter w(*rt, static_cast<uint32_t>(protocol::CustomCommand::SwapchainCreate), false);
        protocol::SwapchainCreateMessage msg;
        msg.device = object_of<DeviceObject>(device)->id;
        msg.swapchain = sc->id;
        msg.format = uint32_t(sc->format);
        msg.width = sc->extent.width;
        msg.height = sc->extent.height;
        msg.present_mode = uint32_t(sc->mode);
        msg.images = sc->images;
        msg.old_swapchain = ci->oldSwapchain ? swapchain_of(ci->oldSwapchain)->state->id : 0;
        msg.copy_family = shared_with.copy_family;
        msg.compute_family = shared_with.compute_family;
        msg.encode(w.enc());
        w.send();

        if (std::find(sc->modes.begin(), sc->modes.end(), VK_PRESENT_MODE_SHARED_CONTINUOUS_REFRESH_KHR) !=
            sc->modes.end())
            sc->refresher = std::thread([raw = sc.get(), interval = continuous_refresh_interval()] {
                try {
                    raw->refresh_loop(interval);
                } catch (const std::exception& ex) {
                    LOG_ERROR("shared presentable image refresh: %s", ex.what());
                }
            });
        auto obj = std::make_unique<SwapchainObject>();
        obj->state = std::move(sc);
        *pSwapchain = reinterpret_cast<VkSwapchainKHR>(obj.release());
        return VK_SUCCESS;
    } catch (const std::exception& ex) {
        LOG_ERROR("vkCreateSwapchainKHR: %s", ex.what());
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
}

VKAPI_ATTR void VKAPI_CALL DestroySwapchainKHR(VkDevice device, VkSwapchainKHR swapchain, const VkAllocationCallbacks*) {
    if (!swapchain) return;
    try {
        auto* obj = swapchain_of(swapchain);
        auto sc = obj->state;
        Runtime* rt = object_of<DeviceObject>(device)->rt;
        // Its frames still held by the present barrier go to the window now; the others no longer wait for it.
        PresentBarrier::instance().leave(sc.get());
        stop_latency(*sc);
        {
            std::lock_guard<std::mutex> lock(sc->mu);
            if (sc->acquires)
                LOG_INFO("swapchain %llu: %llu of %llu acquires waited for an image, %.1f ms in all",
                         (unsigned long long)sc->id, (unsigned long long)sc->acquires_waited,
                         (unsigned long long)sc->acquires,
                         std::chrono::duration<double, std::milli>(sc->acquire_wait).count());
        }
        if (sc->refresher.joinable()) {
            {
                std::lock_guard<std::mutex> lock(sc->mu);
                sc->stop_refresh = true;
                sc->changed.notify_all();
            }
            sc->refresher.join();
        }
        std::string err;
        VideoChannel* channel = rt->lost() ? nullptr : rt->video_channel(&err);
        // As a local driver does: frames already presented reach the window before the swapchain goes.
        if (channel) {
            rt->flush();
            channel->drain(*sc, std::chrono::milliseconds(1000));
        }
        {
            std::lock_guard<std::mutex> lock(sc->mu);
            sc->retired = true;
            sc->changed.notify_all();
        }
        // A frame being drawn right now finishes before the program may destroy the surface.
        { std::lock_guard<std::mutex> displaying(sc->display_mu); }
        if (channel) channel->remove(sc->id);
        CommandWriter w(*rt, static_cast<uint32_t>(protocol::CustomCommand::SwapchainDestroy), false);
        protocol::SwapchainDestroyMessage{sc->id}.encode(w.enc());
        w.send();
        destroy_images(device, *sc);
        delete obj;
    } catch (const std::exception& ex) {
        LOG_ERROR("vkDestroySwapchainKHR: %s", ex.what());
    }
}

VKAPI_ATTR VkResult VKAPI_CALL GetSwapchainImagesKHR(VkDevice, VkSwapchainKHR swapchain, uint32_t* count,
                                                     VkImage* images) {
    auto& sc = *swapchain_of(swapchain)->state;
    const uint32_t n = uint32_t(sc.images.size());
    if (!images) {
        *count = n;
        return VK_SUCCESS;
    }
    uint32_t k = std::min(*count, n);
    for (uint32_t i = 0; i < k; ++i) images[i] = reinterpret_cast<VkImage>(sc.images[i]);
    *count = k;
    return k < n ? VK_INCOMPLETE : VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL AcquireNextImageKHR(VkDevice device, VkSwapchainKHR swapchain, uint64_t timeout,
                                                   VkSemaphore semaphore, VkFence fence, uint32_t* index) {
    try {
        auto& sc = *swapchain_of(swapchain)->state;
        Runtime* rt = object_of<DeviceObject>(device)->rt;
        if (rt->lost()) return VK_ERROR_DEVICE_LOST;
        {
            std::lock_guard<std::mutex> lock(sc.mu);
            if (sc.retired) return VK_ERROR_OUT_OF_DATE_KHR;
            if (sc.lost) return VK_ERROR_SURFACE_LOST_KHR;
        }
        auto extent = sc.surface->current_extent();
        if (!extent) return VK_ERROR_SURFACE_LOST_KHR;
        if (extent->width != 0xFFFFFFFFu && (extent->width != sc.extent.width || extent->height != sc.extent.height))
            return VK_ERROR_OUT_OF_DATE_KHR;

        // Infinite waits still wake up to notice a lost connection; finite ones honour the timeout.
        const auto deadline = timeout == UINT64_MAX ? Clock::time_point::max()
                                                    : Clock::now() + std::chrono::nanoseconds(std::min<uint64_t>(
                                                                         timeout, uint64_t(INT64_MAX / 2)));
        uint32_t found = UINT32_MAX;
        {
            std::unique_lock<std::mutex> lock(sc.mu);
            std::optional<Clock::time_point> wait_began;
            for (;;) {
                for (uint32_t i = 0; i < sc.state.size(); ++i)
                    if (sc.state[i] == ImageState::Free) {
                        found = i;
                        break;
                    }
                // The shared presentable image stays the program's once acquired: acquiring again hands it back.
                if (sc.shared && sc.state[0] == ImageState::Acquired) found = 0;
                if (found != UINT32_MAX) break;
                if (!wait_began) wait_began = Clock::now();
                if (sc.retired) return VK_ERROR_OUT_OF_DATE_KHR;
                if (sc.lost || rt->lost()) return rt->lost() ? VK_ERROR_DEVICE_LOST : VK_ERROR_SURFACE_LOST_KHR;
                if (timeout == 0) return VK_NOT_READY;
                auto now = Clock::now();
                if (now >= deadline) return VK_TIMEOUT;
                sc.changed.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(100)));
            }
            sc.state[found] = ImageState::Acquired;
            sc.acquires++;
            if (wait_began) {
                sc.acquires_waited++;
                sc.acquire_wait += Clock::now() - *wait_began;
            }
        }
        if (semaphore || fence) {
            QueueObject* q = any_queue(sc.device);
            CommandWriter w(*rt, static_cast<uint32_t>(protocol::CustomCommand::AcquireSignal), false);
            protocol::AcquireSignalMessage{q->id, id_of(semaphore), id_of(fence)}.encode(w.enc());
            w.send();
        }
        *index = found;
        return VK_SUCCESS;
    } catch (const std::exception& ex) {
        LOG_ERROR("vkAcquireNextImageKHR: %s", ex.what());
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
}

VKAPI_ATTR VkResult VKAPI_CALL AcquireNextImage2KHR(VkDevice device, const VkAcquireNextImageInfoKHR* info,
                                                    uint32_t* index) {
    return AcquireNextImageKHR(device, info->swapchain, info->timeout, info->semaphore, info->fence, index);
}

VKAPI_ATTR VkResult VKAPI_CALL QueuePresentKHR(VkQueue queue, const VkPresentInfoKHR* info) {
    try {
        auto* q = object_of<QueueObject>(queue);
        Runtime* rt = q->rt;
        if (rt->lost()) return VK_ERROR_DEVICE_LOST;
        // The GPU reads the images now: the program's mapped-memory writes go first.
        if (!rt->flush_memory_writes()) return VK_ERROR_DEVICE_LOST;
        const auto now = Clock::now();
        std::vector<VkResult> results(info->swapchainCount, VK_SUCCESS);
        std::vector<std::pair<SwapchainState*, uint64_t>> sent;  // swapchain, present id
        const VkPresentIdKHR* program_ids = nullptr;                 // VK_KHR_present_id
        const VkSwapchainPresentFenceInfoKHR* fences = nullptr;      // VK_KHR_swapchain_maintenance1
        const VkSwapchainPresentModeInfoKHR* mode_changes = nullptr;  // VK_KHR_swapchain_maintenance1
        const VkSetPresentConfigNV* metering = nullptr;               // VK_NV_present_metering
        for (auto* n = static_cast<const VkBaseInStructure*>(info->pNext); n; n = n->pNext) {
            if (n->sType == VK_STRUCTURE_TYPE_PRESENT_ID_KHR) program_ids = reinterpret_cast<const VkPresentIdKHR*>(n);
            // VK_KHR_present_id2's structure has VkPresentIdKHR's members, in the same order.
            else if (n->sType == VK_STRUCTURE_TYPE_PRESENT_ID_2_KHR)
                program_ids = reinterpret_cast<const VkPresentIdKHR*>(n);
            else if (n->sType == VK_STRUCTURE_TYPE_SET_PRESENT_CONFIG_NV)
                metering = reinterpret_cast<const VkSetPresentConfigNV*>(n);
            else if (n->sType == VK_STRUCTURE_TYPE_SWAPCHAIN_PRESENT_FENCE_INFO_KHR)
                fences = reinterpret_cast<const VkSwapchainPresentFenceInfoKHR*>(n);
            else if (n->sType == VK_STRUCTURE_TYPE_SWAPCHAIN_PRESENT_MODE_INFO_KHR)
                mode_changes = reinterpret_cast<const VkSwapchainPresentModeInfoKHR*>(n);
        }
        if (metering) {
            // The status of the configuration goes back in the structure itself, as the extension defines
            // (numFramesPerBatch may be at most 8; 0 ends metering).
            const bool valid = metering->numFramesPerBatch <= 8;
            const_cast<VkSetPresentConfigNV*>(metering)->presentConfigFeedback =
                uint32_t(valid ? VK_SUCCESS : VK_ERROR_VALIDATION_FAILED);
            if (!valid) {
                LOG_ERROR("vkQueuePresentKHR: VkSetPresentConfigNV::numFramesPerBatch %u is larger than 8",
                          metering->numFramesPerBatch);
                metering = nullptr;
            }
        }
        for (uint32_t i = 0; i < info->swapchainCount; ++i) {
            auto& sc = *swapchain_of(info->pSwapchains[i])->state;
            uint32_t index = info->pImageIndices[i];
            std::lock_guard<std::mutex> lock(sc.mu);
            if (index >= sc.state.size() || sc.state[index] != ImageState::Acquired) {
                LOG_ERROR("vkQueuePresentKHR: image %u was not acquired", index);
                results[i] = VK_ERROR_OUT_OF_DATE_KHR;
                continue;
            }
            if (sc.lost) {
                sc.state[index] = ImageState::Free;
                results[i] = VK_ERROR_SURFACE_LOST_KHR;
                continue;
            }
            if (mode_changes && i < mode_changes->swapchainCount) {
                VkPresentModeKHR m = mode_changes->pPresentModes[i];
                if (std::find(sc.modes.begin(), sc.modes.end(), m) == sc.modes.end()) {
                    LOG_ERROR("vkQueuePresentKHR: present mode %d was not given at swapchain creation", int(m));
                    sc.state[index] = ImageState::Free;
                    results[i] = VK_ERROR_OUT_OF_DATE_KHR;
                    continue;
                }
                sc.mode = m;
            }
            // The shared presentable image is never given back: the program keeps drawing into it while it is shown.
            if (!sc.shared) {
                sc.state[index] = ImageState::Presented;
                sc.returns_on_display[index] = sc.fifo();
            }
            ++sc.presents_pending;
            uint64_t pid = new_present_id();
            if (sc.present_barrier) PresentBarrier::instance().presented(&sc, pid);
            sc.meter_present(pid, metering, now);
            sc.present_times[pid] = now;
            sc.present_queue = q->id;
            sc.present_family = q->family;
            sc.last_capture = now;
            sc.changed.notify_all();
            if (program_ids && program_ids->pPresentIds && i < program_ids->swapchainCount &&
                program_ids->pPresentIds[i]) {
                sc.program_present_ids.emplace_back(pid, program_ids->pPresentIds[i]);
                // VK_NV_low_latency2: the frame report of this presentID learns when the GPU finished it.
                sc.latency.frame(program_ids->pPresentIds[i]).our_present = pid;
            }
            sent.emplace_back(&sc, pid);
            if (sc.retired) results[i] = VK_ERROR_OUT_OF_DATE_KHR;
            else if (sc.window_extent && sc.window_extent->width != 0xFFFFFFFFu &&
                     (sc.window_extent->width != sc.extent.width || sc.window_extent->height != sc.extent.height))
                results[i] = VK_SUBOPTIMAL_KHR;
        }
        CommandWriter w(*rt, static_cast<uint32_t>(protocol::CustomCommand::QueuePresent), false);
        protocol::QueuePresentMessage msg;
        msg.queue = q->id;
        msg.queue_family = q->family;
        for (uint32_t i = 0; i < info->waitSemaphoreCount; ++i) msg.wait_semaphores.push_back(id_of(info->pWaitSemaphores[i]));
        for (uint32_t i = 0, k = 0; i < info->swapchainCount; ++i) {
            if (k >= sent.size()) break;
            auto& sc = *swapchain_of(info->pSwapchains[i])->state;
            if (sent[k].first != &sc) continue;
            msg.entries.push_back({sc.id, info->pImageIndices[i], sent[k].second, uint32_t(sc.mode.load())});
            ++k;
        }
        msg.encode(w.enc());
        w.send();
        // Present fences signal once the present no longer uses its semaphores and image: after the server's
        // capture, which it submitted to this queue while handling the present. An empty submission after it on
        // the same queue signals then (fences of failed presents too: the program may wait on them).
        if (fences && fences->pFences)
            for (uint32_t i = 0; i < fences->swapchainCount && i < info->swapchainCount; ++i)
                if (fences->pFences[i]) {
                    VkResult r = gen_cmd::vkQueueSubmit(queue, 0, nullptr, fences->pFences[i]);
                    if (r < 0) return r;
                }
        if (!rt->flush()) return VK_ERROR_DEVICE_LOST;
        VkResult overall = VK_SUCCESS;
        for (uint32_t i = 0; i < info->swapchainCount; ++i) {
            if (info->pResults) info->pResults[i] = results[i];
            if (results[i] < 0 && overall >= 0) overall = results[i];
            else if (results[i] == VK_SUBOPTIMAL_KHR && overall == VK_SUCCESS) overall = VK_SUBOPTIMAL_KHR;
        }
        return overall;
    } catch (const std::exception& ex) {
        LOG_ERROR("vkQueuePresentKHR: %s", ex.what());
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
}

// VK_KHR_swapchain_maintenance1: acquired images the program will not present go back to the swapchain.
VKAPI_ATTR VkResult VKAPI_CALL ReleaseSwapchainImagesKHR(VkDevice, const VkReleaseSwapchainImagesInfoKHR* info) {
    try {
        auto& sc = *swapchain_of(info->swapchain)->state;
        std::lock_guard<std::mutex> lock(sc.mu);
        for (uint32_t i = 0; i < info->imageIndexCount; ++i) {
            uint32_t index = info->pImageIndices[i];
            if (index < sc.state.size() && sc.state[index] == ImageState::Acquired) sc.state[index] = ImageState::Free;
        }
        sc.changed.notify_all();
        return VK_SUCCESS;
    } catch (const std::exception& ex) {
        LOG_ERROR("vkReleaseSwapchainImagesKHR: %s", ex.what());
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
}

// VK_KHR_shared_presentable_image: whether the window still shows the swapchain's image, with the answers
// vkAcquireNextImageKHR would give (a window of another size makes the swapchain out of date here).
VKAPI_ATTR VkResult VKAPI_CALL GetSwapchainStatusKHR(VkDevice device, VkSwapchainKHR swapchain) {
    try {
        Runtime* rt = runtime_of(device);
        if (rt->lost()) return VK_ERROR_DEVICE_LOST;
        auto& sc = *swapchain_of(swapchain)->state;
        {
            std::lock_guard<std::mutex> lock(sc.mu);
            if (sc.retired) return VK_ERROR_OUT_OF_DATE_KHR;
            if (sc.lost) return VK_ERROR_SURFACE_LOST_KHR;
        }
        auto extent = sc.surface->current_extent();
        if (!extent) return VK_ERROR_SURFACE_LOST_KHR;
        if (extent->width != 0xFFFFFFFFu && (extent->width != sc.extent.width || extent->height != sc.extent.height))
            return VK_ERROR_OUT_OF_DATE_KHR;
        return VK_SUCCESS;
    } catch (const std::exception& ex) {
        LOG_ERROR("vkGetSwapchainStatusKHR: %s", ex.what());
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
}

// VK_KHR_present_wait: a present is complete when its frame was shown in the window (or passed by a newer one, as
// MAILBOX does), which the video channel reports; presentIds only grow, so waiting for N means "N or later".
VKAPI_ATTR VkResult VKAPI_CALL WaitForPresentKHR(VkDevice device, VkSwapchainKHR swapchain, uint64_t presentId,
                                                 uint64_t timeout) {
    try {
        Runtime* rt = runtime_of(device);
        auto& sc = *swapchain_of(swapchain)->state;
        std::unique_lock<std::mutex> lock(sc.mu);
        auto done = [&] { return sc.presented_id >= presentId || sc.lost || sc.retired || rt->lost(); };
        if (timeout == UINT64_MAX) {
            // Wake now and then to notice a lost connection, which does not notify this swapchain.
            while (!sc.changed.wait_for(lock, std::chrono::milliseconds(100), done)) {
            }
        } else if (!sc.changed.wait_for(lock, std::chrono::nanoseconds(std::min<uint64_t>(timeout, INT64_MAX)), done)) {
            return VK_TIMEOUT;
        }
        if (sc.presented_id >= presentId) return VK_SUCCESS;
        if (rt->lost()) return VK_ERROR_DEVICE_LOST;
        return sc.lost ? VK_ERROR_SURFACE_LOST_KHR : VK_ERROR_OUT_OF_DATE_KHR;
    } catch (const std::exception& ex) {
        LOG_ERROR("vkWaitForPresentKHR: %s", ex.what());
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
}

static_assert(offsetof(VkPresentId2KHR, swapchainCount) == offsetof(VkPresentIdKHR, swapchainCount) &&
              offsetof(VkPresentId2KHR, pPresentIds) == offsetof(VkPresentIdKHR, pPresentIds));

VKAPI_ATTR VkResult VKAPI_CALL WaitForPresent2KHR(VkDevice device, VkSwapchainKHR swapchain,
                                                  const VkPresentWait2InfoKHR* info) {
    return WaitForPresentKHR(device, swapchain, info->presentId, info->timeout);
}

VKAPI_ATTR VkResult VKAPI_CALL GetDeviceGroupPresentCapabilitiesKHR(VkDevice,
                                                                   VkDeviceGroupPresentCapabilitiesKHR* caps) {
    std::memset(caps->presentMask, 0, sizeof caps->presentMask);
    caps->presentMask[0] = 1;
    caps->modes = VK_DEVICE_GROUP_PRESENT_MODE_LOCAL_BIT_KHR;
    return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL GetDeviceGroupSurfacePresentModesKHR(VkDevice, VkSurfaceKHR,
                                                                   VkDeviceGroupPresentModeFlagsKHR* modes) {
    *modes = VK_DEVICE_GROUP_PRESENT_MODE_LOCAL_BIT_KHR;
    return VK_SUCCESS;
}

}  // namespace anarchy::client
