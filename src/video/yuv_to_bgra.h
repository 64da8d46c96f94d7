// YUV to packed BGRA of an exact size, around two libswscale quirks: its SIMD paths convert whole groups of
// pixels (see kSwsRowAlign), and an odd width or height makes it resample chroma (49 -> 97) instead of doubling
// it, which shifts every chroma sample.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "video/color_converter.h"
#include "video/frame_view.h"

namespace anarchy::video {

class TaskPool;

/// Converts decoded pictures and caller I420 frames to BGRA; keeps its converter and scratch between frames.
/// Large 4:2:0 pictures of even size are converted in bands of rows on a pool of threads, each band by a converter
/// of its own; libswscale's unscaled path takes each pair of rows with its chroma row alone, so the bands give the
/// bytes one converter would (tested).
class YuvToBgra {
public:
    /// threads: 1 (the default) converts on the caller's thread only; 0 for default_codec_threads().
    explicit YuvToBgra(uint32_t threads = 1);
    ~YuvToBgra();
    YuvToBgra(const YuvToBgra&) = delete;
    YuvToBgra& operator=(const YuvToBgra&) = delete;

    /// src is a picture (I420, NV12, or anything libswscale reads) of src_width x src_height, even for 4:2:0,
    /// whose rows may be read kSwsRowAlign pixels past their end, as an AVFrame's can. Its top-left
    /// width x height goes to dst, BGRA with A = 255, rows dst_stride bytes apart (0: packed, width * 4), so it
    /// can be a window's buffer.
    CodecStatus convert(const PlaneRefs& src, int src_width, int src_height, YuvEncoding yuv, uint8_t* dst,
                        uint32_t width, uint32_t height, size_t dst_stride = 0);
    /// A caller's I420 frame (tight rows allowed) to packed BGRA of its size.
    CodecStatus convert_i420(const FrameView& frame, uint8_t* dst);

private:
    /// src (4:2:0 planar or anything else libswscale reads) into out, width x height, banded where it pays.
    CodecStatus convert_planes(const PlaneRefs& src, const PlaneRefs& out, int width, int height, YuvEncoding yuv);

    uint32_t threads_;
    std::unique_ptr<TaskPool> pool_;                           // made at the first picture large enough to split
    std::vector<std::unique_ptr<ColorConverter>> band_converters_;  // one per band
    ColorConverter converter_;
    std::vector<uint8_t> bgra_;  // rows padded to 8 pixels, before cropping
    std::vector<uint8_t> yuv_;     // caller I420 copied to an even size with readable slack
    std::vector<uint8_t> chroma_;  // NV12 chroma split into U and V planes
};

}  // namespace anarchy::video
