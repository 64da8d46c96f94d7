#include "offscreen_loop.h"

#include "frame_slot.h"
#include "offscreen_target.h"
#include "png_writer.h"
#include "result_line.h"
#include "scene_renderer.h"
#include "vulkan_context.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

namespace anarchy::demo {
namespace {

constexpr uint32_t kFramesInFlight = 2;
constexpr VkFormat kColorFormat = VK_FORMAT_R8G8B8A8_SRGB;
constexpr uint32_t kProgressEvery = 50;

}  // namespace

int run_offscreen(const DemoOptions& options) {
    VulkanContext context("anarchy_demo_scene");
    SceneRenderer renderer(context, kColorFormat, kFramesInFlight);

    // Each slot renders into its own image, reused once the slot's fence says the GPU is done with it.
    std::vector<FrameSlot> slots;
    std::vector<std::unique_ptr<OffscreenTarget>> targets;
    for (uint32_t i = 0; i < kFramesInFlight; ++i) {
        slots.emplace_back(context);
        targets.push_back(
            std::make_unique<OffscreenTarget>(context, VkExtent2D{options.width, options.height}, kColorFormat));
    }
    // Declared after everything the frames use, so on the way out (also by exception) the device goes idle
    // before any of it is destroyed.
    DeviceIdleGuard idle(context.device());

    const auto start = std::chrono::steady_clock::now();
    for (uint32_t frame = 0; frame < options.frames; ++frame) {
        const uint32_t slot_index = frame % kFramesInFlight;
        FrameSlot& slot = slots[slot_index];
        slot.wait();
        VkCommandBuffer cmd = slot.begin();
        renderer.render_frame(cmd, slot_index, frame, targets[slot_index]->target());
        slot.submit(context.queue(), VkSubmitInfo{VK_STRUCTURE_TYPE_SUBMIT_INFO});

        if (!options.quiet && (frame + 1) % kProgressEvery == 0) {
            std::fprintf(stderr, "frame %u/%u\n", frame + 1, options.frames);
        }
    }
    for (const FrameSlot& slot : slots) slot.wait();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (!options.png_path.empty()) {
        const OffscreenTarget& last = *targets[(options.frames - 1) % kFramesInFlight];
        write_png_rgb(options.png_path, options.width, options.height, last.read_rgb(context));
    }
    print_result(options.frames, seconds, context.device_name());
    return 0;
}

}  // namespace anarchy::demo
