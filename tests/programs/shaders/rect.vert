#version 450
// A screen-aligned rectangle at one depth, from push constants alone (no vertex buffer): six vertices,
// two triangles. Used where exact pixel coverage matters (occlusion query counts).

layout(push_constant) uniform Rect {
    vec4 bounds;  // x0, y0, x1, y1 in normalized device coordinates
    vec4 color;
    float depth;
} rect;

void main() {
    const uvec2 corners[6] = uvec2[](uvec2(0, 0), uvec2(1, 0), uvec2(1, 1), uvec2(0, 0), uvec2(1, 1), uvec2(0, 1));
    uvec2 corner = corners[gl_VertexIndex];
    gl_Position = vec4(corner.x == 0u ? rect.bounds.x : rect.bounds.z, corner.y == 0u ? rect.bounds.y : rect.bounds.w,
                       rect.depth, 1.0);
}
