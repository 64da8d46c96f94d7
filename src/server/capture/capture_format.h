// What the capture path accepts and produces: the source formats it can read, the output formats it writes,
// and the byte layout of an I420 frame. Shared by the GPU path, the CPU reference and the tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include <vulkan/vulkan_core.h>

namespace anarchy::server::capture {

/// What a capture produces.
enum class OutputFormat : uint32_t {
    Bgra8,  ///< one plane, 4 bytes a pixel in the order B, G, R, A
    I420,   ///< three planes Y, U, V; 8-bit BT.601 limited range; chroma halved in both directions
};

/// How a 32-bit source texel is packed. The values are the shaders' SOURCE_* constants.
enum class SourceLayout : uint32_t {
    Bgra8 = 0,        ///< B8G8R8A8_UNORM/SRGB: bytes B, G, R, A
    Rgba8 = 1,        ///< R8G8B8A8_UNORM/SRGB: bytes R, G, B, A
    A2B10G10R10 = 2,  ///< A2B10G10R10_UNORM_PACK32: R in bits 0..9, G 10..19, B 20..29, A 30..31
    A2R10G10B10 = 3,  ///< A2R10G10B10_UNORM_PACK32: B in bits 0..9, G 10..19, R 20..29, A 30..31
};

/// The layout of a supported capture source format; nullopt for any other format. SRGB formats map to their
/// UNORM layout: the stored bytes are passed on unconverted.
std::optional<SourceLayout> source_layout_of(VkFormat format);

/// True when turning `layout` into `want` needs a compute pass (everything but BGRA bytes to Bgra8).
bool needs_compute(SourceLayout layout, OutputFormat want);

/// "VK_FORMAT_B8G8R8A8_UNORM" for the formats capture knows, else "VkFormat <number>".
const char* format_name(VkFormat format);
const char* output_format_name(OutputFormat format);

/// Where the planes of an I420 frame of a given size lie in one buffer. The luma plane covers the image padded
/// to even width and height (the last column and row repeated); each chroma plane covers one sample per 2x2
/// block. Rows are padded so the compute shader writes whole 32-bit words: y_stride is a multiple of 8 and
/// uv_stride is y_stride / 2. Padding bytes hold repeated samples, never garbage.
struct I420Layout {
    uint32_t width = 0;          ///< the source image
    uint32_t height = 0;
    uint32_t luma_width = 0;     ///< width rounded up to even
    uint32_t luma_height = 0;    ///< height rounded up to even
    uint32_t chroma_width = 0;   ///< (width + 1) / 2
    uint32_t chroma_height = 0;  ///< (height + 1) / 2
    uint32_t y_stride = 0;       ///< bytes from one luma row to the next
    uint32_t uv_stride = 0;      ///< bytes from one chroma row to the next, for U and V alike
    size_t y_offset = 0;
    size_t u_offset = 0;
    size_t v_offset = 0;
    size_t total_bytes = 0;
};

/// The layout FrameCapturer writes for an image of width x height (both at least 1).
I420Layout i420_layout(uint32_t width, uint32_t height);

}  // namespace anarchy::server::capture
