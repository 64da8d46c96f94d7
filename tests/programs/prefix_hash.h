// The CPU side of shaders/prefix_hash.comp: its push constants and what it computes, for the programs that run it
// (compute, templates) to check the GPU's result.
#pragma once

#include <cstdint>
#include <vector>

namespace anarchy::testprog {

constexpr uint32_t kPrefixHashWorkgroupSize = 128;  // local_size_x in prefix_hash.comp

struct PrefixHashParameters {  // matches prefix_hash.comp's push constants
    uint32_t count;
    uint32_t seed;
};

inline uint32_t prefix_hash(uint32_t x) {  // as in prefix_hash.comp
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/// Per-workgroup prefix sums of hash(input ^ seed): what the shader writes.
inline std::vector<uint32_t> expected_prefix_hashes(const std::vector<uint32_t>& input, uint32_t seed) {
    std::vector<uint32_t> result(input.size());
    uint32_t sum = 0;
    for (uint32_t i = 0; i < input.size(); ++i) {
        if (i % kPrefixHashWorkgroupSize == 0) sum = 0;
        sum += prefix_hash(input[i] ^ seed);
        result[i] = sum;
    }
    return result;
}

}  // namespace anarchy::testprog
