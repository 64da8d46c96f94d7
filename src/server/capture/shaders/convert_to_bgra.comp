#version 450
#extension GL_GOOGLE_include_directive : require
// Repacks copied source texels as B, G, R, A bytes. One invocation covers 8 texels of a row: per-invocation
// overhead, not arithmetic, bounds a pass this simple (on lavapipe it took half the time of one texel each).
layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

#include "capture_source.glsl"

const uint TEXELS_PER_INVOCATION = 8u;

void main() {
    uint x0 = gl_GlobalInvocationID.x * TEXELS_PER_INVOCATION;
    uint y = gl_GlobalInvocationID.y;
    if (x0 >= params.width || y >= params.height) return;
    uint count = min(TEXELS_PER_INVOCATION, params.width - x0);
    uint row = y * params.width;
    for (uint k = 0u; k < count; ++k) {
        uvec4 c = load_rgba8(x0 + k, y);
        result.words[row + x0 + k] = c.b | (c.g << 8) | (c.r << 16) | (c.a << 24);
    }
}
