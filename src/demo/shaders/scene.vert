#version 450
// Transforms the object to clip space and hands world-space position, normal and texture coordinates on.

#extension GL_GOOGLE_include_directive : require
#include "scene_uniforms.glsl"

layout(location = 0) in vec3 in_position;
layout(location = 1) in vec3 in_normal;
layout(location = 2) in vec2 in_uv;

layout(location = 0) out vec3 out_world_position;
layout(location = 1) out vec3 out_world_normal;
layout(location = 2) out vec2 out_uv;

void main() {
    vec4 world = scene.model * vec4(in_position, 1.0);
    out_world_position = world.xyz;
    // The model matrix is a rotation with uniform scale, so it transforms normals correctly too.
    out_world_normal = mat3(scene.model) * in_normal;
    out_uv = in_uv;
    gl_Position = scene.projection * scene.view * world;
}
