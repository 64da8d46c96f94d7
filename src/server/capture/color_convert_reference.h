// CPU versions of the capture conversions, with the same integer arithmetic as the GPU shaders
// (shaders/capture_source.glsl, convert_to_i420.comp), so tests can compare exactly and the server can fall
// back to the CPU when the GPU path fails.
#pragma once

#include <cstddef>
#include <cstdint>

#include <vulkan/vulkan_core.h>

namespace anarchy::server::capture {

// BT.601 limited range, 8-bit, integer only. The right shift of a negative sum rounds towards minus
// infinity, as GLSL's >> on int does, so both sides agree bit for bit.
constexpr int rgb_to_y(int r, int g, int b) { return ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16; }
constexpr int rgb_to_u(int r, int g, int b) { return ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128; }
constexpr int rgb_to_v(int r, int g, int b) { return ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128; }
/// The rounded mean of a 2x2 block's channel: (a + b + c + d + 2) / 4.
constexpr int average4(int a, int b, int c, int d) { return (a + b + c + d + 2) >> 2; }
/// A 10-bit unorm channel to 8 bits, rounded to nearest.
constexpr uint32_t unorm10_to_unorm8(uint32_t v) { return (v * 255u + 511u) / 1023u; }

/// The destination planes of an I420 conversion.
struct I420Planes {
    uint8_t* y = nullptr;
    size_t y_stride = 0;
    uint8_t* u = nullptr;
    size_t u_stride = 0;
    uint8_t* v = nullptr;
    size_t v_stride = 0;
};

/// Converts a BGRA8 image to I420. Writes a luma plane padded to even width and height (the last column and
/// row repeated) and chroma planes of (width + 1) / 2 x (height + 1) / 2 samples, each the conversion of the
/// rounded mean R, G, B of its 2x2 block. Strides are in bytes; width and height must be at least 1.
void bgra_to_i420_reference(const uint8_t* bgra, size_t bgra_stride, uint32_t width, uint32_t height,
                            const I420Planes& out);

/// Repacks texels of a supported capture source format (see source_layout_of) as B, G, R, A bytes; 10-bit
/// channels are rounded to 8 bits and 2-bit alpha scaled by 85. Returns false for an unsupported format.
bool texels_to_bgra_reference(VkFormat format, const uint8_t* src, size_t src_stride, uint32_t width,
                              uint32_t height, uint8_t* bgra, size_t bgra_stride);

}  // namespace anarchy::server::capture
