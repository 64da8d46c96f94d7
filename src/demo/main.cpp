// anarchy_demo_scene: renders a lit, textured, rotating torus offscreen the way a game's frame loop does
// (two frames in flight, per-frame fence wait, persistently mapped uniforms, re-recorded command buffers),
// times the loop and optionally writes the last frame as a PNG. `anarchy demo` runs it natively and through
// the remote driver side by side; it uses nothing but the public Vulkan API.
#include "demo_options.h"
#include "device_object.h"
#include "offscreen_target.h"
#include "png_writer.h"
#include "scene_renderer.h"
#include "vulkan_context.h"
#include "vulkan_error.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

namespace anarchy::demo {
namespace {

constexpr uint32_t kFramesInFlight = 2;
constexpr VkFormat kColorFormat = VK_FORMAT_R8G8B8A8_SRGB;
constexpr uint32_t kProgressEvery = 50;

/// What one frame in flight owns: the CPU waits on `fence` before resetting `pool` and reusing the slot's
/// uniforms, depth buffer and offscreen image.
struct FrameSlot {
    UniqueCommandPool pool;                     // reset as a whole each frame, as games commonly do
    VkCommandBuffer commands = VK_NULL_HANDLE;  // freed with `pool`
    UniqueFence fence;                          // created signalled, so the first wait returns at once
    std::unique_ptr<OffscreenTarget> target;
};

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

int run(const DemoOptions& options) {
    VulkanContext context("anarchy_demo_scene");
    VkDevice device = context.device();
    SceneRenderer renderer(context, kColorFormat, kFramesInFlight);

    std::array<FrameSlot, kFramesInFlight> slots;
    for (FrameSlot& slot : slots) {
        VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
        pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
        pool_info.queueFamilyIndex = context.queue_family();
        VK_CHECK(vkCreateCommandPool(device, &pool_info, nullptr, slot.pool.put(device)));
        VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
        alloc.commandPool = slot.pool.get();
        alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
        alloc.commandBufferCount = 1;
        VK_CHECK(vkAllocateCommandBuffers(device, &alloc, &slot.commands));
        VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        fence_info.flags = VK_FENCE_CREATE_SIGNALED_BIT;
        VK_CHECK(vkCreateFence(device, &fence_info, nullptr, slot.fence.put(device)));
        slot.target = std::make_unique<OffscreenTarget>(context, VkExtent2D{options.width, options.height}, kColorFormat);
    }
    // Declared after everything the frames use, so on the way out (also by exception) the device goes idle
    // before any of it is destroyed.
    DeviceIdleGuard idle(device);

    const auto start = std::chrono::steady_clock::now();
    for (uint32_t frame = 0; frame < options.frames; ++frame) {
        FrameSlot& slot = slots[frame % kFramesInFlight];
        VkFence fence = slot.fence.get();
        VK_CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
        VK_CHECK(vkResetFences(device, 1, &fence));

        VK_CHECK(vkResetCommandPool(device, slot.pool.get(), 0));
        VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        VK_CHECK(vkBeginCommandBuffer(slot.commands, &begin));
        renderer.render_frame(slot.commands, frame % kFramesInFlight, frame, slot.target->target());
        VK_CHECK(vkEndCommandBuffer(slot.commands));

        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &slot.commands;
        VK_CHECK(vkQueueSubmit(context.queue(), 1, &submit, fence));

        if (!options.quiet && (frame + 1) % kProgressEvery == 0) {
            std::fprintf(stderr, "frame %u/%u\n", frame + 1, options.frames);
        }
    }
    for (FrameSlot& slot : slots) {
        VkFence fence = slot.fence.get();
        VK_CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (!options.png_path.empty()) {
        const OffscreenTarget& last = *slots[(options.frames - 1) % kFramesInFlight].target;
        write_png_rgb(options.png_path, options.width, options.height, last.read_rgb(context));
    }

    std::printf("RESULT frames=%u seconds=%.3f fps=%.1f device=%s\n", options.frames, seconds,
                seconds > 0.0 ? options.frames / seconds : 0.0, quoted(context.device_name()).c_str());
    std::fflush(stdout);
    return 0;
}

}  // namespace
}  // namespace anarchy::demo

int main(int argc, char** argv) {
    using namespace anarchy::demo;
    std::string error;
    const std::optional<DemoOptions> options = parse_demo_options(argc, argv, error);
    if (!options) {
        if (error.empty()) {
            std::fputs(demo_usage(), stdout);
            return 0;
        }
        std::fprintf(stderr, "anarchy_demo_scene: %s\n%s", error.c_str(), demo_usage());
        return 1;
    }
    try {
        return run(*options);
    } catch (const VulkanError& e) {
        std::fprintf(stderr, "anarchy_demo_scene: Vulkan error: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "anarchy_demo_scene: %s\n", e.what());
        return 1;
    }
}
