// Row copies between BGRA8 images of different strides: the one copy a present costs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace anarchy::client::wsi {

/// Copies `rows` rows of `row_bytes` bytes; a single memcpy when both images are tightly packed.
void copy_rows(uint8_t* dst, size_t dst_stride, const uint8_t* src, size_t src_stride, size_t row_bytes,
               uint32_t rows);

/// Copies like copy_rows and reverses the bytes of each 4-byte pixel (B,G,R,A -> A,R,G,B), for X servers whose
/// image byte order is MSBFirst. `row_bytes` must be a multiple of 4.
void copy_rows_swapped(uint8_t* dst, size_t dst_stride, const uint8_t* src, size_t src_stride, size_t row_bytes,
                       uint32_t rows);

}  // namespace anarchy::client::wsi
