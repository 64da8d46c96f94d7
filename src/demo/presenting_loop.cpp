#include "presenting_loop.h"

#include "frame_slot.h"
#include "image_readback.h"
#include "png_writer.h"
#include "result_line.h"
#include "scene_renderer.h"
#include "surface_source.h"
#include "swapchain_target.h"
#include "vulkan_context.h"
#include "vulkan_error.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace anarchy::demo {
namespace {

constexpr uint32_t kFramesInFlight = 2;
constexpr uint32_t kProgressEvery = 50;
// How long to wait before looking again at a surface of size 0x0 (a minimised window).
constexpr auto kZeroExtentPoll = std::chrono::milliseconds(10);

/// Makes a frame's target end ready for ImageReadback::record_copy instead of for presentation.
RenderTarget for_copy(RenderTarget target) {
    target.final_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    target.final_stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
    target.final_access = VK_ACCESS_TRANSFER_READ_BIT;
    return target;
}

/// After the copy of a for_copy() frame: hands the image to presentation.
void record_to_present(VkCommandBuffer cmd, VkImage image) {
    VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    barrier.srcAccessMask = 0;  // the copy only read the image
    barrier.dstAccessMask = 0;
    barrier.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    barrier.newLayout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
    barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.image = image;
    barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, nullptr, 0,
                         nullptr, 1, &barrier);
}

bool same_extent(VkExtent2D a, VkExtent2D b) { return a.width == b.width && a.height == b.height; }

}  // namespace

int run_presenting(const DemoOptions& options) {
    // The window (or headless source) outlives the context, which destroys the surface made on it.
    std::unique_ptr<SurfaceSource> source =
        make_surface_source(options.present, VkExtent2D{options.width, options.height});
    ContextOptions context_options;
    context_options.instance_extensions = source->instance_extensions();
    context_options.device_extensions = {VK_KHR_SWAPCHAIN_EXTENSION_NAME};
    context_options.needed_by = std::string("--present ") + presentation_name(options.present);
    context_options.create_surface = [&](VkInstance instance) { return source->create_surface(instance); };
    VulkanContext context("anarchy_demo_scene", context_options);

    const bool write_png = !options.png_path.empty();
    SwapchainTarget swapchain(context, {options.present_mode, write_png}, source->preferred_extent());
    if (write_png && !ImageReadback::supports(swapchain.format())) {
        throw VulkanError("--png cannot be made of the swapchain's format " + std::to_string(swapchain.format()));
    }
    // The pipeline is built for the swapchain's format, which re-creation keeps.
    SceneRenderer renderer(context, swapchain.format(), kFramesInFlight);

    std::vector<FrameSlot> slots;
    // Per slot, signalled by the acquire and waited on by the slot's submission: free again once the slot's
    // fence says that submission completed.
    std::vector<UniqueSemaphore> image_available(kFramesInFlight);
    for (UniqueSemaphore& semaphore : image_available) {
        slots.emplace_back(context);
        VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
        VK_CHECK(vkCreateSemaphore(context.device(), &info, nullptr, semaphore.put(context.device())));
    }
    // The copy of the frame meant to be the last. Recorded again only when that frame's presentation went
    // out of date, after which the swapchain re-creation idled the device, so the buffer is free.
    std::unique_ptr<ImageReadback> readback;
    // Declared after everything the frames use, so on the way out (also by exception) the device goes idle
    // before any of it is destroyed.
    DeviceIdleGuard idle(context.device());

    uint32_t presented = 0;
    uint64_t rendered = 0;  // the scene's frame index: frames submitted, presented or not
    bool stale = !swapchain.ready();
    bool closed = false;
    const auto start = std::chrono::steady_clock::now();
    while (presented < options.frames) {
        const SurfaceEvents events = source->poll_events();
        if (events.close_requested) {
            closed = true;
            break;
        }
        if (events.resized || stale) {
            stale = !swapchain.recreate(source->preferred_extent());
            if (stale) {  // 0x0: skip frames until the surface has a size again
                std::this_thread::sleep_for(kZeroExtentPoll);
                continue;
            }
        }

        const uint32_t slot_index = uint32_t(rendered % kFramesInFlight);
        FrameSlot& slot = slots[slot_index];
        slot.wait();
        uint32_t image_index = 0;
        const SwapchainTarget::Status acquired = swapchain.acquire(image_available[slot_index].get(), image_index);
        if (acquired == SwapchainTarget::Status::OutOfDate) {
            stale = true;
            continue;
        }

        VkCommandBuffer cmd = slot.begin();
        const RenderTarget target = swapchain.target(image_index);
        if (write_png && presented + 1 == options.frames) {
            renderer.render_frame(cmd, slot_index, rendered, for_copy(target));
            if (!readback || !same_extent(readback->extent(), target.extent)) {
                readback = std::make_unique<ImageReadback>(context, target.extent, target.format);
            }
            readback->record_copy(cmd, target.image);
            record_to_present(cmd, target.image);
        } else {
            renderer.render_frame(cmd, slot_index, rendered, target);
        }
        // The image may still be read by its previous presentation until the acquire semaphore signals; the
        // frame's first barrier waits for this stage.
        const VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
        const VkSemaphore wait = image_available[slot_index].get();
        const VkSemaphore signal = swapchain.render_finished(image_index);
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.waitSemaphoreCount = 1;
        submit.pWaitSemaphores = &wait;
        submit.pWaitDstStageMask = &wait_stage;
        submit.signalSemaphoreCount = 1;
        submit.pSignalSemaphores = &signal;
        slot.submit(context.queue(), submit);
        ++rendered;

        const SwapchainTarget::Status shown = swapchain.present(context.queue(), image_index);
        if (shown != SwapchainTarget::Status::OutOfDate) {
            ++presented;
            if (!options.quiet && presented % kProgressEvery == 0) {
                std::fprintf(stderr, "frame %u/%u\n", presented, options.frames);
            }
        }
        if (acquired != SwapchainTarget::Status::Ok || shown != SwapchainTarget::Status::Ok) stale = true;
    }
    for (const FrameSlot& slot : slots) slot.wait();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (closed) {
        std::fprintf(stderr, "anarchy_demo_scene: the window was closed after %u of %u frames\n", presented,
                     options.frames);
    }
    if (write_png) {
        if (presented == options.frames) {
            write_png_rgb(options.png_path, readback->extent().width, readback->extent().height, readback->rgb());
        } else {
            std::fprintf(stderr, "anarchy_demo_scene: no PNG written: the run ended before its last frame\n");
        }
    }
    print_result(presented, seconds, context.device_name());
    return 0;
}

}  // namespace anarchy::demo
