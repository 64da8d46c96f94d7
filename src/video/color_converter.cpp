#include "video/color_converter.h"

extern "C" {
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <string>

namespace anarchy::video {
namespace {

int sws_matrix(AVColorSpace matrix) {
    switch (matrix) {
        case AVCOL_SPC_BT709: return SWS_CS_ITU709;
        case AVCOL_SPC_BT2020_NCL:
        case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
        case AVCOL_SPC_FCC: return SWS_CS_FCC;
        case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
        default: return SWS_CS_ITU601;
    }
}

bool is_rgb(AVPixelFormat format) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    return d && (d->flags & AV_PIX_FMT_FLAG_RGB);
}

}  // namespace

PlaneRefs plane_refs(const FrameView& frame) {
    PlaneRefs r;
    switch (frame.format) {
        case PixelFormat::Bgra8: r.format = AV_PIX_FMT_BGRA; break;
        case PixelFormat::Rgba8: r.format = AV_PIX_FMT_RGBA; break;
        case PixelFormat::I420: r.format = AV_PIX_FMT_YUV420P; break;
    }
    const int planes = frame.format == PixelFormat::I420 ? 3 : 1;
    for (int i = 0; i < planes; ++i) {
        r.data[i] = frame.planes[i];
        r.strides[i] = static_cast<int>(frame.strides[i]);
    }
    return r;
}

ColorConverter::~ColorConverter() { sws_freeContext(context_); }

CodecStatus ColorConverter::convert(const PlaneRefs& src, const PlaneRefs& dst, int width, int height,
                                    YuvEncoding yuv) {
    if (!context_ || src.format != src_format_ || dst.format != dst_format_ || width != width_ ||
        height != height_ || yuv.matrix != yuv_.matrix || yuv.full_range != yuv_.full_range) {
        sws_freeContext(context_);
        // Same size on both sides, so the filter only decides how chroma is resampled: bilinear averages when
        // subsampling and keeps libswscale's fast unscaled YUV->RGB paths when upsampling.
        context_ = sws_getContext(width, height, src.format, width, height, dst.format, SWS_BILINEAR, nullptr,
                                  nullptr, nullptr);
        if (!context_) {
            src_format_ = AV_PIX_FMT_NONE;
            return CodecStatus::failure(CodecError::Backend,
                                        std::string("libswscale cannot convert ") +
                                            (av_get_pix_fmt_name(src.format) ? av_get_pix_fmt_name(src.format) : "?") +
                                            " to " +
                                            (av_get_pix_fmt_name(dst.format) ? av_get_pix_fmt_name(dst.format) : "?") +
                                            " at " + std::to_string(width) + "x" + std::to_string(height));
        }
        const int* coefficients = sws_getCoefficients(sws_matrix(yuv.matrix));
        const int src_range = is_rgb(src.format) ? 1 : int(yuv.full_range);
        const int dst_range = is_rgb(dst.format) ? 1 : int(yuv.full_range);
        // Returns -1 for conversions where it has no effect (RGB to RGB); that is fine.
        sws_setColorspaceDetails(context_, coefficients, src_range, coefficients, dst_range, 0, 1 << 16, 1 << 16);
        src_format_ = src.format;
        dst_format_ = dst.format;
        width_ = width;
        height_ = height;
        yuv_ = yuv;
    }
    uint8_t* const dst_planes[4] = {const_cast<uint8_t*>(dst.data[0]), const_cast<uint8_t*>(dst.data[1]),
                                    const_cast<uint8_t*>(dst.data[2]), const_cast<uint8_t*>(dst.data[3])};
    const int rows = sws_scale(context_, src.data, src.strides, 0, height, dst_planes, dst.strides);
    if (rows != height)
        return CodecStatus::failure(CodecError::Backend, "libswscale converted " + std::to_string(rows) + " of " +
                                                             std::to_string(height) + " rows");
    return CodecStatus::success();
}

}  // namespace anarchy::video
