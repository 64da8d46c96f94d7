// Shared by the capture compute shaders: the push constants and the decoding of one copied source texel.
// The arithmetic must stay identical to color_convert_reference.{h,cpp}; tests compare the two exactly.

// SourceLayout in capture_format.h.
const uint SOURCE_BGRA8 = 0u;
const uint SOURCE_RGBA8 = 1u;
const uint SOURCE_A2B10G10R10 = 2u;
const uint SOURCE_A2R10G10B10 = 3u;

// CapturePushConstants in frame_capturer.cpp.
layout(push_constant) uniform Params {
    uint width;          // source image, texels
    uint height;
    uint source_layout;  // SOURCE_*
    uint y_stride;       // I420 only: bytes, a multiple of 8
    uint uv_stride;      // I420 only: bytes, y_stride / 2
    uint luma_height;    // I420 only: height rounded up to even
    uint u_offset;       // I420 only: bytes, multiples of 4
    uint v_offset;
} params;

// The image as vkCmdCopyImageToBuffer wrote it: tightly packed rows of 32-bit texels.
layout(std430, set = 0, binding = 0) readonly buffer SourceTexels { uint texels[]; } source;
// The host-visible output, written a 32-bit word at a time.
layout(std430, set = 0, binding = 1) writeonly buffer OutputWords { uint words[]; } result;

uint unorm10_to_unorm8(uint v) { return (v * 255u + 511u) / 1023u; }

// The texel at (x, y) as 8-bit R, G, B, A; coordinates past the edge repeat the last column or row.
uvec4 load_rgba8(uint x, uint y) {
    uint t = source.texels[min(y, params.height - 1u) * params.width + min(x, params.width - 1u)];
    if (params.source_layout == SOURCE_BGRA8)
        return uvec4((t >> 16) & 255u, (t >> 8) & 255u, t & 255u, t >> 24);
    if (params.source_layout == SOURCE_RGBA8)
        return uvec4(t & 255u, (t >> 8) & 255u, (t >> 16) & 255u, t >> 24);
    uvec3 low_to_high = uvec3(unorm10_to_unorm8(t & 1023u), unorm10_to_unorm8((t >> 10) & 1023u),
                              unorm10_to_unorm8((t >> 20) & 1023u));
    uint alpha = (t >> 30) * 85u;
    if (params.source_layout == SOURCE_A2B10G10R10) return uvec4(low_to_high, alpha);
    return uvec4(low_to_high.zyx, alpha);
}
