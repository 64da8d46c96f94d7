#include "video/av_decoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "common/log.h"
#include "video/av_log_bridge.h"
#include "video/frame_packet_header.h"
#include "video/task_pool.h"
#include "video/yuv_to_bgra.h"

namespace anarchy::video {
namespace {

struct CodecContextDeleter {
    void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
    void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct BufferDeleter {
    void operator()(AVBufferRef* b) const { av_buffer_unref(&b); }
};
using BufferPtr = std::unique_ptr<AVBufferRef, BufferDeleter>;

bool is_keyframe(const AVFrame* frame) {
#ifdef AV_FRAME_FLAG_KEY
    return frame->flags & AV_FRAME_FLAG_KEY;
#else
    return frame->key_frame;
#endif
}

std::string with_log(const std::string& what, const AvLogCapture& capture) {
    return capture.text().empty() ? what : what + ": " + capture.text();
}

class AvDecoder final : public Decoder {
public:
    AvDecoder(CodecKind codec, uint32_t width, uint32_t height) : Decoder(codec, width, height) {}

    // Opens the codec; device is null for software decoding.
    bool open(const AVCodec* codec, AVHWDeviceType hw_type, BufferPtr device, uint32_t threads, std::string* error) {
        ctx_.reset(avcodec_alloc_context3(codec));
        frame_.reset(av_frame_alloc());
        sw_frame_.reset(av_frame_alloc());
        packet_.reset(av_packet_alloc());
        if (!ctx_ || !frame_ || !sw_frame_ || !packet_) {
            *error = "out of memory";
            return false;
        }
        name_ = codec->name;
        threads_ = threads;
        if (!to_bgra_) to_bgra_ = std::make_unique<YuvToBgra>(threads);
        hw_name_.clear();
        hw_format_ = AV_PIX_FMT_NONE;
        hw_refused_ = false;
        // Output the picture of each packet at once: no reorder delay, and slice threads only, since frame threads
        // hold back a frame per thread.
        ctx_->flags |= AV_CODEC_FLAG_LOW_DELAY;
        ctx_->flags2 |= AV_CODEC_FLAG2_FAST;
        ctx_->thread_type = FF_THREAD_SLICE;
        ctx_->thread_count = int(threads);
        // Treat bitstream damage as an error instead of concealing it: a concealed picture would be shown as if it
        // were right, where the client should ask for a key frame instead.
        ctx_->err_recognition = AV_EF_EXPLODE | AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER;
        ctx_->opaque = this;
        if (device) {
            for (int i = 0;; ++i) {
                const AVCodecHWConfig* config = avcodec_get_hw_config(codec, i);
                if (!config) break;
                if (config->device_type == hw_type && (config->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX)) {
                    hw_format_ = config->pix_fmt;
                    break;
                }
            }
            ctx_->hw_device_ctx = av_buffer_ref(device.get());
            ctx_->get_format = pick_format;
            ctx_->thread_count = 1;
            hw_name_ = av_hwdevice_get_type_name(hw_type);
            device_name_ = hw_name_;
            name_ = std::string(codec->name) + " (" + hw_name_ + ")";
        }
        AvLogCapture capture;
        if (const int r = avcodec_open2(ctx_.get(), codec, nullptr); r < 0) {
            *error = capture.explain(r);
            return false;
        }
        return true;
    }

    const char* name() const override { return name_.c_str(); }
    const char* hardware_name() const override { return hw_name_.c_str(); }

protected:
    CodecStatus decode_packet(const uint8_t* data, size_t size, DecodedFrame& out) override {
        out.bgra.resize(size_t(width()) * height() * 4);
        return decode_to(data, size, PictureTarget{out.bgra.data(), size_t(width()) * 4}, out);
    }

    // Converts straight into the caller's picture (a window's buffer): no picture of our own, no copy of it.
    CodecStatus decode_packet_into(const uint8_t* data, size_t size, const PictureTarget& target,
                                   DecodedFrame& out) override {
        return decode_to(data, size, target, out);
    }

    void reset_after_error() override {
        have_reference_ = false;
        if (ctx_) avcodec_flush_buffers(ctx_.get());
    }

private:
    CodecStatus decode_to(const uint8_t* data, size_t size, const PictureTarget& target, DecodedFrame& out) {
        FramePacketHeader h;
        if (CodecStatus s = read_video_packet_header(data, size, codec(), width(), height(), have_reference_,
                                                     last_sequence_, h);
            !s)
            return s;
        const uint8_t* payload = data + kFramePacketHeaderBytes;
        CodecStatus s = decode_payload(payload, h.payload_bytes, target);
        if (!s && hw_refused_ && !pictures_decoded_) {
            // The device took the stream at first and then could not decode it (libavcodec's native AV1 decoder,
            // for one, has no software path to fall back on). Start over in software with this packet.
            const std::string why = s.message();
            if (switch_to_software()) {
                LOG_WARN("video: %s; decoding in software with %s", why.c_str(), name_.c_str());
                s = decode_payload(payload, h.payload_bytes, target);
            }
        }
        if (!s) return s;
        ++pictures_decoded_;
        have_reference_ = true;
        last_sequence_ = h.sequence;
        out.keyframe = h.keyframe();
        return CodecStatus::success();
    }

