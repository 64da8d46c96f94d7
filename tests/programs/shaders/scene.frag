#version 450

layout(set = 0, binding = 1) uniform sampler2D albedo;

layout(location = 0) in vec2 in_uv;
layout(location = 1) in vec3 in_color;

layout(location = 0) out vec4 out_color;

void main() {
    out_color = vec4(texture(albedo, in_uv).rgb * in_color, 1.0);
}
