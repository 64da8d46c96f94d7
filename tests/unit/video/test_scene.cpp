#include "test_scene.h"

#include <algorithm>
#include <cmath>

#include "common/log.h"

namespace anarchy::video::test {
namespace {

// Creating a codec logs its choice at info level, dozens of times in this suite; keep the output to failures.
// ANARCHY_LOG still overrides.
const bool quiet_logs = [] {
    log_set_default_level(LogLevel::Warn);
    return true;
}();

uint8_t clamp_byte(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

}  // namespace

std::vector<uint8_t> make_scene_bgra(uint32_t width, uint32_t height, uint32_t t) {
    std::vector<uint8_t> out(size_t(width) * height * 4);
    const double w = width, h = height;
    constexpr double kTau = 6.283185307179586;
    // Two soft discs that move across the frame. Everything is scaled to the frame, so a 97x61 frame has the same
    // shapes as a 1080p one: edges fall off over 60% of a disc's radius, as lit and anti-aliased content does,
    // rather than the hard coloured edges that 4:2:0 chroma cannot keep at any bitrate.
    const double r1 = std::min(w, h) * 0.3, r2 = std::min(w, h) * 0.22;
    const double cx1 = w * (0.35 + 0.2 * std::sin(t * 0.21)), cy1 = h * (0.45 + 0.15 * std::cos(t * 0.17));
    const double cx2 = w * (0.65 - 0.2 * std::cos(t * 0.13)), cy2 = h * (0.5 + 0.2 * std::sin(t * 0.29));
    auto soft = [](double v) { v = std::clamp(v, 0.0, 1.0); return v * v * (3 - 2 * v); };
    for (uint32_t y = 0; y < height; ++y) {
        for (uint32_t x = 0; x < width; ++x) {
            // A tinted brightness ramp: colour varies slowly, brightness more, as in most rendered scenes.
            const double base = 50 + 110 * (0.6 * x / w + 0.4 * y / h);
            double r = base + 25 * std::sin(kTau * (1.5 * y / h + t * 0.02)) + 20;
            double g = base + 15 * x / w;
            double b = base + 25 * std::cos(kTau * (2.0 * x / w - t * 0.03)) - 10;
            const double a1 = soft((r1 - std::hypot(x - cx1, y - cy1)) / (r1 * 0.6));
            const double a2 = soft((r2 - std::hypot(x - cx2, y - cy2)) / (r2 * 0.6));
            // One disc brightens what is under it, the other darkens it, by the same amount in every channel:
            // the shapes live in luma, which 4:2:0 keeps at full resolution, and the colour stays the ramp's.
            const double shade = 55 * a1 - 45 * a2;
            r += shade;
            g += shade;
            b += shade;
            uint8_t* p = out.data() + (size_t(y) * width + x) * 4;
            p[0] = clamp_byte(b);
            p[1] = clamp_byte(g);
            p[2] = clamp_byte(r);
            p[3] = 255;
        }
    }
    return out;
}

FrameView I420Image::view() const {
    const uint32_t cw = chroma_extent(width);
    return FrameView::i420(y.data(), width, u.data(), cw, v.data(), cw, width, height);
}

I420Image to_i420(const std::vector<uint8_t>& bgra, uint32_t width, uint32_t height) {
    I420Image img;
    img.width = width;
    img.height = height;
    const uint32_t cw = chroma_extent(width), ch = chroma_extent(height);
    img.y.resize(size_t(width) * height);
    img.u.resize(size_t(cw) * ch);
    img.v.resize(size_t(cw) * ch);
    auto px = [&](uint32_t x, uint32_t y) { return bgra.data() + (size_t(std::min(y, height - 1)) * width + std::min(x, width - 1)) * 4; };
    // BT.601 limited range.
    for (uint32_t y = 0; y < height; ++y)
        for (uint32_t x = 0; x < width; ++x) {
            const uint8_t* p = px(x, y);
            img.y[size_t(y) * width + x] = clamp_byte(16 + (65.481 * p[2] + 128.553 * p[1] + 24.966 * p[0]) / 255.0);
        }
    for (uint32_t y = 0; y < ch; ++y)
        for (uint32_t x = 0; x < cw; ++x) {
            double r = 0, g = 0, b = 0;
            for (uint32_t dy = 0; dy < 2; ++dy)
                for (uint32_t dx = 0; dx < 2; ++dx) {
                    const uint8_t* p = px(2 * x + dx, 2 * y + dy);
                    b += p[0] / 4.0;
                    g += p[1] / 4.0;
                    r += p[2] / 4.0;
                }
            img.u[size_t(y) * cw + x] = clamp_byte(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0);
            img.v[size_t(y) * cw + x] = clamp_byte(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0);
        }
    return img;
}

double psnr_bgr(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    if (a.size() != b.size() || a.empty()) return 0;
    double sse = 0;
    size_t n = 0;
    for (size_t i = 0; i < a.size(); i += 4)
        for (size_t c = 0; c < 3; ++c) {
            const double d = double(a[i + c]) - b[i + c];
            sse += d * d;
            ++n;
        }
    if (sse == 0) return 99;
    return 10 * std::log10(255.0 * 255.0 / (sse / n));
}

bool all_opaque(const std::vector<uint8_t>& bgra) {
    for (size_t i = 3; i < bgra.size(); i += 4)
        if (bgra[i] != 255) return false;
    return true;
}

}  // namespace anarchy::video::test
