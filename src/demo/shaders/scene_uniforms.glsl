// Per-frame uniforms shared by both stages; must match SceneUniforms in scene_renderer.h (std140).
layout(set = 0, binding = 0, std140) uniform SceneUniforms {
    mat4 model;
    mat4 view;
    mat4 projection;
    vec4 camera_position;  // xyz: world-space eye position
    vec4 light_direction;  // xyz: direction the light travels, normalized
    vec4 params;           // x: scene time in seconds, derived from the frame index
} scene;
