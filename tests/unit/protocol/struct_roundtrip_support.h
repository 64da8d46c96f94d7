// Support for the generated struct round-trip tests (struct_roundtrip_autogen.cpp): a seeded random source,
// the case table type, and the small helpers the generated comparisons use.
#pragma once

#include <vulkan/vulkan_core.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "protocol/arena.h"
#include "protocol/strided_array.h"
#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"
#include "vk_structs_autogen.h"

namespace anarchy::protocol::gen_test {

using protocol::Arena;
using protocol::WireDecoder;
using protocol::WireEncoder;

/// Deterministic pseudo-random source (splitmix64): the same seed gives the same values everywhere.
class Rng {
public:
    explicit Rng(uint64_t seed = 1) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /// A value in [0, n); 0 when n is 0.
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }
    /// A nonzero object id.
    uint64_t id() {
        uint64_t v = next();
        return v ? v : 1;
    }
    void bytes(void* out, size_t n) {
        auto* p = static_cast<uint8_t*>(out);
        while (n) {
            uint64_t v = next();
            size_t k = n < sizeof v ? n : sizeof v;
            std::memcpy(p, &v, k);
            p += k;
            n -= k;
        }
    }
    /// A short NUL-terminated string (possibly empty) living in the arena.
    const char* string(Arena& a) {
        size_t len = static_cast<size_t>(below(12));
        char* s = static_cast<char*>(a.alloc(len + 1));
        for (size_t i = 0; i < len; ++i) s[i] = static_cast<char>('a' + below(26));
        s[len] = 0;
        return s;
    }

private:
    uint64_t state_;
};

/// Null and non-null strings compare by content; two nulls are equal.
inline bool eq_str(const char* x, const char* y) {
    if (!x || !y) return x == y;
    return std::strcmp(x, y) == 0;
}

struct StructCase {
    const char* name;
    std::function<bool(Rng&, Arena&, WireEncoder&, std::string& why)> run;
};

const std::vector<StructCase>& all_cases();

/// A command array laid out at the program's stride (registry stride="..."): run(count, stride) lays random
/// elements `stride` bytes apart, packs, encodes and decodes them, and compares.
struct StridedCase {
    const char* name;
    size_t element_size;
    std::function<bool(Rng&, uint64_t count, uint64_t stride, std::string& why)> run;
};
const std::vector<StridedCase>& strided_cases();

}  // namespace anarchy::protocol::gen_test
