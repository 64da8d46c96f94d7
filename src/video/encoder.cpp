#include "video/encoder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

namespace anarchy::video {

CodecStatus Encoder::encode(const FrameView& frame, EncodedFrame& out) {
    const auto start = std::chrono::steady_clock::now();
    if (CodecStatus s = check_frame_view(frame); !s) return s;
    if (frame.width != width_ || frame.height != height_)
        return CodecStatus::failure(CodecError::InvalidArgument,
                                    "frame is " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                                        " but the encoder was made for " + std::to_string(width_) + "x" +
                                        std::to_string(height_));
    out.codec = codec_;
    out.width = width_;
    out.height = height_;
    out.keyframe = false;
    CodecStatus s = encode_frame(frame, out);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    out.encode_us = static_cast<uint32_t>(std::min<int64_t>(us.count(), UINT32_MAX));
    return s;
}

uint32_t automatic_bitrate_kbps(CodecKind codec, uint32_t width, uint32_t height, uint32_t fps) {
    // 0.1 bit per pixel per frame for H.264 is crisp for rendered content at 60 fps; HEVC and AV1 reach the same
    // quality with about a third less. The floor keeps tiny windows legible, the cap stays below what NVENC's
    // one-frame VBV handles without stalling.
    double bits_per_pixel = 0.10;
    if (codec == CodecKind::Hevc || codec == CodecKind::Av1) bits_per_pixel = 0.07;
    const double kbps = double(width) * height * std::max<uint32_t>(fps, 1) * bits_per_pixel / 1000.0;
    return static_cast<uint32_t>(std::clamp(kbps, 1000.0, 150000.0));
}

}  // namespace anarchy::video
