// Every generated Vulkan struct must survive encode -> decode unchanged, for many random fillings.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "struct_roundtrip_support.h"

namespace anarchy::protocol::gen_test {
namespace {

constexpr int kSeedsPerStruct = 20;

TEST(StructRoundtrip, HasCases) { EXPECT_GT(all_cases().size(), 50u); }

TEST(StructRoundtrip, EveryStructEveryCase) {
    size_t failures = 0, runs = 0;
    for (const StructCase& c : all_cases()) {
        for (int seed = 1; seed <= kSeedsPerStruct; ++seed) {
            Rng rng(static_cast<uint64_t>(seed) * 0x100000001b3ull + std::hash<std::string>{}(c.name));
            Arena arena;
            WireEncoder enc;
            std::string why;
            ++runs;
            if (!c.run(rng, arena, enc, why)) {
                ADD_FAILURE() << c.name << " (seed " << seed << "): " << why;
                if (++failures > 50) {
                    FAIL() << "too many failures; stopping";
                }
                break;  // one report per struct is enough
            }
        }
    }
    std::printf("%zu structs, %zu encode/decode round trips\n", all_cases().size(), runs);
}

TEST(StridedArrays, EveryStridedCommandArrayRoundTrips) {
    // vkCmdDrawMultiEXT and vkCmdDrawMultiIndexedEXT today; a registry update that adds one is covered by itself.
    ASSERT_GE(strided_cases().size(), 2u);
    for (const StridedCase& c : strided_cases()) {
        const uint64_t size = c.element_size;
        // Packed, padded like zink's 12-byte draws at 16, 4-byte aligned gaps, twice the element, and a zero
        // stride (every draw the same element).
        for (uint64_t stride : {size, size + 4, size + 12, 2 * size, uint64_t(0)}) {
            for (uint64_t count : {uint64_t(1), uint64_t(7)}) {
                Rng rng(stride * 131 + count);
                std::string why;
                EXPECT_TRUE(c.run(rng, count, stride, why)) << c.name << " stride " << stride << " count " << count
                                                            << ": " << why;
            }
        }
    }
}

}  // namespace
}  // namespace anarchy::protocol::gen_test
