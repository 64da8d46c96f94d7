#include "video/decoder.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

namespace anarchy::video {

template <typename Backend>
CodecStatus Decoder::run_decode(const uint8_t* data, size_t size, DecodedFrame& out, Backend backend) {
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
        out.picture = 0;
        s = backend();
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

CodecStatus Decoder::decode(const uint8_t* data, size_t size, DecodedFrame& out) {
    return run_decode(data, size, out, [&] { return decode_packet(data, size, out); });
}

CodecStatus Decoder::decode_into(const uint8_t* data, size_t size, const PictureTarget& target, DecodedFrame& out) {
    if (!target.pixels || target.stride < size_t(width_) * 4)
        return CodecStatus::failure(CodecError::InvalidArgument, "decode target without pixels or with a stride below width*4");
    return run_decode(data, size, out, [&] { return decode_packet_into(data, size, target, out); });
}

CodecStatus Decoder::decode_packet_into(const uint8_t* data, size_t size, const PictureTarget& target,
                                        DecodedFrame& out) {
    if (CodecStatus s = decode_packet(data, size, scratch_); !s) return s;
    const size_t row = size_t(width_) * 4;
    if (scratch_.bgra.size() != row * height_)
        return CodecStatus::failure(CodecError::Backend, std::string(name()) + " produced a picture of the wrong size");
    for (uint32_t y = 0; y < height_; ++y) std::memcpy(target.pixels + y * target.stride, scratch_.bgra.data() + y * row, row);
    out.keyframe = scratch_.keyframe;
    return CodecStatus::success();
}

size_t max_packet_bytes(uint32_t width, uint32_t height) {
    const size_t raw = size_t(width) * height * 4;
    return raw + raw / 255 + 65536;
}

}  // namespace anarchy::video
