#version 450
#extension GL_GOOGLE_include_directive : require
// Repacks copied source texels as B, G, R, A bytes: one invocation per texel.
layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

#include "capture_source.glsl"

void main() {
    uint x = gl_GlobalInvocationID.x;
    uint y = gl_GlobalInvocationID.y;
    if (x >= params.width || y >= params.height) return;
    uvec4 c = load_rgba8(x, y);
    result.words[y * params.width + x] = c.b | (c.g << 8) | (c.r << 16) | (c.a << 24);
}
