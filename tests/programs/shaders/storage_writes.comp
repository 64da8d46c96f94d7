#version 450
// storage_writes: writes a hash of each index into a plain and a dynamic storage buffer, both of them
// host-visible memory the host reads after the fence.

layout(local_size_x = 64) in;

layout(set = 0, binding = 0) writeonly buffer Plain { uint words[]; } plain;
layout(set = 0, binding = 1) writeonly buffer Dynamic { uint words[]; } dynamic_slot;

layout(push_constant) uniform Parameters {
    uint count;
    uint seed;
} parameters;

uint scramble(uint x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= parameters.count) return;
    plain.words[i] = scramble(i ^ parameters.seed);
    dynamic_slot.words[i] = scramble(i * 3u + parameters.seed) ^ 0x5bd1e995u;
}
