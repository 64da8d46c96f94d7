// Synthetic frames for codec tests: smooth gradients with soft shapes that move, and a PSNR helper.
#pragma once

#include <cstdint>
#include <vector>

#include "video/frame_view.h"

namespace anarchy::video::test {

/// A packed BGRA frame (A = 255) of the scene at time index t.
std::vector<uint8_t> make_scene_bgra(uint32_t width, uint32_t height, uint32_t t);

/// The same picture as I420 (BT.601 limited range), planes packed one after another with strides = plane widths.
struct I420Image {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<uint8_t> y, u, v;
    FrameView view() const;
};
/// Converts a packed BGRA frame to I420 with plain 2x2 averaging, independent of the code under test.
I420Image to_i420(const std::vector<uint8_t>& bgra, uint32_t width, uint32_t height);

/// PSNR in dB over the B, G and R bytes of two packed BGRA frames of the same size; 99 when identical.
double psnr_bgr(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b);

/// True when every alpha byte of a packed BGRA frame is 255.
bool all_opaque(const std::vector<uint8_t>& bgra);

}  // namespace anarchy::video::test
