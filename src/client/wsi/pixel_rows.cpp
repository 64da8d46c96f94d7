#include "client/wsi/pixel_rows.h"

#include <cstring>

namespace anarchy::client::wsi {

void copy_rows(uint8_t* dst, size_t dst_stride, const uint8_t* src, size_t src_stride, size_t row_bytes,
               uint32_t rows) {
    if (rows == 0 || row_bytes == 0) return;
    if (dst_stride == row_bytes && src_stride == row_bytes) {
        std::memcpy(dst, src, row_bytes * rows);
        return;
    }
    for (uint32_t y = 0; y < rows; ++y) std::memcpy(dst + y * dst_stride, src + y * src_stride, row_bytes);
}

void copy_rows_swapped(uint8_t* dst, size_t dst_stride, const uint8_t* src, size_t src_stride, size_t row_bytes,
                       uint32_t rows) {
    for (uint32_t y = 0; y < rows; ++y) {
        const uint8_t* s = src + y * src_stride;
        uint8_t* d = dst + y * dst_stride;
        for (size_t x = 0; x + 4 <= row_bytes; x += 4) {
            d[x + 0] = s[x + 3];
            d[x + 1] = s[x + 2];
            d[x + 2] = s[x + 1];
            d[x + 3] = s[x + 0];
        }
    }
}

}  // namespace anarchy::client::wsi
