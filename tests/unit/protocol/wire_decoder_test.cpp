// WireDecoder must reject malformed input with a reason, never read past the end, never crash.
#include <gtest/gtest.h>

#include <vector>

#include "protocol/arena.h"
#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"
#include "vk_structs_autogen.h"

namespace anarchy::protocol {
namespace {

TEST(WireDecoder, TruncatedScalar) {
    uint8_t b[3] = {1, 2, 3};
    WireDecoder d(b, sizeof b, nullptr);
    uint32_t v = 0;
    EXPECT_FALSE(d.u32(v));
    EXPECT_FALSE(d.ok());
    EXPECT_FALSE(d.error().empty());
    EXPECT_EQ(d.remaining(), 0u);
    // The first failure sticks.
    uint8_t x = 0;
    EXPECT_FALSE(d.u8(x));
}

TEST(WireDecoder, EmptyInput) {
    WireDecoder d(nullptr, 0, nullptr);
    uint64_t v = 0;
    EXPECT_FALSE(d.u64(v));
    EXPECT_FALSE(d.ok());
}

TEST(WireDecoder, OversizedCount) {
    WireEncoder e;
    e.u32(0xFFFFFFFFu);
    e.u32(7);
    WireDecoder d(e.bytes().data(), e.size_bytes(), nullptr);
    uint32_t n = 0;
    EXPECT_FALSE(d.count(n, 4));
    EXPECT_NE(d.error().find("count"), std::string::npos) << d.error();
}

TEST(WireDecoder, CountThatFits) {
    WireEncoder e;
    e.u32(2);
    e.u32(7);
    e.u32(8);
    WireDecoder d(e.bytes().data(), e.size_bytes(), nullptr);
    uint32_t n = 0;
    EXPECT_TRUE(d.count(n, 4));
    EXPECT_EQ(n, 2u);
}

TEST(WireDecoder, BadPresenceByte) {
    uint8_t b[] = {2, 0, 0, 0};
    WireDecoder d(b, sizeof b, nullptr);
    bool present = true;
    EXPECT_FALSE(d.presence(present));
    EXPECT_FALSE(d.ok());
    uint8_t ok1[] = {1};
    WireDecoder d2(ok1, 1, nullptr);
    EXPECT_TRUE(d2.presence(present));
    EXPECT_TRUE(present);
}

TEST(WireDecoder, BadBoolean) {
    uint8_t b[] = {7};
    WireDecoder d(b, 1, nullptr);
    uint32_t v = 0;
    EXPECT_FALSE(d.boolean(v));
}

TEST(WireDecoder, StringLongerThanMessage) {
    WireEncoder e;
    e.u32(1000);
    e.raw("abc", 3);
    Arena a;
    WireDecoder d(e.bytes().data(), e.size_bytes(), &a);
    const char* s = nullptr;
    EXPECT_FALSE(d.string(s));
    EXPECT_EQ(s, nullptr);
}

TEST(WireDecoder, StringIntoTooSmallArray) {
    WireEncoder e;
    e.string("hello world");
    WireDecoder d(e.bytes().data(), e.size_bytes(), nullptr);
    char small[4];
    EXPECT_FALSE(d.string_into(small, sizeof small));
}

TEST(WireDecoder, BlobLongerThanMessage) {
    WireEncoder e;
    e.u64(uint64_t(1) << 40);
    e.u32(0);
    Arena a;
    WireDecoder d(e.bytes().data(), e.size_bytes(), &a);
    const void* p = nullptr;
    uint64_t n = 0;
    EXPECT_FALSE(d.blob(p, n));
}

TEST(WireDecoder, BlobExactMismatch) {
    WireEncoder e;
    uint32_t x = 5;
    e.blob(&x, 4);
    WireDecoder d(e.bytes().data(), e.size_bytes(), nullptr);
    uint64_t out = 0;
    EXPECT_FALSE(d.blob_exact(&out, 8));
}

TEST(WireDecoder, SizeDoesNotFit) {
    WireEncoder e;
    e.u64(uint64_t(1) << 40);
    WireDecoder d(e.bytes().data(), e.size_bytes(), nullptr);
    uint32_t v = 0;
    EXPECT_FALSE(d.size(v));
}

TEST(WireDecoder, NullRequiredHandle) {
    WireEncoder e;
    e.u64(0);
    WireDecoder d(e.bytes().data(), e.size_bytes(), nullptr);
    uint64_t h = 0;
    EXPECT_FALSE(d.handle(VK_OBJECT_TYPE_BUFFER, h, false));
}

TEST(WireDecoder, SkipPastEnd) {
    uint8_t b[2] = {};
    WireDecoder d(b, 2, nullptr);
    EXPECT_FALSE(d.skip(3));
}

TEST(WireDecoder, AllocWithoutArenaFails) {
    WireEncoder e;
    e.string("abc");
    WireDecoder d(e.bytes().data(), e.size_bytes(), nullptr);
    const char* s = nullptr;
    EXPECT_FALSE(d.string(s));
}

// A real struct: every truncation of a valid encoding fails cleanly.
TEST(WireDecoder, TruncatedStructFailsAtEveryLength) {
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO, nullptr, "app", 1, "engine", 2, VK_API_VERSION_1_1};
    const char* exts[] = {"VK_KHR_a", "VK_KHR_bb"};
    VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, nullptr, 0, &app, 0, nullptr, 2, exts};
    WireEncoder e;
    gen::enc_VkInstanceCreateInfo(e, ci);
    const auto& full = e.bytes();
    {
        Arena a;
        WireDecoder d(full.data(), full.size(), &a);
        VkInstanceCreateInfo out{};
        ASSERT_TRUE(gen::dec_VkInstanceCreateInfo(d, out, 0)) << d.error();
        EXPECT_EQ(d.remaining(), 0u);
        ASSERT_EQ(out.enabledExtensionCount, 2u);
        EXPECT_STREQ(out.ppEnabledExtensionNames[1], "VK_KHR_bb");
        ASSERT_NE(out.pApplicationInfo, nullptr);
        EXPECT_STREQ(out.pApplicationInfo->pEngineName, "engine");
    }
    for (size_t len = 0; len < full.size(); ++len) {
        std::vector<uint8_t> cut(full.begin(), full.begin() + len);
        Arena a;
        WireDecoder d(cut.data(), cut.size(), &a);
        VkInstanceCreateInfo out{};
        EXPECT_FALSE(gen::dec_VkInstanceCreateInfo(d, out, 0)) << "length " << len;
        EXPECT_FALSE(d.ok()) << "length " << len;
    }
}

