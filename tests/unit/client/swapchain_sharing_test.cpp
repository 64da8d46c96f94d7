#include "client/swapchain_sharing.h"

#include <gtest/gtest.h>

namespace anarchy::client {
namespace {

VkQueueFamilyProperties family(VkQueueFlags flags, uint32_t count = 1) {
    VkQueueFamilyProperties p{};
    p.queueFlags = flags;
    p.queueCount = count;
    return p;
}

constexpr VkQueueFlags kAll = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT;

VkSwapchainCreateInfoKHR exclusive() {
    VkSwapchainCreateInfoKHR ci{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
    ci.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
    return ci;
}

TEST(SwapchainSharing, OneFamilyKeepsTheProgramsSharing) {
    // lavapipe, most integrated GPUs: no copy engine or compute family of their own.
    const auto s = swapchain_image_sharing({family(kAll)}, exclusive());
    EXPECT_FALSE(s.shared());
    EXPECT_EQ(s.copy_family, protocol::kNoFamily);
    EXPECT_EQ(s.compute_family, protocol::kNoFamily);
    EXPECT_TRUE(s.families.empty());
}

TEST(SwapchainSharing, ExclusiveImagesAreSharedWithEveryWorkingFamily) {
    // The NVIDIA layout: graphics, a transfer-only family, compute, then video decode (not shared with).
    const std::vector<VkQueueFamilyProperties> families = {
        family(kAll | VK_QUEUE_SPARSE_BINDING_BIT, 16), family(VK_QUEUE_TRANSFER_BIT | VK_QUEUE_SPARSE_BINDING_BIT, 2),
        family(VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT, 8), family(VK_QUEUE_VIDEO_DECODE_BIT_KHR)};
    const auto s = swapchain_image_sharing(families, exclusive());
    EXPECT_TRUE(s.shared());
    EXPECT_EQ(s.copy_family, 1u);
    EXPECT_EQ(s.compute_family, 2u);
    EXPECT_EQ(s.families, (std::vector<uint32_t>{0, 1, 2}));
}

TEST(SwapchainSharing, AComputeFamilyAloneIsEnough) {
    const auto s = swapchain_image_sharing({family(kAll), family(VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT)},
                                           exclusive());
    EXPECT_EQ(s.copy_family, protocol::kNoFamily);
    EXPECT_EQ(s.compute_family, 1u);
    EXPECT_EQ(s.families, (std::vector<uint32_t>{0, 1}));
}

TEST(SwapchainSharing, ConcurrentImagesGainTheCaptureFamiliesOnce) {
    const std::vector<VkQueueFamilyProperties> families = {family(kAll), family(VK_QUEUE_COMPUTE_BIT),
                                                           family(VK_QUEUE_TRANSFER_BIT)};
    const uint32_t program[] = {0, 1};
    VkSwapchainCreateInfoKHR ci{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
    ci.imageSharingMode = VK_SHARING_MODE_CONCURRENT;
    ci.queueFamilyIndexCount = 2;
    ci.pQueueFamilyIndices = program;
    auto s = swapchain_image_sharing(families, ci);
    EXPECT_EQ(s.copy_family, 2u);
    EXPECT_EQ(s.compute_family, 1u);
    EXPECT_EQ(s.families, (std::vector<uint32_t>{0, 1, 2}));
    const uint32_t with_copy[] = {2, 0};
    ci.pQueueFamilyIndices = with_copy;
    s = swapchain_image_sharing(families, ci);
    EXPECT_EQ(s.families, (std::vector<uint32_t>{2, 0, 1}));
}

}  // namespace
}  // namespace anarchy::client
