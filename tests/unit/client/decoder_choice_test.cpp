#include "client/decoder_choice.h"

#include <gtest/gtest.h>

namespace anarchy::client {
namespace {

TEST(DecoderChoice, TheVariableDecidesWhereSet) {
    EXPECT_FALSE(prefer_hardware_decoding("0", 1));
    EXPECT_FALSE(prefer_hardware_decoding("0", 64));
    EXPECT_TRUE(prefer_hardware_decoding("1", 1));
    EXPECT_TRUE(prefer_hardware_decoding("1", 64));
}

TEST(DecoderChoice, UnsetSoftwareFirstWithEnoughCpusOnLinux) {
#ifdef _WIN32
    EXPECT_TRUE(prefer_hardware_decoding(nullptr, 64));
#else
    EXPECT_TRUE(prefer_hardware_decoding(nullptr, 1));
    EXPECT_TRUE(prefer_hardware_decoding(nullptr, kSoftwareFirstCpus - 1));
    EXPECT_FALSE(prefer_hardware_decoding(nullptr, kSoftwareFirstCpus));
    EXPECT_FALSE(prefer_hardware_decoding(nullptr, 16));
#endif
}

}  // namespace
}  // namespace anarchy::client
