// The little vector and matrix math the scene needs. Mat4 is column-major like GLSL (m[column][row]),
// so it copies straight into a std140 mat4.
#pragma once

#include <cmath>

namespace anarchy::demo {

struct Vec3 {
    float x = 0, y = 0, z = 0;
};

inline Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
inline Vec3 operator-(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
inline Vec3 operator*(Vec3 a, float s) { return {a.x * s, a.y * s, a.z * s}; }
inline float dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
inline Vec3 cross(Vec3 a, Vec3 b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
inline Vec3 normalize(Vec3 v) { return v * (1.0f / std::sqrt(dot(v, v))); }

struct Mat4 {
    float m[4][4] = {};

    static Mat4 identity() {
        Mat4 r;
        for (int i = 0; i < 4; ++i) r.m[i][i] = 1.0f;
        return r;
    }
};

inline Mat4 operator*(const Mat4& a, const Mat4& b) {
    Mat4 r;
    for (int col = 0; col < 4; ++col)
        for (int row = 0; row < 4; ++row) {
            float sum = 0.0f;
            for (int k = 0; k < 4; ++k) sum += a.m[k][row] * b.m[col][k];
            r.m[col][row] = sum;
        }
    return r;
}

/// Rotation by `radians` about the unit vector `axis` (right-handed).
inline Mat4 rotation(Vec3 axis, float radians) {
    const float c = std::cos(radians), s = std::sin(radians), t = 1.0f - c;
    const float x = axis.x, y = axis.y, z = axis.z;
    Mat4 r = Mat4::identity();
    r.m[0][0] = t * x * x + c;
    r.m[0][1] = t * x * y + s * z;
    r.m[0][2] = t * x * z - s * y;
    r.m[1][0] = t * x * y - s * z;
    r.m[1][1] = t * y * y + c;
    r.m[1][2] = t * y * z + s * x;
    r.m[2][0] = t * x * z + s * y;
    r.m[2][1] = t * y * z - s * x;
    r.m[2][2] = t * z * z + c;
    return r;
}

/// Right-handed view matrix looking from `eye` at `target`.
inline Mat4 look_at(Vec3 eye, Vec3 target, Vec3 up) {
    const Vec3 f = normalize(target - eye);
    const Vec3 s = normalize(cross(f, up));
    const Vec3 u = cross(s, f);
    Mat4 r = Mat4::identity();
    r.m[0][0] = s.x, r.m[1][0] = s.y, r.m[2][0] = s.z;
    r.m[0][1] = u.x, r.m[1][1] = u.y, r.m[2][1] = u.z;
    r.m[0][2] = -f.x, r.m[1][2] = -f.y, r.m[2][2] = -f.z;
    r.m[3][0] = -dot(s, eye);
    r.m[3][1] = -dot(u, eye);
    r.m[3][2] = dot(f, eye);
    return r;
}

/// Perspective projection for Vulkan: depth 0..1, and y flipped so that +y is up on screen and
/// counter-clockwise triangles in view space stay counter-clockwise in the framebuffer.
inline Mat4 perspective(float fov_y_radians, float aspect, float near_plane, float far_plane) {
    const float f = 1.0f / std::tan(fov_y_radians / 2.0f);
    Mat4 r;
    r.m[0][0] = f / aspect;
    r.m[1][1] = -f;
    r.m[2][2] = far_plane / (near_plane - far_plane);
    r.m[2][3] = -1.0f;
    r.m[3][2] = near_plane * far_plane / (near_plane - far_plane);
    return r;
}

}  // namespace anarchy::demo