    // Decodes one access unit into target (width() x height() BGRA).
    CodecStatus decode_payload(const uint8_t* data, size_t size, const PictureTarget& target) {
        av_packet_unref(packet_.get());
        if (av_new_packet(packet_.get(), int(size)) < 0) return CodecStatus::failure(CodecError::Backend, "out of memory");
        std::memcpy(packet_->data, data, size);

        AvLogCapture capture;
        int r = avcodec_send_packet(ctx_.get(), packet_.get());
        if (r < 0) return decode_error("rejected the packet", r, capture);
        int pictures = 0;
        for (;;) {
            r = avcodec_receive_frame(ctx_.get(), pictures ? sw_frame_.get() : frame_.get());
            if (r == AVERROR(EAGAIN)) break;
            if (r < 0) return decode_error("failed", r, capture);
            // Our encoders put one picture in a packet; a second one means a stream from somewhere else.
            if (++pictures > 1) return corrupt("packet holds more than one picture");
        }
        if (pictures == 0)
            return corrupt(with_log(name_ + " produced no picture for the packet (damaged, or not following on "
                                            "from the frames before it)",
                                    capture));
        AVFrame* picture = frame_.get();
        if (picture->decode_error_flags || (picture->flags & AV_FRAME_FLAG_CORRUPT))
            return corrupt(with_log(name_ + " decoded a damaged picture", capture));
        if (!pictures_decoded_ && !is_keyframe(picture))
            return CodecStatus::failure(CodecError::MissingReference, "stream does not start with a key frame");
        const uint32_t w = width(), h = height();
        const bool padded_size = uint32_t(picture->width) == w + (w & 1) && uint32_t(picture->height) == h + (h & 1);
        const bool exact_size = uint32_t(picture->width) == w && uint32_t(picture->height) == h;
        if (!padded_size && !exact_size)
            return CodecStatus::failure(CodecError::InvalidArgument,
                                        "stream is " + std::to_string(picture->width) + "x" +
                                            std::to_string(picture->height) + " but the decoder was made for " +
                                            std::to_string(w) + "x" + std::to_string(h));
        if (hw_format_ != AV_PIX_FMT_NONE && picture->format == hw_format_) {
            av_frame_unref(sw_frame_.get());
            if (const int t = av_hwframe_transfer_data(sw_frame_.get(), picture, 0); t < 0)
                return CodecStatus::failure(CodecError::Backend,
                                            "cannot read the picture back from " + hw_name_ + ": " + av_error_text(t));
            sw_frame_->colorspace = picture->colorspace;
            sw_frame_->color_range = picture->color_range;
            picture = sw_frame_.get();
        }
        PlaneRefs src;
        src.format = AVPixelFormat(picture->format);
        for (int p = 0; p < 4; ++p) {
            src.data[p] = picture->data[p];
            src.strides[p] = picture->linesize[p];
        }
        YuvEncoding yuv;
        if (picture->colorspace != AVCOL_SPC_UNSPECIFIED) yuv.matrix = picture->colorspace;
        yuv.full_range = picture->color_range == AVCOL_RANGE_JPEG;
        // The picture is the padded even size or the exact one; only its top-left w x h is kept.
        return to_bgra_->convert(src, picture->width, picture->height, yuv, target.pixels, w, h, target.stride);
    }

    CodecStatus decode_error(const char* what, int r, const AvLogCapture& capture) {
        const CodecError kind =
            r == AVERROR_INVALIDDATA || r == AVERROR(EINVAL) ? CodecError::CorruptData : CodecError::Backend;
        return CodecStatus::failure(kind, name_ + " " + what + ": " + capture.explain(r));
    }

    bool switch_to_software() {
        const std::string refused = device_name_;
        for (const char* name : av_software_decoders(codec())) {
            const AVCodec* software = avcodec_find_decoder_by_name(name);
            std::string error;
            if (software && open(software, AV_HWDEVICE_TYPE_NONE, nullptr, threads_, &error)) {
                name_ = std::string(name) + " (software; " + refused + " could not decode the stream)";
                return true;
            }
        }
        return false;
    }

