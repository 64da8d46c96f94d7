#version 450
// Textured scene shared by graphics, renderpass, secondary and multithread: a uniform buffer holds the
// camera, push constants place and tint each object.

layout(location = 0) in vec3 in_position;
layout(location = 1) in vec2 in_uv;
layout(location = 2) in vec3 in_color;

layout(set = 0, binding = 0) uniform Camera {
    mat4 view_projection;
} camera;

layout(push_constant) uniform Object {
    mat4 model;
    vec4 tint;
} object;

layout(location = 0) out vec2 out_uv;
layout(location = 1) out vec3 out_color;

void main() {
    gl_Position = camera.view_projection * object.model * vec4(in_position, 1.0);
    out_uv = in_uv;
    out_color = in_color * object.tint.rgb;
}
