#version 450
// pipeline_binary: fills a buffer with a hash of each index and a seed, from a pipeline made of binaries.

layout(local_size_x = 64) in;

layout(set = 0, binding = 0) writeonly buffer Words { uint words[]; } result;

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
    if (i < parameters.count) result.words[i] = scramble(i + parameters.seed);
}
