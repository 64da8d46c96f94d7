// wait_across_destroy: remote only (natively undefined: the program breaks the spec on purpose). Two threads wait
// with long timeouts on a fence and a timeline semaphore of a second device that nothing will signal, and the
// main thread destroys that device meanwhile, both objects still alive. The server holds both waits on its wait
// pool; destroying the device must answer them first (VK_ERROR_DEVICE_LOST) instead of leaving them to wait on
// a dead device (tests/integration/leaked_objects.py). Output: the two answers.
#include "programs.h"

#include <chrono>
#include <thread>

namespace anarchy::testprog {

Output run_wait_across_destroy(TestContext& ctx) {
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueFamilyIndex = ctx.queue_family();
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    VkPhysicalDeviceVulkan12Features features12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    features12.timelineSemaphore = VK_TRUE;
    VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    info.pNext = &features12;
    info.queueCreateInfoCount = 1;
    info.pQueueCreateInfos = &queue_info;
    VkDevice device;
    VK_CHECK(vkCreateDevice(ctx.physical_device(), &info, nullptr, &device));
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    VK_CHECK(vkCreateFence(device, &fence_info, nullptr, &fence));
    VkSemaphoreTypeCreateInfo timeline_type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
    timeline_type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
    VkSemaphoreCreateInfo semaphore_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    semaphore_info.pNext = &timeline_type;
    VkSemaphore timeline;
    VK_CHECK(vkCreateSemaphore(device, &semaphore_info, nullptr, &timeline));

    constexpr uint64_t kTimeout = 30'000'000'000ull;  // far longer than the test waits
    VkResult fence_result = VK_SUCCESS, semaphore_result = VK_SUCCESS;
    std::thread fence_waiter([&] { fence_result = vkWaitForFences(device, 1, &fence, VK_TRUE, kTimeout); });
    std::thread semaphore_waiter([&] {
        const uint64_t value = 1;
        VkSemaphoreWaitInfo wait{VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO};
        wait.semaphoreCount = 1;
        wait.pSemaphores = &timeline;
        wait.pValues = &value;
        semaphore_result = vkWaitSemaphores(device, &wait, kTimeout);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // both waits reach the server
    auto start = std::chrono::steady_clock::now();
    vkDestroyDevice(device, nullptr);
    fence_waiter.join();
    semaphore_waiter.join();
    auto waited = std::chrono::steady_clock::now() - start;
    require(waited < std::chrono::seconds(10), "wait_across_destroy: the waits outlived the device by seconds");

    TextReport report;
    report.line("fence wait across vkDestroyDevice: %s", result_name(fence_result).c_str());
    report.line("timeline semaphore wait across vkDestroyDevice: %s", result_name(semaphore_result).c_str());
    return report.bytes();
}

}  // namespace anarchy::testprog
