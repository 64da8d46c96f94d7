// The object the demo draws: an indexed triangle mesh with normals and texture coordinates.
#pragma once

#include <cstdint>
#include <vector>

namespace anarchy::demo {

/// Vertex layout the pipeline's vertex input describes (locations 0, 1, 2).
struct Vertex {
    float position[3];
    float normal[3];
    float uv[2];
};

struct Mesh {
    std::vector<Vertex> vertices;
    std::vector<uint32_t> indices;  // triangle list, counter-clockwise seen from outside
};

/// A torus around the y axis: `ring_radius` from the centre to the tube's centre, `tube_radius` of the tube,
/// `rings` segments around the ring and `sides` around the tube. The texture wraps `u_repeat` times around
/// the ring and once around the tube.
Mesh make_torus(float ring_radius, float tube_radius, uint32_t rings, uint32_t sides, float u_repeat);

}  // namespace anarchy::demo
