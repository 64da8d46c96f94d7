#version 460
#extension GL_EXT_ray_tracing : require
// The hit's barycentric coordinates and its distance as the colour.
layout(location = 0) rayPayloadInEXT vec3 colour;
hitAttributeEXT vec2 barycentrics;

void main() {
    colour = vec3(1.0 - barycentrics.x - barycentrics.y, barycentrics.x, barycentrics.y * 0.5 + gl_HitTEXT * 0.25);
}
