// Turns any caller frame into tightly packed BGRA with A = 255, the form the lossless codecs carry.
#pragma once

#include <cstdint>

#include "video/codec_status.h"
#include "video/frame_view.h"
#if ANARCHY_HAVE_LIBAV
#include "video/yuv_to_bgra.h"
#endif

namespace anarchy::video {

/// Packs frames into BGRA; keeps a converter for I420 input (builds without FFmpeg refuse I420).
class BgraPacker {
public:
    /// Writes frame.width * frame.height * 4 bytes to dst. The alpha byte is forced to 255: swapchain alpha is
    /// meaningless for presentation and a constant compresses to nothing.
    CodecStatus pack(const FrameView& frame, uint8_t* dst);

private:
#if ANARCHY_HAVE_LIBAV
    YuvToBgra to_bgra_;
#endif
};

/// Copies one row of pixels of a packed BGRA or RGBA picture (not I420) as BGRA with A = 255.
void pack_row(PixelFormat format, const uint8_t* src, uint8_t* dst, uint32_t pixels);

/// Sets the alpha byte of count BGRA pixels to 255.
void force_opaque(uint8_t* bgra, size_t count);

}  // namespace anarchy::video
