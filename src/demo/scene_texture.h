// The procedurally generated texture the object wears, with its whole mip chain built on the CPU.
#pragma once

#include <cstdint>
#include <vector>

namespace anarchy::demo {

/// RGBA8 texels, sRGB colour in rgb and linear gloss (specular strength) in alpha.
struct TextureMip {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<uint8_t> rgba;  // width * height * 4 bytes, rows top to bottom
};

/// Level 0 is `size` x `size` (a power of two); each next level halves it down to 1x1.
std::vector<TextureMip> make_brick_texture(uint32_t size);

}  // namespace anarchy::demo
