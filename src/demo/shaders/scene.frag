#version 450
// Blinn-Phong lighting from one directional light: textured diffuse plus a specular highlight whose
// strength comes from the texture's alpha (glossy bricks, dull mortar).

#extension GL_GOOGLE_include_directive : require
#include "scene_uniforms.glsl"

layout(set = 0, binding = 1) uniform sampler2D albedo_texture;

layout(location = 0) in vec3 in_world_position;
layout(location = 1) in vec3 in_world_normal;
layout(location = 2) in vec2 in_uv;

layout(location = 0) out vec4 out_color;

const vec3 light_color = vec3(1.0, 0.96, 0.9);
const vec3 ambient_color = vec3(0.10, 0.11, 0.14);
const float shininess = 48.0;

void main() {
    vec4 texel = texture(albedo_texture, in_uv);
    vec3 albedo = texel.rgb;
    float gloss = texel.a;

    vec3 n = normalize(in_world_normal);
    vec3 to_light = -scene.light_direction.xyz;
    vec3 to_eye = normalize(scene.camera_position.xyz - in_world_position);
    vec3 halfway = normalize(to_light + to_eye);

    float diffuse = max(dot(n, to_light), 0.0);
    float specular = diffuse > 0.0 ? pow(max(dot(n, halfway), 0.0), shininess) : 0.0;

    vec3 color = albedo * (ambient_color + light_color * diffuse) + light_color * specular * gloss;
    out_color = vec4(color, 1.0);
}
