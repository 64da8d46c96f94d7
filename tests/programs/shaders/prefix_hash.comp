#version 450
// compute: hashes every input with a seed, then takes inclusive prefix sums within each workgroup of 128
// (wrapping uint arithmetic, so the result is exact and the CPU can check it).

layout(local_size_x = 128) in;  // the smallest maxComputeWorkGroupSize[0] the spec allows

layout(set = 0, binding = 0) readonly buffer Input { uint values[]; } src;
layout(set = 0, binding = 1) writeonly buffer Result { uint values[]; } dst;

layout(push_constant) uniform Parameters {
    uint count;
    uint seed;
} params;

shared uint partial[gl_WorkGroupSize.x];

uint hash(uint x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

void main() {
    uint index = gl_GlobalInvocationID.x;
    uint lane = gl_LocalInvocationID.x;
    partial[lane] = index < params.count ? hash(src.values[index] ^ params.seed) : 0u;
    barrier();
    // Hillis-Steele scan: after the step with `offset`, each lane holds the sum of the 2*offset lanes ending at it.
    for (uint offset = 1u; offset < gl_WorkGroupSize.x; offset <<= 1) {
        uint add = lane >= offset ? partial[lane - offset] : 0u;
        barrier();
        partial[lane] += add;
        barrier();
    }
    if (index < params.count) dst.values[index] = partial[lane];
}
