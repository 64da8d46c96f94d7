#include "video/bgra_packer.h"

#include <cstring>

namespace anarchy::video {
namespace {

constexpr uint32_t kAlpha = 0xff000000u;  // byte 3 of a little-endian BGRA word

void copy_row_bgra(const uint8_t* src, uint8_t* dst, uint32_t pixels) {
    // Two pixels per 64-bit word: the compiler turns this into wide vector loads and stores.
    constexpr uint64_t kAlpha2 = uint64_t(kAlpha) << 32 | kAlpha;
    uint32_t x = 0;
    for (; x + 2 <= pixels; x += 2) {
        uint64_t v;
        std::memcpy(&v, src + 4 * x, 8);
        v |= kAlpha2;
        std::memcpy(dst + 4 * x, &v, 8);
    }
    for (; x < pixels; ++x) {
        uint32_t v;
        std::memcpy(&v, src + 4 * x, 4);
        v |= kAlpha;
        std::memcpy(dst + 4 * x, &v, 4);
    }
}

void copy_row_rgba(const uint8_t* src, uint8_t* dst, uint32_t pixels) {
    for (uint32_t x = 0; x < pixels; ++x) {
        uint32_t v;
        std::memcpy(&v, src + 4 * x, 4);
        v = (v & 0x0000ff00u) | (v & 0xffu) << 16 | (v >> 16 & 0xffu) | kAlpha;
        std::memcpy(dst + 4 * x, &v, 4);
    }
}

}  // namespace

void pack_row(PixelFormat format, const uint8_t* src, uint8_t* dst, uint32_t pixels) {
    if (format == PixelFormat::Rgba8)
        copy_row_rgba(src, dst, pixels);
    else
        copy_row_bgra(src, dst, pixels);
}

void force_opaque(uint8_t* bgra, size_t count) {
    for (size_t i = 0; i < count; ++i) bgra[4 * i + 3] = 0xff;
}

CodecStatus BgraPacker::pack(const FrameView& frame, uint8_t* dst) {
    const size_t row_bytes = size_t(frame.width) * 4;
    switch (frame.format) {
        case PixelFormat::Bgra8:
            for (uint32_t y = 0; y < frame.height; ++y)
                copy_row_bgra(frame.planes[0] + size_t(y) * frame.strides[0], dst + y * row_bytes, frame.width);
            return CodecStatus::success();
        case PixelFormat::Rgba8:
            for (uint32_t y = 0; y < frame.height; ++y)
                copy_row_rgba(frame.planes[0] + size_t(y) * frame.strides[0], dst + y * row_bytes, frame.width);
            return CodecStatus::success();
        case PixelFormat::I420:
#if ANARCHY_HAVE_LIBAV
            return to_bgra_.convert_i420(frame, dst);
#else
            return CodecStatus::failure(CodecError::InvalidArgument, "I420 frames need FFmpeg, which this build lacks");
#endif
    }
    return CodecStatus::failure(CodecError::InvalidArgument, "unknown pixel format");
}

}  // namespace anarchy::video
