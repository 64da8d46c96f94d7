#include "video/nv12_to_bgra.h"

#include <algorithm>
#include <cmath>

#include "video/task_pool.h"

namespace anarchy::video {
namespace {

// Rows per job handed to the pool: even, so a band never splits a chroma row, and large enough that a job costs
// far more than handing it out.
constexpr uint32_t kBandRows = 64;
// Below this many pixels one thread is quicker than waking the others.
constexpr uint64_t kParallelPixels = 640 * 480;

// Fixed-point (16 fractional bits) coefficients of one matrix and range.
struct Coefficients {
    int32_t y_scale, y_offset;  // luma: (y - y_offset) * y_scale
    int32_t v_r, u_g, v_g, u_b;
};

Coefficients coefficients(YuvMatrix matrix, bool full_range) {
    const double kr = matrix == YuvMatrix::Bt709 ? 0.2126 : 0.299;
    const double kb = matrix == YuvMatrix::Bt709 ? 0.0722 : 0.114;
    const double kg = 1.0 - kr - kb;
    const double y_scale = full_range ? 1.0 : 255.0 / 219.0;
    const double c_scale = full_range ? 1.0 : 255.0 / 224.0;
    auto q16 = [](double v) { return int32_t(std::lround(v * 65536.0)); };
    Coefficients c;
    c.y_scale = q16(y_scale);
    c.y_offset = full_range ? 0 : 16;
    c.v_r = q16(2.0 * (1.0 - kr) * c_scale);
    c.u_b = q16(2.0 * (1.0 - kb) * c_scale);
    c.u_g = q16(2.0 * kb * (1.0 - kb) / kg * c_scale);
    c.v_g = q16(2.0 * kr * (1.0 - kr) / kg * c_scale);
    return c;
}

inline uint8_t clamp_q16(int32_t v) {
    v = (v + 32768) >> 16;
    return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

inline void put_pixel(uint8_t* out, int32_t luma, int32_t r, int32_t g, int32_t b) {
    out[0] = clamp_q16(luma + b);
    out[1] = clamp_q16(luma + g);
    out[2] = clamp_q16(luma + r);
    out[3] = 255;
}

// Rows [first, first + count) of the picture; first is even. Each chroma sample's three terms are worked out once
// for the (up to) four pixels it covers.
void convert_rows(const Nv12Planes& src, uint32_t width, uint32_t first, uint32_t count, const Coefficients& c,
                  uint8_t* dst, size_t dst_stride) {
    for (uint32_t row = first; row < first + count; row += 2) {
        const bool pair = row + 1 < first + count;
        const uint8_t* y0 = src.y + size_t(row) * src.y_stride;
        const uint8_t* y1 = y0 + src.y_stride;
        const uint8_t* uv = src.uv + size_t(row / 2) * src.uv_stride;
        uint8_t* out0 = dst + size_t(row) * dst_stride;
        uint8_t* out1 = out0 + dst_stride;
        for (uint32_t x = 0; x < width; x += 2) {
            const int32_t u = int32_t(uv[x]) - 128;
            const int32_t v = int32_t(uv[x + 1]) - 128;
            const int32_t r = c.v_r * v, g = -c.u_g * u - c.v_g * v, b = c.u_b * u;
            const bool both = x + 1 < width;
            put_pixel(out0 + 4 * x, (int32_t(y0[x]) - c.y_offset) * c.y_scale, r, g, b);
            if (both) put_pixel(out0 + 4 * x + 4, (int32_t(y0[x + 1]) - c.y_offset) * c.y_scale, r, g, b);
            if (pair) {
                put_pixel(out1 + 4 * x, (int32_t(y1[x]) - c.y_offset) * c.y_scale, r, g, b);
                if (both) put_pixel(out1 + 4 * x + 4, (int32_t(y1[x + 1]) - c.y_offset) * c.y_scale, r, g, b);
            }
        }
    }
}

}  // namespace

Nv12ToBgra::Nv12ToBgra(uint32_t threads) : threads_(threads ? threads : default_codec_threads()) {}

Nv12ToBgra::~Nv12ToBgra() = default;

void Nv12ToBgra::convert(const Nv12Planes& src, uint32_t width, uint32_t height, YuvMatrix matrix, bool full_range,
                         uint8_t* dst, size_t dst_stride) {
    const Coefficients c = coefficients(matrix, full_range);
    if (threads_ <= 1 || uint64_t(width) * height < kParallelPixels) {
        convert_rows(src, width, 0, height, c, dst, dst_stride);
        return;
    }
    if (!pool_) pool_ = std::make_unique<TaskPool>(threads_);
    const uint32_t bands = (height + kBandRows - 1) / kBandRows;
    pool_->run(bands, [&](uint32_t band, uint32_t) {
        const uint32_t first = band * kBandRows;
        convert_rows(src, width, first, std::min(kBandRows, height - first), c, dst, dst_stride);
    });
}

}  // namespace anarchy::video
