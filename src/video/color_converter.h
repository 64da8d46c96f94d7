// Colour conversion between BGRA and YUV with libswscale, one cached context per instance. Internal to src/video.
#pragma once

extern "C" {
#include <libavutil/pixfmt.h>
}

#include <cstddef>
#include <cstdint>

#include "video/codec_status.h"
#include "video/frame_view.h"

struct SwsContext;

namespace anarchy::video {

/// Planes and strides of one side of a conversion, as libswscale takes them.
struct PlaneRefs {
    AVPixelFormat format = AV_PIX_FMT_NONE;
    const uint8_t* data[4] = {};
    int strides[4] = {};
};

/// libswscale's SIMD paths work in groups of up to 16 pixels (measured with libswscale 6): a destination row
/// narrower than the group loses its last pixels, and the last row can be overrun. Buffers we hand it have rows
/// padded to this many pixels, and sources we cannot vouch for are copied into such buffers first.
inline constexpr size_t kSwsRowAlign = 32;
/// Extra bytes after every buffer libswscale reads or writes.
inline constexpr size_t kSwsSlack = 256;
/// n rounded up to a multiple of kSwsRowAlign.
inline size_t sws_aligned(size_t n) { return (n + kSwsRowAlign - 1) / kSwsRowAlign * kSwsRowAlign; }

/// The planes of a caller's frame; libswscale only reads a source.
PlaneRefs plane_refs(const FrameView& frame);

/// How YUV samples map to RGB: the matrix and whether Y spans 0-255 or 16-235.
struct YuvEncoding {
    AVColorSpace matrix = AVCOL_SPC_SMPTE170M;  ///< BT.601 unless the stream says otherwise
    bool full_range = false;
};

/// Converts width x height pixels between formats of the same size. Keeps the SwsContext while the formats, size
/// and YUV encoding stay the same, so the per-frame cost is the conversion only.
class ColorConverter {
public:
    ColorConverter() = default;
    ~ColorConverter();
    ColorConverter(const ColorConverter&) = delete;
    ColorConverter& operator=(const ColorConverter&) = delete;

    /// Converts src into dst (dst.data are written through). The YUV encoding applies to whichever side is YUV.
    CodecStatus convert(const PlaneRefs& src, const PlaneRefs& dst, int width, int height, YuvEncoding yuv);

private:
    SwsContext* context_ = nullptr;
    // The parameters context_ was made for.
    AVPixelFormat src_format_ = AV_PIX_FMT_NONE;
    AVPixelFormat dst_format_ = AV_PIX_FMT_NONE;
    int width_ = 0;
    int height_ = 0;
    YuvEncoding yuv_;
};

}  // namespace anarchy::video
