#include "scene_mesh.h"

#include <cmath>
#include <numbers>

namespace anarchy::demo {

Mesh make_torus(float ring_radius, float tube_radius, uint32_t rings, uint32_t sides, float u_repeat) {
    Mesh mesh;
    // One extra column and row of vertices duplicate the seam so the texture coordinates can reach 1.
    const uint32_t columns = sides + 1;
    mesh.vertices.reserve(size_t(rings + 1) * columns);
    for (uint32_t i = 0; i <= rings; ++i) {
        const float u = float(i) / float(rings);
        const float theta = u * 2.0f * std::numbers::pi_v<float>;
        for (uint32_t j = 0; j <= sides; ++j) {
            const float v = float(j) / float(sides);
            const float phi = v * 2.0f * std::numbers::pi_v<float>;
            const float nx = std::cos(phi) * std::cos(theta);
            const float ny = std::sin(phi);
            const float nz = std::cos(phi) * std::sin(theta);
            const float centre_x = ring_radius * std::cos(theta);
            const float centre_z = ring_radius * std::sin(theta);
            mesh.vertices.push_back(Vertex{{centre_x + tube_radius * nx, tube_radius * ny, centre_z + tube_radius * nz},
                                           {nx, ny, nz},
                                           {u * u_repeat, v}});
        }
    }
    // Along the ring (i) and around the tube (j), d/dj x d/di points outwards, so (i,j), (i,j+1), (i+1,j)
    // is counter-clockwise seen from outside.
    mesh.indices.reserve(size_t(rings) * sides * 6);
    for (uint32_t i = 0; i < rings; ++i) {
        for (uint32_t j = 0; j < sides; ++j) {
            const uint32_t a = i * columns + j;
            const uint32_t b = a + 1;
            const uint32_t c = a + columns;
            const uint32_t d = c + 1;
            mesh.indices.insert(mesh.indices.end(), {a, b, c, c, b, d});
        }
    }
    return mesh;
}

}  // namespace anarchy::demo