    // libavcodec offers the formats it can decode this stream to; the hardware one is missing when the device
    // cannot decode this profile or size, and then software decoding takes over.
    static AVPixelFormat pick_format(AVCodecContext* ctx, const AVPixelFormat* formats) {
        auto* self = static_cast<AvDecoder*>(ctx->opaque);
        for (const AVPixelFormat* f = formats; *f != AV_PIX_FMT_NONE; ++f)
            if (*f == self->hw_format_) return *f;
        for (const AVPixelFormat* f = formats; *f != AV_PIX_FMT_NONE; ++f) {
            const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(*f);
            if (d && !(d->flags & AV_PIX_FMT_FLAG_HWACCEL)) {
                if (!self->hw_refused_ && !self->hw_name_.empty()) {
                    LOG_WARN("video: %s cannot decode this stream on %s; decoding in software", ctx->codec->name,
                             self->hw_name_.c_str());
                    self->name_ = std::string(ctx->codec->name) + " (software; " + self->device_name_ +
                                  " could not decode the stream)";
                    self->hw_refused_ = true;
                    self->hw_name_.clear();
                }
                return *f;
            }
        }
        return AV_PIX_FMT_NONE;
    }

    std::unique_ptr<AVCodecContext, CodecContextDeleter> ctx_;
    std::unique_ptr<AVFrame, FrameDeleter> frame_;
    std::unique_ptr<AVFrame, FrameDeleter> sw_frame_;
    std::unique_ptr<AVPacket, PacketDeleter> packet_;
    // On the decoder's threads: a 2560x1600 picture takes 2.4 ms on one core of the H200 host; a band's decoder
    // (banded_codec.h) converts on its one thread, beside the other bands'.
    std::unique_ptr<YuvToBgra> to_bgra_;
    AVPixelFormat hw_format_ = AV_PIX_FMT_NONE;
    std::string name_;
    uint32_t threads_ = 1;     // slice threads of software decoding (also after a switch from hardware)
    std::string hw_name_;      // empty while decoding in software
    std::string device_name_;  // the hardware device asked for at creation, kept after a switch to software
    bool hw_refused_ = false;  // the device was offered the stream and could not take it
    uint64_t pictures_decoded_ = 0;
    bool have_reference_ = false;  // a key frame and every frame since were decoded; last_sequence_ is valid
    uint32_t last_sequence_ = 0;
};

}  // namespace

std::vector<const char*> av_software_decoders(CodecKind codec) {
    switch (codec) {
        case CodecKind::H264: return {"h264"};
        case CodecKind::Hevc: return {"hevc"};
        // libavcodec's own av1 decoder only works through a hardware device.
        case CodecKind::Av1: return {"libdav1d", "libaom-av1"};
        default: return {};
    }
}

const char* av_hardware_capable_decoder(CodecKind codec) {
    switch (codec) {
        case CodecKind::H264: return "h264";
        case CodecKind::Hevc: return "hevc";
        case CodecKind::Av1: return "av1";
        default: return nullptr;
    }
}

std::unique_ptr<Decoder> open_av_decoder(CodecKind codec, uint32_t width, uint32_t height, const char* decoder_name,
                                         AVHWDeviceType hw_type, uint32_t threads, std::string* error) {
    install_av_log_bridge();
    const AVCodec* av_codec = avcodec_find_decoder_by_name(decoder_name);
    if (!av_codec) {
        *error = std::string("not built into this libavcodec (") + LIBAVCODEC_IDENT + ")";
        return nullptr;
    }
    BufferPtr device;
    if (hw_type != AV_HWDEVICE_TYPE_NONE) {
        bool supported = false;
        for (int i = 0;; ++i) {
            const AVCodecHWConfig* config = avcodec_get_hw_config(av_codec, i);
            if (!config) break;
            supported |= config->device_type == hw_type && (config->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX);
        }
        if (!supported) {
            *error = std::string(decoder_name) + " has no " + av_hwdevice_get_type_name(hw_type) +
                     " support in this libavcodec";
            return nullptr;
        }
        AVBufferRef* raw = nullptr;
        AvLogCapture capture;
        if (const int r = av_hwdevice_ctx_create(&raw, hw_type, nullptr, nullptr, 0); r < 0) {
            *error = capture.explain(r);
            return nullptr;
        }
        device.reset(raw);
    }
    auto decoder = std::make_unique<AvDecoder>(codec, width, height);
    if (!decoder->open(av_codec, hw_type, std::move(device), threads ? threads : default_codec_threads(), error))
        return nullptr;
    return decoder;
}

}  // namespace anarchy::video