// Random corruption of a valid encoding never crashes the decoder (result may be success or failure).
TEST(WireDecoder, CorruptedStructNeverCrashes) {
    VkImageCreateInfo ci{};
    ci.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO;
    ci.imageType = VK_IMAGE_TYPE_2D;
    ci.format = VK_FORMAT_R8G8B8A8_UNORM;
    ci.extent = {4, 4, 1};
    ci.mipLevels = 1;
    ci.arrayLayers = 1;
    ci.samples = VK_SAMPLE_COUNT_1_BIT;
    uint32_t fams[] = {0, 1};
    ci.queueFamilyIndexCount = 2;
    ci.pQueueFamilyIndices = fams;
    WireEncoder e;
    gen::enc_VkImageCreateInfo(e, ci);
    uint64_t s = 12345;
    for (int i = 0; i < 2000; ++i) {
        std::vector<uint8_t> b = e.bytes();
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        b[(s >> 33) % b.size()] = static_cast<uint8_t>(s >> 17);
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        b[(s >> 33) % b.size()] = 0xFF;
        Arena a;
        WireDecoder d(b.data(), b.size(), &a);
        VkImageCreateInfo out{};
        bool ok = gen::dec_VkImageCreateInfo(d, out, 0);
        if (!ok) {
            EXPECT_FALSE(d.error().empty());
        }
    }
}

TEST(WireDecoder, UnknownEnumValuePassesToTheDriver) {
    // A program built against newer headers may ask about a value this registry does not know: it is decoded as
    // sent (the driver answers as it would natively) and counted.
    VkImageCreateInfo ci{};
    ci.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO;
    ci.imageType = static_cast<VkImageType>(0x7777);
    ci.format = VK_FORMAT_R8G8B8A8_UNORM;
    ci.samples = VK_SAMPLE_COUNT_1_BIT;
    WireEncoder e;
    gen::enc_VkImageCreateInfo(e, ci);
    Arena a;
    WireDecoder d(e.bytes().data(), e.size_bytes(), &a);
    VkImageCreateInfo out{};
    ASSERT_TRUE(gen::dec_VkImageCreateInfo(d, out, 0)) << d.error();
    EXPECT_EQ(out.imageType, static_cast<VkImageType>(0x7777));
    EXPECT_EQ(out.format, VK_FORMAT_R8G8B8A8_UNORM);
    EXPECT_EQ(d.unknown_enum_values(), 1u);
}

TEST(WireDecoder, AbsentArrayWithACountIsRefused) {
    // The registry requires pWaitSemaphores when waitSemaphoreCount is not 0: the driver would read through NULL.
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.waitSemaphoreCount = 2;
    WireEncoder e;
    gen::enc_VkSubmitInfo(e, si);
    Arena a;
    WireDecoder d(e.bytes().data(), e.size_bytes(), &a);
    VkSubmitInfo out{};
    EXPECT_FALSE(gen::dec_VkSubmitInfo(d, out));
    EXPECT_EQ(d.error(), "VkSubmitInfo::pWaitSemaphores is absent while its count is 2");
}

TEST(WireDecoder, AbsentOptionalArrayWithACountPasses) {
    // pImmutableSamplers is optional and noautovalidity: NULL with a count is valid Vulkan.
    VkDescriptorSetLayoutBinding b{};
    b.descriptorType = VK_DESCRIPTOR_TYPE_SAMPLER;
    b.descriptorCount = 3;
    WireEncoder e;
    gen::enc_VkDescriptorSetLayoutBinding(e, b);
    Arena a;
    WireDecoder d(e.bytes().data(), e.size_bytes(), &a);
    VkDescriptorSetLayoutBinding out{};
    EXPECT_TRUE(gen::dec_VkDescriptorSetLayoutBinding(d, out)) << d.error();
    EXPECT_EQ(out.pImmutableSamplers, nullptr);
}

TEST(Arena, HugeBlocksGoBackOnReset) {
    // One command that needed 256 MiB (a query result) must not keep it for the rest of the session.
    Arena a;
    ASSERT_NE(a.alloc(256 << 20), nullptr);
    EXPECT_GE(a.reserved(), size_t(256) << 20);
    a.reset();
    EXPECT_EQ(a.reserved(), 0u);
    // Ordinary blocks stay for the next decode.
    ASSERT_NE(a.alloc(1000), nullptr);
    const size_t small = a.reserved();
    a.reset();
    EXPECT_EQ(a.reserved(), small);
}

}  // namespace
}  // namespace anarchy::protocol
