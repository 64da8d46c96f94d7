// requirements: what an engine's allocator does, many times over: buffers and images of a few shapes, created
// and destroyed, each asked for its memory requirements (1.0 and 2 forms, with dedicated-allocation questions,
// and the device-level forms without an object). The answers must agree for identical create infos; they are
// the output. Remotely each create info should cost one round trip, not one per object.
#include <cinttypes>
#include <vector>

#include "programs.h"

namespace anarchy::testprog {

namespace {

void check(VkResult r, const char* what) { require(r == VK_SUCCESS, std::string(what) + " failed"); }

bool same(const VkMemoryRequirements& a, const VkMemoryRequirements& b) {
    return a.size == b.size && a.alignment == b.alignment && a.memoryTypeBits == b.memoryTypeBits;
}

}  // namespace

Output run_requirements(TestContext& ctx) {
    VkDevice device = ctx.device();
    TextReport out;
    const VkBufferUsageFlags usages[] = {VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                         VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                                         VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_INDEX_BUFFER_BIT};
    const VkDeviceSize sizes[] = {256, 65536, 4 << 20};
    constexpr int kRepeats = 40;
    for (VkBufferUsageFlags usage : usages) {
        for (VkDeviceSize size : sizes) {
            VkBufferCreateInfo ci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
            ci.size = size;
            ci.usage = usage;
            VkMemoryRequirements first{};
            for (int i = 0; i < kRepeats; ++i) {
                VkBuffer b = VK_NULL_HANDLE;
                check(vkCreateBuffer(device, &ci, nullptr, &b), "vkCreateBuffer");
                VkMemoryRequirements r{};
                vkGetBufferMemoryRequirements(device, b, &r);
                VkMemoryDedicatedRequirements dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
                VkMemoryRequirements2 r2{VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, &dedicated};
                VkBufferMemoryRequirementsInfo2 info{VK_STRUCTURE_TYPE_BUFFER_MEMORY_REQUIREMENTS_INFO_2, nullptr, b};
                vkGetBufferMemoryRequirements2(device, &info, &r2);
                vkDestroyBuffer(device, b, nullptr);
                if (i == 0) first = r;
                require(same(r, first) && same(r2.memoryRequirements, first), "buffer requirements changed");
                if (i == 0)
                    out.line("buffer usage 0x%x size %" PRIu64 ": size %" PRIu64 " alignment %" PRIu64
                             " types 0x%x dedicated %u/%u",
                             usage, uint64_t(size), uint64_t(r.size), uint64_t(r.alignment), r.memoryTypeBits,
                             dedicated.prefersDedicatedAllocation, dedicated.requiresDedicatedAllocation);
            }
            VkDeviceBufferMemoryRequirements query{VK_STRUCTURE_TYPE_DEVICE_BUFFER_MEMORY_REQUIREMENTS, nullptr, &ci};
            VkMemoryRequirements2 r2{VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
            vkGetDeviceBufferMemoryRequirements(device, &query, &r2);
            require(same(r2.memoryRequirements, first), "vkGetDeviceBufferMemoryRequirements differs from the buffer's");
        }
    }
    const VkExtent3D extents[] = {{64, 64, 1}, {256, 128, 1}};
    const VkImageTiling tilings[] = {VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_TILING_LINEAR};
    for (VkExtent3D extent : extents) {
        for (VkImageTiling tiling : tilings) {
            VkImageCreateInfo ci{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
            ci.imageType = VK_IMAGE_TYPE_2D;
            ci.format = VK_FORMAT_R8G8B8A8_UNORM;
            ci.extent = extent;
            ci.mipLevels = 1;
            ci.arrayLayers = 1;
            ci.samples = VK_SAMPLE_COUNT_1_BIT;
            ci.tiling = tiling;
            ci.usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
            ci.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
            VkMemoryRequirements first{};
            for (int i = 0; i < kRepeats; ++i) {
                VkImage image = VK_NULL_HANDLE;
                check(vkCreateImage(device, &ci, nullptr, &image), "vkCreateImage");
                VkMemoryRequirements r{};
                vkGetImageMemoryRequirements(device, image, &r);
                VkMemoryRequirements2 r2{VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
                VkImageMemoryRequirementsInfo2 info{VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2, nullptr, image};
                vkGetImageMemoryRequirements2(device, &info, &r2);
                vkDestroyImage(device, image, nullptr);
                if (i == 0) first = r;
                require(same(r, first) && same(r2.memoryRequirements, first), "image requirements changed");
                if (i == 0)
                    out.line("image %ux%u tiling %d: size %" PRIu64 " alignment %" PRIu64 " types 0x%x", extent.width,
                             extent.height, int(tiling), uint64_t(r.size), uint64_t(r.alignment), r.memoryTypeBits);
            }
            VkDeviceImageMemoryRequirements query{VK_STRUCTURE_TYPE_DEVICE_IMAGE_MEMORY_REQUIREMENTS, nullptr, &ci};
            VkMemoryRequirements2 r2{VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
            vkGetDeviceImageMemoryRequirements(device, &query, &r2);
            require(same(r2.memoryRequirements, first), "vkGetDeviceImageMemoryRequirements differs from the image's");
        }
    }
    return out.bytes();
}

}  // namespace anarchy::testprog
