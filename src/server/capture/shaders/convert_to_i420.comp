#version 450
#extension GL_GOOGLE_include_directive : require
// Converts copied source texels to I420 (BT.601 limited range). One invocation covers 8 columns of 2 rows:
// it writes two 32-bit words of each of the two luma rows and one word each of U and V, so no two invocations
// share a word and no byte-sized stores or atomics are needed. The luma plane and row padding repeat the last
// column and row (see I420Layout in capture_format.h).
layout(local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

#include "capture_source.glsl"

int luma(uvec3 c) { return ((66 * int(c.r) + 129 * int(c.g) + 25 * int(c.b) + 128) >> 8) + 16; }
// >> on a negative int is arithmetic (rounds towards minus infinity), as in the C++ reference.
int chroma_u(ivec3 c) { return ((-38 * c.r - 74 * c.g + 112 * c.b + 128) >> 8) + 128; }
int chroma_v(ivec3 c) { return ((112 * c.r - 94 * c.g - 18 * c.b + 128) >> 8) + 128; }

void main() {
    uint x0 = gl_GlobalInvocationID.x * 8u;
    uint y0 = gl_GlobalInvocationID.y * 2u;
    if (x0 >= params.y_stride || y0 >= params.luma_height) return;

    uint top[2] = uint[2](0u, 0u);
    uint bottom[2] = uint[2](0u, 0u);
    uint u_word = 0u;
    uint v_word = 0u;
    for (uint k = 0u; k < 4u; ++k) {
        uint x = x0 + 2u * k;
        uvec3 p00 = load_rgba8(x, y0).rgb;
        uvec3 p01 = load_rgba8(x + 1u, y0).rgb;
        uvec3 p10 = load_rgba8(x, y0 + 1u).rgb;
        uvec3 p11 = load_rgba8(x + 1u, y0 + 1u).rgb;
        uint shift = 16u * (k & 1u);
        top[k >> 1] |= (uint(luma(p00)) | (uint(luma(p01)) << 8)) << shift;
        bottom[k >> 1] |= (uint(luma(p10)) | (uint(luma(p11)) << 8)) << shift;
        ivec3 mean = ivec3((p00 + p01 + p10 + p11 + 2u) >> 2);
        u_word |= (uint(chroma_u(mean)) & 255u) << (8u * k);
        v_word |= (uint(chroma_v(mean)) & 255u) << (8u * k);
    }
    uint top_word = (y0 * params.y_stride + x0) >> 2;
    uint bottom_word = top_word + (params.y_stride >> 2);
    result.words[top_word] = top[0];
    result.words[top_word + 1u] = top[1];
    result.words[bottom_word] = bottom[0];
    result.words[bottom_word + 1u] = bottom[1];
    uint chroma_byte = (y0 >> 1) * params.uv_stride + (x0 >> 1);
    result.words[(params.u_offset + chroma_byte) >> 2] = u_word;
    result.words[(params.v_offset + chroma_byte) >> 2] = v_word;
}
