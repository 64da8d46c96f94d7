// Mapped-memory frames per second: an ordinary Vulkan program (run it natively and through `anarchy run`;
// bench/memory_bench.py does both and prints the table). For a persistently mapped HOST_VISIBLE|HOST_COHERENT
// buffer of each size and each number of bytes per frame:
//   upload:   the host writes the bytes (incompressible, at an offset that moves each frame), a vkCmdCopyBuffer
//             takes them into a device-local buffer, submit, wait on the fence;
//   readback: a vkCmdCopyBuffer writes the bytes from a device-local buffer into the mapping at a moving offset,
//             submit, wait on the fence, the host reads every byte.
// The offset moves among --places places (16 by default, fewer where the mapping has less room) spread over the
// whole mapping, so the pages touched are the same at every mapped size that has room for them all. Each case warms up (each place once and 0.5 s,
// at most 10 s), then runs for a fixed time (and at least one frame), so slow cases still end. One line per case: key=value pairs.
// --cached asks for HOST_CACHED memory too (what readback heaps use), where the device has it.
// Usage: anarchy_memory_bench [--mode upload|readback|both] [--size-mib N]... [--write-bytes N]... [--seconds S]
//                             [--places N] [--cached]
#include <vulkan/vulkan.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const char* what, VkResult r) {
    std::fprintf(stderr, "anarchy_memory_bench: %s failed: %d\n", what, int(r));
    std::exit(1);
}
#define CHECK(call)                            \
    do {                                       \
        VkResult r_ = (call);                  \
        if (r_ != VK_SUCCESS) fail(#call, r_); \
    } while (0)

struct Context {
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice gpu = VK_NULL_HANDLE;
    VkPhysicalDeviceMemoryProperties memory{};
    VkDevice device = VK_NULL_HANDLE;
    VkQueue queue = VK_NULL_HANDLE;
    uint32_t family = 0;
};

Context create_context() {
    Context c;
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.apiVersion = VK_API_VERSION_1_1;
    VkInstanceCreateInfo ici{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    ici.pApplicationInfo = &app;
    CHECK(vkCreateInstance(&ici, nullptr, &c.instance));
    uint32_t n = 1;
    VkResult r = vkEnumeratePhysicalDevices(c.instance, &n, &c.gpu);
    if (n == 0 || (r != VK_SUCCESS && r != VK_INCOMPLETE)) fail("vkEnumeratePhysicalDevices", r);
    vkGetPhysicalDeviceMemoryProperties(c.gpu, &c.memory);
    uint32_t families = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(c.gpu, &families, nullptr);
    std::vector<VkQueueFamilyProperties> props(families);
    vkGetPhysicalDeviceQueueFamilyProperties(c.gpu, &families, props.data());
    for (uint32_t i = 0; i < families; ++i)
        if (props[i].queueFlags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT)) {
            c.family = i;
            break;
        }
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    qci.queueFamilyIndex = c.family;
    qci.queueCount = 1;
    qci.pQueuePriorities = &priority;
    VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &qci;
    CHECK(vkCreateDevice(c.gpu, &dci, nullptr, &c.device));
    vkGetDeviceQueue(c.device, c.family, 0, &c.queue);
    return c;
}

struct Buffer {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    uint8_t* mapped = nullptr;
};

Buffer create_buffer(const Context& c, VkDeviceSize size, VkBufferUsageFlags usage, VkMemoryPropertyFlags flags) {
    Buffer b;
    VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bci.size = size;
    bci.usage = usage;
    CHECK(vkCreateBuffer(c.device, &bci, nullptr, &b.buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c.device, b.buffer, &req);
    VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = UINT32_MAX;
    for (uint32_t i = 0; i < c.memory.memoryTypeCount && mai.memoryTypeIndex == UINT32_MAX; ++i)
        if ((req.memoryTypeBits & (1u << i)) && (c.memory.memoryTypes[i].propertyFlags & flags) == flags)
            mai.memoryTypeIndex = i;
    if (mai.memoryTypeIndex == UINT32_MAX) fail("finding a memory type", VK_ERROR_FEATURE_NOT_PRESENT);
    CHECK(vkAllocateMemory(c.device, &mai, nullptr, &b.memory));
    CHECK(vkBindBufferMemory(c.device, b.buffer, b.memory, 0));
    if (flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
        void* p = nullptr;
        CHECK(vkMapMemory(c.device, b.memory, 0, VK_WHOLE_SIZE, 0, &p));
        b.mapped = static_cast<uint8_t*>(p);
    }
    return b;
}

void destroy_buffer(const Context& c, Buffer& b) {
    vkDestroyBuffer(c.device, b.buffer, nullptr);
    vkFreeMemory(c.device, b.memory, nullptr);  // also unmaps
    b = {};
}

// Incompressible bytes to write from (xorshift), twice the largest write so each frame can start elsewhere.
std::vector<uint8_t> random_pool(size_t size) {
    std::vector<uint8_t> pool(size);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < size; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::memcpy(&pool[i], &x, std::min<size_t>(8, size - i));
    }
    return pool;
}

struct Case {
    bool upload;
    VkDeviceSize mapped;
    VkDeviceSize bytes;  // written (upload) or read (readback) per frame
    uint64_t places;     // how many places the frames' offset goes round (at most what the mapping holds)
    bool cached;         // HOST_CACHED memory
};

void run_case(const Context& c, const Case& k, double seconds, const std::vector<uint8_t>& source) {
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT |
                                       (k.cached ? VK_MEMORY_PROPERTY_HOST_CACHED_BIT : 0);
    auto setup_start = Clock::now();
    Buffer mapped = create_buffer(c, k.mapped, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT, host);
    Buffer device = create_buffer(c, k.upload ? k.bytes : 2 * k.bytes,
                                  VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                  VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pci.queueFamilyIndex = c.family;
    VkCommandPool pool;
    CHECK(vkCreateCommandPool(c.device, &pci, nullptr, &pool));
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = pool;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    VkCommandBuffer cmd;
    CHECK(vkAllocateCommandBuffers(c.device, &ai, &cmd));
    VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    CHECK(vkCreateFence(c.device, &fci, nullptr, &fence));
    auto submit_and_wait = [&] {
        VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        si.commandBufferCount = 1;
        si.pCommandBuffers = &cmd;
        CHECK(vkQueueSubmit(c.queue, 1, &si, fence));
        CHECK(vkWaitForFences(c.device, 1, &fence, VK_TRUE, UINT64_MAX));
        CHECK(vkResetFences(c.device, 1, &fence));
    };
    {
        // Outside the timing: the readback source gets random bytes, uploaded once through the mapping.
        VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        CHECK(vkBeginCommandBuffer(cmd, &bi));
        if (!k.upload) {
            VkDeviceSize n = std::min<VkDeviceSize>(2 * k.bytes, k.mapped);
            std::memcpy(mapped.mapped, source.data(), n);
            for (VkDeviceSize at = 0; at < 2 * k.bytes; at += n) {
                VkBufferCopy region{0, at, std::min(n, 2 * k.bytes - at)};
                vkCmdCopyBuffer(cmd, mapped.buffer, device.buffer, 1, &region);
            }
        }
        CHECK(vkEndCommandBuffer(cmd));
        submit_and_wait();
    }
    double setup_seconds = std::chrono::duration<double>(Clock::now() - setup_start).count();

    // The frame's offset visits k.places places spread over the whole mapping, so every size that has room for
    // them touches the same pages; the warm-up visits each once (first touches cost page faults, natively too).
    const VkDeviceSize slots = k.mapped / k.bytes;
    const uint64_t positions = std::max<uint64_t>(1, std::min<uint64_t>(slots, k.places));
    const VkDeviceSize spacing = slots / positions * k.bytes;
    uint64_t frame = 0, checksum = 0;
    std::vector<double> frame_ms, host_ms;  // whole frames; the host's own writes (upload) or reads (readback)
    const auto start = Clock::now();
    Clock::time_point measure_start{}, measure_end{};
    bool measuring = false;
    for (;;) {
        auto now = Clock::now();
        // Warm-up: every position once and at least 0.5 s, but never more than 10 s.
        if (!measuring && ((frame >= positions && now >= start + std::chrono::milliseconds(500)) ||
                           now >= start + std::chrono::seconds(10))) {
            measuring = true;
            measure_start = now;
            measure_end = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
        }
        if (measuring && now >= measure_end && !frame_ms.empty()) break;
        const VkDeviceSize offset = (frame % positions) * spacing;
        auto t0 = Clock::now();
        VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        Clock::duration host{};
        if (k.upload) {
            std::memcpy(mapped.mapped + offset, source.data() + (frame * 4096 + frame * 67) % k.bytes, k.bytes);
            host = Clock::now() - t0;
            CHECK(vkBeginCommandBuffer(cmd, &bi));
            VkBufferCopy region{offset, 0, k.bytes};
            vkCmdCopyBuffer(cmd, mapped.buffer, device.buffer, 1, &region);
            CHECK(vkEndCommandBuffer(cmd));
            submit_and_wait();
        } else {
            CHECK(vkBeginCommandBuffer(cmd, &bi));
            VkBufferCopy region{(frame * 4) % k.bytes, offset, k.bytes};
            vkCmdCopyBuffer(cmd, device.buffer, mapped.buffer, 1, &region);
            VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
            barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
            barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
            vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier, 0,
                                 nullptr, 0, nullptr);
            CHECK(vkEndCommandBuffer(cmd));
            submit_and_wait();
            const auto read_start = Clock::now();
            const uint64_t* words = reinterpret_cast<const uint64_t*>(mapped.mapped + offset);
            for (VkDeviceSize i = 0; i < k.bytes / 8; ++i) checksum += words[i];
            host = Clock::now() - read_start;
        }
        if (measuring) {
            frame_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            host_ms.push_back(std::chrono::duration<double, std::milli>(host).count());
        }
        ++frame;
    }
    double measured = std::chrono::duration<double>(Clock::now() - measure_start).count();
    std::sort(frame_ms.begin(), frame_ms.end());
    std::sort(host_ms.begin(), host_ms.end());
    std::printf("memory_bench mode=%s cached=%d size_mib=%llu bytes_per_frame=%llu places=%llu frames=%zu seconds=%.3f "
                "fps=%.1f p50_ms=%.3f p99_ms=%.3f host_p50_ms=%.3f total_frames=%llu bytes_total=%llu setup_s=%.3f "
                "checksum=%llx\n",
                k.upload ? "upload" : "readback", k.cached ? 1 : 0, (unsigned long long)(k.mapped >> 20),
                (unsigned long long)k.bytes,
                (unsigned long long)positions, frame_ms.size(), measured, frame_ms.size() / measured, frame_ms[frame_ms.size() / 2],
                frame_ms[std::min(frame_ms.size() - 1, frame_ms.size() * 99 / 100)], host_ms[host_ms.size() / 2],
                (unsigned long long)frame,
                (unsigned long long)(frame * k.bytes), setup_seconds, (unsigned long long)checksum);
    std::fflush(stdout);
    vkDestroyFence(c.device, fence, nullptr);
    vkDestroyCommandPool(c.device, pool, nullptr);
    destroy_buffer(c, device);
    destroy_buffer(c, mapped);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<bool> modes;
    std::vector<unsigned long long> sizes_mib, bytes;
    double seconds = 2.0;
    unsigned long long places = 16;
    bool cached = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
        if (a == "--mode" && v) {
            std::string m = argv[++i];
            if (m == "upload" || m == "both") modes.push_back(true);
            if (m == "readback" || m == "both") modes.push_back(false);
        } else if (a == "--size-mib" && v) {
            sizes_mib.push_back(std::strtoull(argv[++i], nullptr, 10));
        } else if (a == "--write-bytes" && v) {
            bytes.push_back(std::strtoull(argv[++i], nullptr, 10));
        } else if (a == "--seconds" && v) {
            seconds = std::atof(argv[++i]);
        } else if (a == "--places" && v) {
            places = std::strtoull(argv[++i], nullptr, 10);
        } else if (a == "--cached") {
            cached = true;
        } else {
            std::fprintf(stderr,
                         "usage: %s [--mode upload|readback|both] [--size-mib N]... [--write-bytes N]... "
                         "[--seconds S] [--places N] [--cached]\n",
                         argv[0]);
            return 2;
        }
    }
    if (modes.empty()) modes = {true, false};
    if (sizes_mib.empty()) sizes_mib = {1, 64, 256, 1024};
    if (bytes.empty()) bytes = {4096, 1 << 20};
    const unsigned long long largest = *std::max_element(bytes.begin(), bytes.end());
    const std::vector<uint8_t> random_bytes = random_pool(2 * largest);
    Context c = create_context();
    for (bool upload : modes)
        for (unsigned long long size : sizes_mib)
            for (unsigned long long b : bytes) {
                if (b == 0 || b > (size << 20) || b % 8) {
                    std::fprintf(stderr, "anarchy_memory_bench: skipping %llu bytes per frame in %llu MiB\n", b, size);
                    continue;
                }
                run_case(c, {upload, size << 20, b, places, cached}, seconds, random_bytes);
            }
    vkDestroyDevice(c.device, nullptr);
    vkDestroyInstance(c.instance, nullptr);
    return 0;
}
