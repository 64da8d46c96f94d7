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
    std::vector<std::vector<float>> priorities;
    const CaptureQueuesPlan plan = plan_capture_queues(kNvidia, queues, priorities);
    ASSERT_TRUE(plan.copy);
    ASSERT_TRUE(plan.compute);
    EXPECT_EQ(plan.copy->family, 1u);
    EXPECT_EQ(plan.copy->index, 0u);
    EXPECT_EQ(plan.compute->family, 2u);
    EXPECT_EQ(plan.compute->index, 0u);
    ASSERT_EQ(queues.size(), 3u);
    EXPECT_EQ(queues[1].queueFamilyIndex, 1u);
    EXPECT_EQ(queues[2].queueFamilyIndex, 2u);
    for (size_t i = 1; i < 3; ++i) {
        EXPECT_EQ(queues[i].queueCount, 1u);
        EXPECT_EQ(queues[i].pQueuePriorities[0], 1.0f);
    }
}

TEST(CaptureQueue, OneMoreOfAFamilyTheProgramUses) {
    // DXVK and vkd3d-proton take queues of the copy engine's and the compute family for their own work.
    const float program[] = {0.5f};
    const float graphics = 1.0f;
    std::vector<VkDeviceQueueCreateInfo> queues = {request(0, 1, &graphics), request(1, 1, program),
                                                   request(2, 1, program)};
    std::vector<std::vector<float>> priorities;
    const CaptureQueuesPlan plan = plan_capture_queues(kNvidia, queues, priorities);
    ASSERT_TRUE(plan.copy);
    ASSERT_TRUE(plan.compute);
    EXPECT_EQ(plan.copy->index, 1u);  // the program's queue 0 stays its own
    EXPECT_EQ(plan.compute->index, 1u);
    ASSERT_EQ(queues.size(), 3u);
    for (size_t i = 1; i < 3; ++i) {
        EXPECT_EQ(queues[i].queueCount, 2u);
        EXPECT_EQ(queues[i].pQueuePriorities[0], 0.5f);
        EXPECT_EQ(queues[i].pQueuePriorities[1], 1.0f);
    }
}

TEST(CaptureQueue, NoneWhereThereIsNoRoomOrNoSuchFamily) {
    const float two[] = {1.0f, 1.0f};
    std::vector<std::vector<float>> priorities;
    // The program takes both queues of the copy engine's family: only the compute queue is added.
    std::vector<VkDeviceQueueCreateInfo> queues = {request(1, 2, two)};
    CaptureQueuesPlan plan = plan_capture_queues(kNvidia, queues, priorities);
    EXPECT_FALSE(plan.copy);
    EXPECT_TRUE(plan.compute);
    EXPECT_EQ(queues[0].queueCount, 2u);
    // A protected request of the family is left as it is.
    queues = {request(1, 1, two)};
    queues[0].flags = VK_DEVICE_QUEUE_CREATE_PROTECTED_BIT;
    plan = plan_capture_queues(kNvidia, queues, priorities);
    EXPECT_FALSE(plan.copy);
    EXPECT_EQ(queues[0].queueCount, 1u);
    // lavapipe: one family that does everything.
    queues = {request(0, 1, two)};
    plan = plan_capture_queues({family(kAll, 1)}, queues, priorities);
    EXPECT_FALSE(plan.copy);
    EXPECT_FALSE(plan.compute);
    EXPECT_EQ(queues.size(), 1u);
}

}  // namespace
}  // namespace anarchy::server
