#include "scene_texture.h"

#include <algorithm>

namespace anarchy::demo {
namespace {

// Integer hash, so every brick's colour and the grain are the same on every run and machine.
uint32_t hash(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

float unit_hash(uint32_t a, uint32_t b) { return float(hash(a * 73856093u ^ hash(b * 19349663u)) & 0xffffu) / 65535.0f; }

uint8_t to_byte(float value) { return uint8_t(std::clamp(value, 0.0f, 255.0f) + 0.5f); }

TextureMip make_bricks(uint32_t size) {
    TextureMip mip{size, size, std::vector<uint8_t>(size_t(size) * size * 4)};
    const uint32_t brick_width = size / 4;
    const uint32_t brick_height = size / 8;
    const uint32_t mortar = std::max(1u, size / 64);
    for (uint32_t y = 0; y < size; ++y) {
        const uint32_t row = y / brick_height;
        // Every other row is offset by half a brick, as in a running bond.
        const uint32_t offset = (row % 2) * (brick_width / 2);
        for (uint32_t x = 0; x < size; ++x) {
            const uint32_t bx = (x + offset) % size;
            const uint32_t column = bx / brick_width;
            const bool in_mortar = (y % brick_height) < mortar || (bx % brick_width) < mortar;
            const float grain = unit_hash(x, y) - 0.5f;
            uint8_t* texel = &mip.rgba[(size_t(y) * size + x) * 4];
            if (in_mortar) {
                const float grey = 178.0f + grain * 30.0f;
                texel[0] = to_byte(grey);
                texel[1] = to_byte(grey - 4.0f);
                texel[2] = to_byte(grey - 12.0f);
                texel[3] = 16;  // dull
            } else {
                const float tone = unit_hash(row * 31u + 7u, column) - 0.5f;
                texel[0] = to_byte(168.0f + tone * 60.0f + grain * 24.0f);
                texel[1] = to_byte(72.0f + tone * 30.0f + grain * 14.0f);
                texel[2] = to_byte(52.0f + tone * 20.0f + grain * 10.0f);
                texel[3] = to_byte(150.0f + tone * 80.0f);  // glazed bricks, some shinier than others
            }
        }
    }
    return mip;
}

// Box filter of the 2x2 texels under each texel of the next level; averaging the sRGB bytes directly
// darkens the small levels slightly, which a demo can afford.
TextureMip half_size(const TextureMip& source) {
    TextureMip mip{std::max(1u, source.width / 2), std::max(1u, source.height / 2), {}};
    mip.rgba.resize(size_t(mip.width) * mip.height * 4);
    for (uint32_t y = 0; y < mip.height; ++y)
        for (uint32_t x = 0; x < mip.width; ++x)
            for (uint32_t c = 0; c < 4; ++c) {
                uint32_t sum = 0;
                for (uint32_t dy = 0; dy < 2; ++dy)
                    for (uint32_t dx = 0; dx < 2; ++dx) {
                        const uint32_t sx = std::min(source.width - 1, x * 2 + dx);
                        const uint32_t sy = std::min(source.height - 1, y * 2 + dy);
                        sum += source.rgba[(size_t(sy) * source.width + sx) * 4 + c];
                    }
                mip.rgba[(size_t(y) * mip.width + x) * 4 + c] = uint8_t((sum + 2) / 4);
            }
    return mip;
}

}  // namespace

std::vector<TextureMip> make_brick_texture(uint32_t size) {
    std::vector<TextureMip> chain;
    chain.push_back(make_bricks(size));
    while (chain.back().width > 1 || chain.back().height > 1) chain.push_back(half_size(chain.back()));
    return chain;
}

}  // namespace anarchy::demo
