// Times FrameCapturer on the first Vulkan device (lavapipe under ctest's environment; run it with
// VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json to be sure): one capture at a time, submit to
// wait, for each size and output. Prints the GPU time from timestamps and the host time, median and worst.
// Usage: anarchy_capture_bench [iterations]   (default 20)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "lavapipe_device.h"

using namespace anarchy::server::capture;
using namespace anarchy::server::capture::test;

namespace {

struct Stats {
    double median = 0;
    double worst = 0;
};

Stats stats_of(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v.back()};
}

}  // namespace

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
    try {
        LavapipeDevice device(/*validation=*/false);
        std::string error;
        std::unique_ptr<FrameCapturer> capturer = FrameCapturer::create(device.capturer_info(), &error);
        if (!capturer) {
            std::fprintf(stderr, "cannot create the capturer: %s\n", error.c_str());
            return 1;
        }
        std::printf("device: %s, %u host threads, %d captures per row (after 2 warm-up)\n",
                    device.device_name().c_str(), std::thread::hardware_concurrency(), iterations);
        std::printf("%-10s %-9s %-7s %12s %12s %12s %12s\n", "size", "source", "output", "gpu p50 ms", "gpu max ms",
                    "host p50 ms", "host max ms");
        const VkExtent2D sizes[] = {{1280, 720}, {1920, 1080}, {2560, 1600}};
        struct Row {
            VkFormat format;
            OutputFormat want;
            const char* source_name;
        };
        const Row rows[] = {{VK_FORMAT_B8G8R8A8_UNORM, OutputFormat::Bgra8, "BGRA8"},
                            {VK_FORMAT_R8G8B8A8_UNORM, OutputFormat::Bgra8, "RGBA8"},
                            {VK_FORMAT_B8G8R8A8_UNORM, OutputFormat::I420, "BGRA8"}};
        for (VkExtent2D size : sizes) {
            for (const Row& row : rows) {
                TestImage image = device.create_image(row.format, size);
                device.upload(image, pattern_bytes(size_t(size.width) * size.height * 4, 7),
                              VK_IMAGE_LAYOUT_PRESENT_SRC_KHR);
                std::vector<double> gpu_ms, host_ms;
                for (int i = 0; i < iterations + 2; ++i) {
                    const auto start = std::chrono::steady_clock::now();
                    const SubmitResult submitted = capturer->submit(device.queue(), {}, image.image, row.format, size,
                                                                    VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, row.want);
                    if (!submitted.ok()) throw std::runtime_error("submit: " + submitted.error);
                    const WaitResult done = capturer->wait(submitted.ticket, 30'000'000'000ull);
                    if (!done.ok()) throw std::runtime_error("wait: " + done.error);
                    const double host =
                        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
                    if (i >= 2) {  // the first captures allocate the slot buffers
                        gpu_ms.push_back(done.view.duration_us / 1000.0);
                        host_ms.push_back(host);
                    }
                    if (capturer->release(submitted.ticket) != CaptureStatus::Ok) throw std::runtime_error("release");
                }
                const Stats gpu = stats_of(gpu_ms), host = stats_of(host_ms);
                char size_text[32];
                std::snprintf(size_text, sizeof size_text, "%ux%u", size.width, size.height);
                std::printf("%-10s %-9s %-7s %12.2f %12.2f %12.2f %12.2f\n", size_text, row.source_name,
                            output_format_name(row.want), gpu.median, gpu.worst, host.median, host.worst);
                device.destroy_image(image);
            }
        }
        capturer.reset();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "capture bench failed: %s\n", e.what());
        return 1;
    }
    return 0;
}
