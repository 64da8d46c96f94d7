#version 450

layout(push_constant) uniform Rect {
    vec4 bounds;
    vec4 color;
    float depth;
} rect;

layout(location = 0) out vec4 out_color;

void main() {
    out_color = rect.color;
}
