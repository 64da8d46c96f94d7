#include "server/capture_queue.h"

#include <gtest/gtest.h>

namespace anarchy::server {
namespace {

VkQueueFamilyProperties family(VkQueueFlags flags, uint32_t count) {
    VkQueueFamilyProperties p{};
    p.queueFlags = flags;
    p.queueCount = count;
    return p;
}

constexpr VkQueueFlags kAll = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT;

// NVIDIA's layout: graphics (16), a transfer-only copy engine family (2), compute (8).
const std::vector<VkQueueFamilyProperties> kNvidia = {family(kAll, 16), family(VK_QUEUE_TRANSFER_BIT, 2),
                                                      family(VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT, 8)};

VkDeviceQueueCreateInfo request(uint32_t family, uint32_t count, const float* priorities) {
    VkDeviceQueueCreateInfo q{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    q.queueFamilyIndex = family;
    q.queueCount = count;
    q.pQueuePriorities = priorities;
    return q;
}

TEST(CaptureQueue, AddedBesideTheProgramsQueues) {
    const float one = 1.0f;
    std::vector<VkDeviceQueueCreateInfo> queues = {request(0, 1, &one)};
    std::vector<float> priorities;
    auto plan = plan_capture_queue(kNvidia, queues, priorities);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->family, 1u);
    EXPECT_EQ(plan->index, 0u);
    ASSERT_EQ(queues.size(), 2u);
    EXPECT_EQ(queues[1].queueFamilyIndex, 1u);
    EXPECT_EQ(queues[1].queueCount, 1u);
    EXPECT_EQ(queues[1].pQueuePriorities[0], 1.0f);
}

TEST(CaptureQueue, OneMoreOfAFamilyTheProgramUses) {
    // DXVK and vkd3d-proton take a queue of the copy engine's family for their own uploads.
    const float program[] = {0.5f};
    const float graphics = 1.0f;
    std::vector<VkDeviceQueueCreateInfo> queues = {request(0, 1, &graphics), request(1, 1, program)};
    std::vector<float> priorities;
    auto plan = plan_capture_queue(kNvidia, queues, priorities);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->family, 1u);
    EXPECT_EQ(plan->index, 1u);  // the program's queue 0 stays its own
    ASSERT_EQ(queues.size(), 2u);
    EXPECT_EQ(queues[1].queueCount, 2u);
    EXPECT_EQ(queues[1].pQueuePriorities[0], 0.5f);
    EXPECT_EQ(queues[1].pQueuePriorities[1], 1.0f);
}

TEST(CaptureQueue, NoneWhereThereIsNoRoomOrNoCopyEngine) {
    const float two[] = {1.0f, 1.0f};
    std::vector<float> priorities;
    // The program takes both queues of the family.
    std::vector<VkDeviceQueueCreateInfo> queues = {request(1, 2, two)};
    EXPECT_FALSE(plan_capture_queue(kNvidia, queues, priorities));
    EXPECT_EQ(queues[0].queueCount, 2u);
    // A protected request of the family is left as it is.
    queues = {request(1, 1, two)};
    queues[0].flags = VK_DEVICE_QUEUE_CREATE_PROTECTED_BIT;
    EXPECT_FALSE(plan_capture_queue(kNvidia, queues, priorities));
    EXPECT_EQ(queues[0].queueCount, 1u);
    // lavapipe: one family that does everything.
    queues = {request(0, 1, two)};
    EXPECT_FALSE(plan_capture_queue({family(kAll, 1)}, queues, priorities));
    EXPECT_EQ(queues.size(), 1u);
}

}  // namespace
}  // namespace anarchy::server
