// A borrowed picture: size, pixel layout and plane pointers. Encoders read it during encode() only.
#pragma once

#include <cstdint>

#include "video/codec_status.h"

namespace anarchy::video {

/// Pixel layouts an encoder accepts.
enum class PixelFormat {
    Bgra8,  ///< one plane, bytes B,G,R,A per pixel (VK_FORMAT_B8G8R8A8_*)
    Rgba8,  ///< one plane, bytes R,G,B,A per pixel (VK_FORMAT_R8G8B8A8_*)
    I420,   ///< planes Y, U, V, 8 bit, BT.601 limited range, chroma (width+1)/2 x (height+1)/2
};

/// "bgra8", "rgba8" or "i420".
const char* to_string(PixelFormat format);

/// Width and height of a chroma plane of an I420 picture of the given luma size.
inline uint32_t chroma_extent(uint32_t luma) { return (luma + 1) / 2; }

/// A picture in memory the caller owns. Strides are in bytes; planes beyond the format's count are ignored.
struct FrameView {
    uint32_t width = 0;
    uint32_t height = 0;
    PixelFormat format = PixelFormat::Bgra8;
    const uint8_t* planes[3] = {};
    uint32_t strides[3] = {};

    /// A packed BGRA or RGBA picture; stride 0 means width * 4.
    static FrameView packed(PixelFormat format, const uint8_t* pixels, uint32_t width, uint32_t height,
                            uint32_t stride = 0);
    /// An I420 picture from its three planes.
    static FrameView i420(const uint8_t* y, uint32_t y_stride, const uint8_t* u, uint32_t u_stride, const uint8_t* v,
                          uint32_t v_stride, uint32_t width, uint32_t height);
};

/// Checks that the view is usable: non-zero size, planes present, strides wide enough.
CodecStatus check_frame_view(const FrameView& frame);

}  // namespace anarchy::video
