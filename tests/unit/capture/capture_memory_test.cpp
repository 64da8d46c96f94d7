#include "server/capture/capture_memory.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace anarchy::server::capture::test {
namespace {

constexpr VkMemoryPropertyFlags kLocal = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
constexpr VkMemoryPropertyFlags kVisible = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
constexpr VkMemoryPropertyFlags kCoherent = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
constexpr VkMemoryPropertyFlags kCached = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;

VkPhysicalDeviceMemoryProperties memory_types(std::initializer_list<VkMemoryPropertyFlags> flags) {
    VkPhysicalDeviceMemoryProperties p{};
    for (VkMemoryPropertyFlags f : flags) p.memoryTypes[p.memoryTypeCount++] = {f, 0};
    p.memoryHeapCount = 1;
    return p;
}

TEST(CaptureMemory, DiscreteGpuReadsBackFromCachedSystemMemory) {
    // The usual discrete layout: VRAM, system memory uncached and cached, and a resizable-BAR window.
    const auto p = memory_types({kLocal, kVisible | kCoherent, kVisible | kCoherent | kCached,
                                 kLocal | kVisible | kCoherent});
    EXPECT_EQ(choose_memory_type(p, 0xf, MemoryUse::Readback), 2u);
    EXPECT_EQ(choose_memory_type(p, 0xf, MemoryUse::GpuOnly), 0u);
    // Without the cached type allowed, plain system memory beats the BAR window.
    EXPECT_EQ(choose_memory_type(p, 0xb, MemoryUse::Readback), 1u);
    // Only the BAR window left: still host-visible, so it is taken.
    EXPECT_EQ(choose_memory_type(p, 0x8, MemoryUse::Readback), 3u);
    EXPECT_EQ(choose_memory_type(p, 0x1, MemoryUse::Readback), std::nullopt);
}

TEST(CaptureMemory, NonCoherentCachedMemoryIsPreferredForReadback) {
    // Some drivers' cached types are not coherent; capture invalidates, so cached still wins.
    const auto p = memory_types({kVisible | kCoherent, kVisible | kCached});
    EXPECT_EQ(choose_memory_type(p, 0x3, MemoryUse::Readback), 1u);
}

TEST(CaptureMemory, UnifiedMemoryUsesTheOneType) {
    const auto p = memory_types({kLocal | kVisible | kCoherent | kCached});  // lavapipe, integrated GPUs
    EXPECT_EQ(choose_memory_type(p, 0x1, MemoryUse::Readback), 0u);
    EXPECT_EQ(choose_memory_type(p, 0x1, MemoryUse::GpuOnly), 0u);
}

TEST(CaptureMemory, NeverPicksProtectedOrAmdDeviceCoherentTypes) {
    const auto p = memory_types({kLocal | VK_MEMORY_PROPERTY_PROTECTED_BIT,
                                 kVisible | kCached | VK_MEMORY_PROPERTY_DEVICE_COHERENT_BIT_AMD, kVisible, kLocal});
    EXPECT_EQ(choose_memory_type(p, 0xf, MemoryUse::Readback), 2u);
    EXPECT_EQ(choose_memory_type(p, 0xf, MemoryUse::GpuOnly), 3u);
    EXPECT_EQ(choose_memory_type(p, 0x3, MemoryUse::GpuOnly), std::nullopt);
}

}  // namespace
}  // namespace anarchy::server::capture::test
