#include "server/capture/color_convert_reference.h"

#include <algorithm>
#include <cstring>

#include "server/capture/capture_format.h"

namespace anarchy::server::capture {

void bgra_to_i420_reference(const uint8_t* bgra, size_t bgra_stride, uint32_t width, uint32_t height,
                            const I420Planes& out) {
    if (width == 0 || height == 0) return;
    // Coordinates past the image read its last column or row, which pads odd sizes by repetition.
    auto pixel = [&](uint32_t x, uint32_t y) {
        return bgra + size_t(std::min(y, height - 1)) * bgra_stride + size_t(std::min(x, width - 1)) * 4;
    };
    const uint32_t luma_width = width + (width & 1u);
    const uint32_t luma_height = height + (height & 1u);
    for (uint32_t y = 0; y < luma_height; ++y) {
        uint8_t* row = out.y + size_t(y) * out.y_stride;
        for (uint32_t x = 0; x < luma_width; ++x) {
            const uint8_t* p = pixel(x, y);
            row[x] = static_cast<uint8_t>(rgb_to_y(p[2], p[1], p[0]));
        }
    }
    for (uint32_t cy = 0; cy < luma_height / 2; ++cy) {
        uint8_t* urow = out.u + size_t(cy) * out.u_stride;
        uint8_t* vrow = out.v + size_t(cy) * out.v_stride;
        for (uint32_t cx = 0; cx < luma_width / 2; ++cx) {
            const uint8_t* p00 = pixel(2 * cx, 2 * cy);
            const uint8_t* p01 = pixel(2 * cx + 1, 2 * cy);
            const uint8_t* p10 = pixel(2 * cx, 2 * cy + 1);
            const uint8_t* p11 = pixel(2 * cx + 1, 2 * cy + 1);
            const int b = average4(p00[0], p01[0], p10[0], p11[0]);
            const int g = average4(p00[1], p01[1], p10[1], p11[1]);
            const int r = average4(p00[2], p01[2], p10[2], p11[2]);
            urow[cx] = static_cast<uint8_t>(rgb_to_u(r, g, b));
            vrow[cx] = static_cast<uint8_t>(rgb_to_v(r, g, b));
        }
    }
}

bool texels_to_bgra_reference(VkFormat format, const uint8_t* src, size_t src_stride, uint32_t width,
                              uint32_t height, uint8_t* bgra, size_t bgra_stride) {
    const std::optional<SourceLayout> layout = source_layout_of(format);
    if (!layout) return false;
    for (uint32_t y = 0; y < height; ++y) {
        const uint8_t* in = src + size_t(y) * src_stride;
        uint8_t* o = bgra + size_t(y) * bgra_stride;
        for (uint32_t x = 0; x < width; ++x, in += 4, o += 4) {
            uint32_t t;
            std::memcpy(&t, in, 4);  // texels are little-endian 32-bit words, as on every Vulkan host
            uint32_t r = 0, g = 0, b = 0, a = 0;
            switch (*layout) {
                case SourceLayout::Bgra8: b = in[0], g = in[1], r = in[2], a = in[3]; break;
                case SourceLayout::Rgba8: r = in[0], g = in[1], b = in[2], a = in[3]; break;
                case SourceLayout::A2B10G10R10:
                    r = unorm10_to_unorm8(t & 1023u), g = unorm10_to_unorm8((t >> 10) & 1023u);
                    b = unorm10_to_unorm8((t >> 20) & 1023u), a = (t >> 30) * 85u;
                    break;
                case SourceLayout::A2R10G10B10:
                    b = unorm10_to_unorm8(t & 1023u), g = unorm10_to_unorm8((t >> 10) & 1023u);
                    r = unorm10_to_unorm8((t >> 20) & 1023u), a = (t >> 30) * 85u;
                    break;
            }
            o[0] = static_cast<uint8_t>(b), o[1] = static_cast<uint8_t>(g);
            o[2] = static_cast<uint8_t>(r), o[3] = static_cast<uint8_t>(a);
        }
    }
    return true;
}

}  // namespace anarchy::server::capture
