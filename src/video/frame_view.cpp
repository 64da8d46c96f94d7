#include "video/frame_view.h"

#include <string>

namespace anarchy::video {

const char* to_string(PixelFormat format) {
    switch (format) {
        case PixelFormat::Bgra8: return "bgra8";
        case PixelFormat::Rgba8: return "rgba8";
        case PixelFormat::I420: return "i420";
    }
    return "unknown";
}

FrameView FrameView::packed(PixelFormat format, const uint8_t* pixels, uint32_t width, uint32_t height,
                            uint32_t stride) {
    FrameView v;
    v.width = width;
    v.height = height;
    v.format = format;
    v.planes[0] = pixels;
    v.strides[0] = stride ? stride : width * 4;
    return v;
}

FrameView FrameView::i420(const uint8_t* y, uint32_t y_stride, const uint8_t* u, uint32_t u_stride, const uint8_t* v,
                          uint32_t v_stride, uint32_t width, uint32_t height) {
    FrameView f;
    f.width = width;
    f.height = height;
    f.format = PixelFormat::I420;
    f.planes[0] = y;
    f.planes[1] = u;
    f.planes[2] = v;
    f.strides[0] = y_stride;
    f.strides[1] = u_stride;
    f.strides[2] = v_stride;
    return f;
}

CodecStatus check_frame_view(const FrameView& frame) {
    // Vulkan's largest 2D image is 16384 on current hardware; anything bigger is a caller bug, and the cap keeps
    // every size product far from overflow.
    constexpr uint32_t kMaxExtent = 16384;
    if (frame.width == 0 || frame.height == 0 || frame.width > kMaxExtent || frame.height > kMaxExtent)
        return CodecStatus::failure(CodecError::InvalidArgument, "frame size " + std::to_string(frame.width) + "x" +
                                                                     std::to_string(frame.height) +
                                                                     " is outside 1..16384");
    switch (frame.format) {
        case PixelFormat::Bgra8:
        case PixelFormat::Rgba8:
            if (!frame.planes[0] || frame.strides[0] < frame.width * 4)
                return CodecStatus::failure(CodecError::InvalidArgument,
                                            std::string(to_string(frame.format)) + " frame without pixels or with a stride below width*4");
            return CodecStatus::success();
        case PixelFormat::I420: {
            const uint32_t cw = chroma_extent(frame.width);
            if (!frame.planes[0] || !frame.planes[1] || !frame.planes[2])
                return CodecStatus::failure(CodecError::InvalidArgument, "i420 frame with a missing plane");
            if (frame.strides[0] < frame.width || frame.strides[1] < cw || frame.strides[2] < cw)
                return CodecStatus::failure(CodecError::InvalidArgument, "i420 frame with a stride below its plane width");
            return CodecStatus::success();
        }
    }
    return CodecStatus::failure(CodecError::InvalidArgument, "unknown pixel format");
}

}  // namespace anarchy::video
