#include "video/encoder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

namespace anarchy::video {

CodecStatus Encoder::check_input(const FrameView& frame) const {
    if (CodecStatus s = check_frame_view(frame); !s) return s;
    if (frame.width != width_ || frame.height != height_)
        return CodecStatus::failure(CodecError::InvalidArgument,
                                    "frame is " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                                        " but the encoder was made for " + std::to_string(width_) + "x" +
                                        std::to_string(height_));
    return CodecStatus::success();
}

CodecStatus Encoder::encode(const FrameView& frame, EncodedFrame& out) {
    const auto start = std::chrono::steady_clock::now();
    if (CodecStatus s = check_input(frame); !s) return s;
    out.codec = codec_;
    out.width = width_;
    out.height = height_;
    out.keyframe = false;
    CodecStatus s = encode_frame(frame, out);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    out.encode_us = static_cast<uint32_t>(std::min<int64_t>(us.count(), UINT32_MAX));
    return s;
}

CodecStatus Encoder::encode_slices(const FrameView& frame, const SliceSink& emit) {
    auto start = std::chrono::steady_clock::now();
    if (CodecStatus s = check_input(frame); !s) return s;
    // Each packet gets the identity fields and the time spent on it before the backend's emit reaches the caller.
    return encode_frame_slices(frame, [&](EncodedFrame& packet, bool last) {
        const auto now = std::chrono::steady_clock::now();
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - start);
        packet.codec = codec_;
        packet.width = width_;
        packet.height = height_;
        packet.encode_us = static_cast<uint32_t>(std::min<int64_t>(us.count(), UINT32_MAX));
        const bool go_on = emit(packet, last);
        start = std::chrono::steady_clock::now();  // the time emit took (sending) is not encoding
        return go_on;
    });
}

CodecStatus Encoder::encode_frame_slices(const FrameView& frame, const SliceSink& emit) {
    EncodedFrame out;
    out.keyframe = false;
    if (CodecStatus s = encode_frame(frame, out); !s) return s;
    if (!emit(out, true)) return CodecStatus::failure(CodecError::Backend, "the frame's packet was not taken");
    return CodecStatus::success();
}

uint32_t automatic_bitrate_kbps(CodecKind codec, uint32_t width, uint32_t height, uint32_t fps) {
    // The link Anarchy is made for (Thunderbolt/USB4 networking, Ethernet) carries far more than a video stream
    // needs, so the default spends bits on sharpness: 0.25 bit per pixel per frame for H.264 (about 31 Mbit/s at
    // 1080p60, 61 Mbit/s at 2560x1600@60, in the range game streamers use), a third less for HEVC and AV1. The
    // floor keeps small windows crisp (vkcube's 500x500 measured 37 dB at 1.5 Mbit/s, over 40 dB with this); the cap
    // stays within what NVENC's one-frame VBV handles without stalling.
    double bits_per_pixel = 0.25;
    if (codec == CodecKind::Hevc || codec == CodecKind::Av1) bits_per_pixel = 0.17;
    const double kbps = double(width) * height * std::max<uint32_t>(fps, 1) * bits_per_pixel / 1000.0;
    return static_cast<uint32_t>(std::clamp(kbps, 6000.0, 150000.0));
}

}  // namespace anarchy::video
