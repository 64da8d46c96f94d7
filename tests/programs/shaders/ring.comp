#version 450
// ring: folds this frame's slot of the host-written ring into device-local accumulators, and writes a
// scrambled copy of them where the host reads it back after the frame's fence.

layout(local_size_x = 64) in;

layout(set = 0, binding = 0) readonly buffer Ring { uint words[]; } ring;
layout(set = 0, binding = 1) buffer Accumulators { uint words[]; } accumulators;
layout(set = 0, binding = 2) writeonly buffer Readback { uint words[]; } readback;

layout(push_constant) uniform Frame {
    uint slot_offset;  // in words
    uint frame;
    uint count;
} frame;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= frame.count) return;
    uint value = accumulators.words[i] * 31u + (ring.words[frame.slot_offset + i] ^ frame.frame);
    accumulators.words[i] = value;
    readback.words[i] = value ^ (value >> 7);
}
