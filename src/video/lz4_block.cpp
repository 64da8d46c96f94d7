#include "video/lz4_block.h"

#include <lz4.h>

#include <string>

namespace anarchy::video {

CodecStatus lz4_append_block(const uint8_t* src, size_t size, std::vector<uint8_t>& out) {
    if (size > LZ4_MAX_INPUT_SIZE)
        return CodecStatus::failure(CodecError::InvalidArgument, "frame too large for one LZ4 block");
    const int n = static_cast<int>(size);
    const size_t at = out.size();
    out.resize(at + static_cast<size_t>(LZ4_compressBound(n)));
    const int c = LZ4_compress_default(reinterpret_cast<const char*>(src), reinterpret_cast<char*>(out.data() + at),
                                       n, LZ4_compressBound(n));
    if (c <= 0) {
        out.resize(at);
        return CodecStatus::failure(CodecError::Backend, "LZ4 compression failed");
    }
    out.resize(at + static_cast<size_t>(c));
    return CodecStatus::success();
}

CodecStatus lz4_expand_block(const uint8_t* src, size_t size, uint8_t* dst, size_t expected) {
    if (size > LZ4_MAX_INPUT_SIZE || expected > LZ4_MAX_INPUT_SIZE)
        return CodecStatus::failure(CodecError::CorruptData, "LZ4 block too large");
    const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(src), reinterpret_cast<char*>(dst),
                                      static_cast<int>(size), static_cast<int>(expected));
    if (n < 0) return CodecStatus::failure(CodecError::CorruptData, "malformed or truncated LZ4 block");
    if (static_cast<size_t>(n) != expected)
        return CodecStatus::failure(CodecError::CorruptData, "LZ4 block expands to " + std::to_string(n) +
                                                                 " bytes, expected " + std::to_string(expected));
    return CodecStatus::success();
}

}  // namespace anarchy::video
