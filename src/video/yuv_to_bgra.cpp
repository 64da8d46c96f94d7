#include "video/yuv_to_bgra.h"

#include <algorithm>
#include <cstring>

#include "video/task_pool.h"

namespace anarchy::video {
namespace {

/// Pictures smaller than this convert on one thread: handing out bands costs more than it saves.
constexpr uint64_t kParallelPixels = 512 * 512;
/// Rows per band at least (even, so every band starts on a chroma row).
constexpr int kMinBandRows = 64;

// Copies a plane into dst (dst_stride, coded_w x coded_h), repeating the last column and row.
void copy_padded(const uint8_t* src, size_t src_stride, size_t w, size_t h, uint8_t* dst, size_t dst_stride,
                 size_t coded_w, size_t coded_h) {
    for (size_t y = 0; y < coded_h; ++y) {
        const uint8_t* s = src + std::min(y, h - 1) * src_stride;
        uint8_t* d = dst + y * dst_stride;
        std::memcpy(d, s, w);
        std::memset(d + w, s[w - 1], coded_w - w + (dst_stride - coded_w));
    }
}

}  // namespace

YuvToBgra::YuvToBgra(uint32_t threads) : threads_(threads ? threads : default_codec_threads()) {}

YuvToBgra::~YuvToBgra() = default;

CodecStatus YuvToBgra::convert_planes(const PlaneRefs& src, const PlaneRefs& out, int width, int height,
                                      YuvEncoding yuv) {
    const bool splittable = src.format == AV_PIX_FMT_YUV420P && width % 2 == 0 && height % 2 == 0 &&
                            uint64_t(width) * uint64_t(height) >= kParallelPixels;
    const int bands = splittable ? std::min<int>(int(threads_), height / kMinBandRows) : 1;
    if (bands <= 1) return converter_.convert(src, out, width, height, yuv);
    if (!pool_) pool_ = std::make_unique<TaskPool>(threads_);
    while (band_converters_.size() < size_t(bands)) band_converters_.push_back(std::make_unique<ColorConverter>());
    const int band_rows = ((height + bands - 1) / bands + 1) & ~1;  // even, and bands * band_rows >= height
    std::vector<CodecStatus> results(size_t(bands), CodecStatus::success());
    pool_->run(uint32_t(bands), [&](uint32_t band, uint32_t) {
        const int first = int(band) * band_rows;
        const int rows = std::min(band_rows, height - first);
        if (rows <= 0) return;
        PlaneRefs s = src, o = out;
        s.data[0] += size_t(first) * size_t(src.strides[0]);
        s.data[1] += size_t(first / 2) * size_t(src.strides[1]);
        s.data[2] += size_t(first / 2) * size_t(src.strides[2]);
        // dst.data are written through: the const is the struct's, not the pixels'.
        o.data[0] = out.data[0] + size_t(first) * size_t(out.strides[0]);
        results[band] = band_converters_[band]->convert(s, o, width, rows, yuv);
    });
    for (const CodecStatus& r : results)
        if (!r) return r;
    return CodecStatus::success();
}

CodecStatus YuvToBgra::convert(const PlaneRefs& src_in, int src_width, int src_height, YuvEncoding yuv,
                               uint8_t* dst, uint32_t width, uint32_t height, size_t dst_stride) {
    if (dst_stride == 0) dst_stride = size_t(width) * 4;
    PlaneRefs src = src_in;
    if (src.format == AV_PIX_FMT_NV12) {
        // Hardware decoders hand out NV12. libswscale has no fast NV12->RGB path (3 ms against 0.5 ms for I420 at
        // 1080p, measured), so split the interleaved chroma into planes first; that costs a fraction of the gap.
        const size_t cw = size_t(src_width + 1) / 2, ch = size_t(src_height + 1) / 2, stride = sws_aligned(cw);
        chroma_.resize(2 * stride * ch + kSwsSlack);
        uint8_t* u = chroma_.data();
        uint8_t* v = u + stride * ch;
        for (size_t y = 0; y < ch; ++y) {
            const uint8_t* uv = src.data[1] + y * size_t(src.strides[1]);
            uint8_t* ur = u + y * stride;
            uint8_t* vr = v + y * stride;
            for (size_t x = 0; x < cw; ++x) {
                ur[x] = uv[2 * x];
                vr[x] = uv[2 * x + 1];
            }
        }
        src.format = AV_PIX_FMT_YUV420P;
        src.data[1] = u;
        src.data[2] = v;
        src.strides[1] = src.strides[2] = int(stride);
    }
    PlaneRefs out;
    out.format = AV_PIX_FMT_BGRA;
    if (uint32_t(src_width) == width && uint32_t(src_height) == height && width % kSwsRowAlign == 0) {
        // Whole groups of pixels per row: libswscale writes nothing past a row's end, whatever the stride.
        out.data[0] = dst;
        out.strides[0] = int(dst_stride);
        return convert_planes(src, out, src_width, src_height, yuv);
    }
    const size_t stride = sws_aligned(size_t(src_width)) * 4;
    bgra_.resize(stride * size_t(src_height) + kSwsSlack);
    out.data[0] = bgra_.data();
    out.strides[0] = int(stride);
    if (CodecStatus s = convert_planes(src, out, src_width, src_height, yuv); !s) return s;
    for (uint32_t y = 0; y < height; ++y)
        std::memcpy(dst + size_t(y) * dst_stride, bgra_.data() + y * stride, size_t(width) * 4);
    return CodecStatus::success();
}

CodecStatus YuvToBgra::convert_i420(const FrameView& frame, uint8_t* dst) {
    const size_t w = frame.width, h = frame.height;
    const size_t cw = chroma_extent(frame.width), ch = chroma_extent(frame.height);
    const size_t coded_w = 2 * cw, coded_h = 2 * ch;
    const size_t y_stride = sws_aligned(coded_w), c_stride = sws_aligned(cw);
    yuv_.resize(y_stride * coded_h + 2 * c_stride * ch + kSwsSlack);
    uint8_t* y_plane = yuv_.data();
    uint8_t* u_plane = y_plane + y_stride * coded_h;
    uint8_t* v_plane = u_plane + c_stride * ch;
    copy_padded(frame.planes[0], frame.strides[0], w, h, y_plane, y_stride, coded_w, coded_h);
    copy_padded(frame.planes[1], frame.strides[1], cw, ch, u_plane, c_stride, cw, ch);
    copy_padded(frame.planes[2], frame.strides[2], cw, ch, v_plane, c_stride, cw, ch);
    PlaneRefs src;
    src.format = AV_PIX_FMT_YUV420P;
    src.data[0] = y_plane;
    src.data[1] = u_plane;
    src.data[2] = v_plane;
    src.strides[0] = int(y_stride);
    src.strides[1] = src.strides[2] = int(c_stride);
    return convert(src, int(coded_w), int(coded_h), YuvEncoding{}, dst, frame.width, frame.height);
}

}  // namespace anarchy::video
