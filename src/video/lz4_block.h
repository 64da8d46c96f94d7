// LZ4 block helpers shared by the lz4 and lz4-delta codecs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "video/codec_status.h"

namespace anarchy::video {

/// Appends the LZ4 block of src[0..size) to out.
CodecStatus lz4_append_block(const uint8_t* src, size_t size, std::vector<uint8_t>& out);
/// Decompresses a block that must expand to exactly expected bytes into dst.
CodecStatus lz4_expand_block(const uint8_t* src, size_t size, uint8_t* dst, size_t expected);

}  // namespace anarchy::video
