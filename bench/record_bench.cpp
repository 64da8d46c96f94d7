// vkCmd* recorded per second: records the same mix of commands (dynamic state, push constants, fills,
// barriers) into command buffers on the Vulkan device it is given. Run it natively and through
// `anarchy run` (bench/run.sh does both) to compare; the remote driver records into a client-side stream.
// Usage: anarchy_record_bench [COMMANDS_PER_BUFFER] [BUFFERS] [THREADS]
#include <vulkan/vulkan.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const char* what, VkResult r) {
    std::fprintf(stderr, "anarchy_record_bench: %s failed: %d\n", what, int(r));
    std::exit(1);
}
#define CHECK(call)                          \
    do {                                     \
        VkResult r_ = (call);                \
        if (r_ != VK_SUCCESS) fail(#call, r_); \
    } while (0)

struct Context {
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice gpu = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    uint32_t family = 0;
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkPipelineLayout layout = VK_NULL_HANDLE;
};

Context create_context() {
    Context c;
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.apiVersion = VK_API_VERSION_1_3;
    VkInstanceCreateInfo ici{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    ici.pApplicationInfo = &app;
    CHECK(vkCreateInstance(&ici, nullptr, &c.instance));
    uint32_t n = 1;
    VkResult r = vkEnumeratePhysicalDevices(c.instance, &n, &c.gpu);
    if (n == 0 || (r != VK_SUCCESS && r != VK_INCOMPLETE)) fail("vkEnumeratePhysicalDevices", r);
    uint32_t families = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(c.gpu, &families, nullptr);
    std::vector<VkQueueFamilyProperties> props(families);
    vkGetPhysicalDeviceQueueFamilyProperties(c.gpu, &families, props.data());
    for (uint32_t i = 0; i < families; ++i)
        if (props[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) { c.family = i; break; }
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    qci.queueFamilyIndex = c.family;
    qci.queueCount = 1;
    qci.pQueuePriorities = &priority;
    VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &qci;
    CHECK(vkCreateDevice(c.gpu, &dci, nullptr, &c.device));

    VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bci.size = 1 << 16;
    bci.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    CHECK(vkCreateBuffer(c.device, &bci, nullptr, &c.buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c.device, c.buffer, &req);
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(c.gpu, &mp);
    VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    mai.allocationSize = req.size;
    for (uint32_t i = 0; i < mp.memoryTypeCount; ++i)
        if (req.memoryTypeBits & (1u << i)) { mai.memoryTypeIndex = i; break; }
    CHECK(vkAllocateMemory(c.device, &mai, nullptr, &c.memory));
    CHECK(vkBindBufferMemory(c.device, c.buffer, c.memory, 0));

    VkPushConstantRange range{VK_SHADER_STAGE_ALL, 0, 64};
    VkPipelineLayoutCreateInfo lci{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    lci.pushConstantRangeCount = 1;
    lci.pPushConstantRanges = &range;
    CHECK(vkCreatePipelineLayout(c.device, &lci, nullptr, &c.layout));
    return c;
}

/// Records `buffers` command buffers of `commands` commands each; returns seconds spent in vkCmd* and
/// seconds spent in vkEndCommandBuffer (where the remote driver sends the recording).
void record(const Context& c, uint32_t commands, uint32_t buffers, double& cmd_seconds, double& end_seconds) {
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
    float constants[16] = {};
    cmd_seconds = end_seconds = 0;
    for (uint32_t b = 0; b < buffers; ++b) {
        VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        CHECK(vkBeginCommandBuffer(cmd, &bi));
        auto t0 = Clock::now();
        for (uint32_t i = 0; i < commands; i += 4) {
            VkViewport viewport{0, 0, float(i % 1024 + 1), 720, 0, 1};
            vkCmdSetViewport(cmd, 0, 1, &viewport);
            VkRect2D scissor{{0, 0}, {i % 1024 + 1, 720}};
            vkCmdSetScissor(cmd, 0, 1, &scissor);
            constants[0] = float(i);
            vkCmdPushConstants(cmd, c.layout, VK_SHADER_STAGE_ALL, 0, sizeof constants, constants);
            vkCmdFillBuffer(cmd, c.buffer, (i % 256) * 4, 4, i);
        }
        auto t1 = Clock::now();
        CHECK(vkEndCommandBuffer(cmd));
        auto t2 = Clock::now();
        cmd_seconds += std::chrono::duration<double>(t1 - t0).count();
        end_seconds += std::chrono::duration<double>(t2 - t1).count();
    }
    vkDestroyCommandPool(c.device, pool, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
    uint32_t commands = argc > 1 ? uint32_t(std::atoi(argv[1])) : 100000;
    uint32_t buffers = argc > 2 ? uint32_t(std::atoi(argv[2])) : 20;
    uint32_t threads = argc > 3 ? uint32_t(std::atoi(argv[3])) : 1;
    commands = std::max(4u, commands / 4 * 4);
    Context c = create_context();
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(c.gpu, &props);
    std::vector<double> cmd_s(threads), end_s(threads);
    auto t0 = Clock::now();
    std::vector<std::thread> workers;
    for (uint32_t t = 0; t < threads; ++t)
        workers.emplace_back([&, t] { record(c, commands, buffers, cmd_s[t], end_s[t]); });
    for (auto& w : workers) w.join();
    double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    double total = double(commands) * buffers * threads;
    double cmd_total = 0, end_total = 0;
    for (uint32_t t = 0; t < threads; ++t) cmd_total += cmd_s[t], end_total += end_s[t];
    std::printf("RESULT device=\"%s\" threads=%u commands=%.0f recorded_per_second=%.3gM "
                "ns_per_command=%.1f end_ms_per_buffer=%.2f wall_per_second=%.3gM\n",
                props.deviceName, threads, total, total / (cmd_total / threads) / 1e6, cmd_total * 1e9 / total,
                end_total * 1e3 / (double(buffers) * threads), total / wall / 1e6);
    vkDestroyPipelineLayout(c.device, c.layout, nullptr);
    vkDestroyBuffer(c.device, c.buffer, nullptr);
    vkFreeMemory(c.device, c.memory, nullptr);
    vkDestroyDevice(c.device, nullptr);
    vkDestroyInstance(c.instance, nullptr);
    return 0;
}
