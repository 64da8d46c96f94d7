#include "video/decoder.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace anarchy::video {

CodecStatus Decoder::decode(const uint8_t* data, size_t size, DecodedFrame& out) {
    const auto start = std::chrono::steady_clock::now();
    CodecStatus s;
    if (!data || size == 0) {
        s = CodecStatus::failure(CodecError::CorruptData, "empty packet");
    } else if (size > max_packet_bytes(width_, height_)) {
        s = CodecStatus::failure(CodecError::CorruptData, "packet of " + std::to_string(size) +
                                                              " bytes is larger than any valid " +
                                                              std::to_string(width_) + "x" + std::to_string(height_) +
                                                              " frame");
    } else {
        out.keyframe = false;
        s = decode_packet(data, size, out);
    }
    if (s) {
        out.width = width_;
        out.height = height_;
    } else {
        reset_after_error();
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    out.decode_us = static_cast<uint32_t>(std::min<int64_t>(us.count(), UINT32_MAX));
    return s;
}

size_t max_packet_bytes(uint32_t width, uint32_t height) {
    const size_t raw = size_t(width) * height * 4;
    return raw + raw / 255 + 65536;
}

}  // namespace anarchy::video
