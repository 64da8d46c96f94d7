#include "video/av_encoder.h"

extern "C" {
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
}

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "common/log.h"
#include "video/av_log_bridge.h"
#include "video/color_converter.h"
#include "video/frame_packet_header.h"
#include "video/task_pool.h"

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
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;

// Replicates the last real column and row into the padding of an even-sized plane, so the encoder sees a
// continuation of the picture instead of an edge it has to spend bits on.
void pad_plane(uint8_t* data, int stride, int width, int height, int coded_width, int coded_height) {
    if (coded_width > width)
        for (int y = 0; y < height; ++y) {
            uint8_t* row = data + size_t(y) * stride;
            std::memset(row + width, row[width - 1], size_t(coded_width - width));
        }
    for (int y = height; y < coded_height; ++y)
        std::memcpy(data + size_t(y) * stride, data + size_t(height - 1) * stride, size_t(coded_width));
}

CodecContextPtr open_context(const AvEncoderBackend& backend, const AvEncoderConfig& config, std::string* error) {
    install_av_log_bridge();
    const AVCodec* codec = avcodec_find_encoder_by_name(backend.name);
    if (!codec) {
        *error = std::string("not built into this libavcodec (") + LIBAVCODEC_IDENT + ")";
        return nullptr;
    }
    CodecContextPtr ctx(avcodec_alloc_context3(codec));
    if (!ctx) {
        *error = "out of memory";
        return nullptr;
    }
    const int fps = int(std::max<uint32_t>(config.fps, 1));
    ctx->width = int(config.coded_width);
    ctx->height = int(config.coded_height);
    ctx->pix_fmt = AV_PIX_FMT_YUV420P;
    ctx->time_base = AVRational{1, fps};
    ctx->framerate = AVRational{fps, 1};
    ctx->max_b_frames = 0;
    ctx->gop_size = int(config.keyframe_interval);
    if (config.quality) {
        ctx->bit_rate = 0;
        ctx->rc_max_rate = int64_t(config.bitrate_bps);
    } else {
        ctx->bit_rate = int64_t(config.bitrate_bps);
        ctx->rc_max_rate = int64_t(config.bitrate_bps);
    }
    // One frame of VBV: no frame may take longer than a frame interval to send at the target rate, so a big frame
    // never queues behind the link.
    ctx->rc_buffer_size = int(std::min<uint64_t>(config.bitrate_bps / uint64_t(fps), INT32_MAX));
    // Frames come from sRGB swapchain images, converted with the BT.601 matrix to limited range with each chroma
    // sample the average of a 2x2 block (the server's compute shader and ColorConverter both do that). Tagging it
    // lets any decoder, ours or a hardware one, convert back the same way.
    ctx->colorspace = AVCOL_SPC_SMPTE170M;
    ctx->color_range = AVCOL_RANGE_MPEG;
    ctx->color_primaries = AVCOL_PRI_BT709;
    ctx->color_trc = AVCOL_TRC_IEC61966_2_1;
    ctx->chroma_sample_location = AVCHROMA_LOC_CENTER;
    ctx->thread_count = int(config.threads);

    AVDictionary* options = nullptr;
    backend.configure(config, ctx.get(), &options);
    AvLogCapture capture;
    const int r = avcodec_open2(ctx.get(), codec, &options);
    for (const AVDictionaryEntry* e = nullptr; (e = av_dict_get(options, "", e, AV_DICT_IGNORE_SUFFIX));)
        LOG_DEBUG("video", "%s ignored option %s=%s", backend.name, e->key, e->value);
    av_dict_free(&options);
    if (r < 0) {
        *error = capture.explain(r);
        return nullptr;
    }
    return ctx;
}

class AvEncoder final : public Encoder {
public:
    AvEncoder(const AvEncoderBackend& backend, CodecContextPtr ctx, uint32_t width, uint32_t height)
        : Encoder(backend.codec, width, height), backend_(backend), ctx_(std::move(ctx)) {}

    CodecStatus init() {
        frame_.reset(av_frame_alloc());
        packet_.reset(av_packet_alloc());
        if (!frame_ || !packet_) return CodecStatus::failure(CodecError::Backend, "out of memory");
        describe_picture(*frame_);
        if (const int r = av_frame_get_buffer(frame_.get(), 0); r < 0)
            return CodecStatus::failure(CodecError::Backend, "cannot allocate a frame: " + av_error_text(r));
        return CodecStatus::success();
    }

    const char* name() const override { return backend_.name; }
    bool is_hardware() const override { return backend_.hardware; }
    PixelFormat input_format() const override { return PixelFormat::I420; }
    void request_keyframe() override { keyframe_requested_ = true; }
    uint32_t bitrate_kbps() const override { return uint32_t(ctx_->bit_rate / 1000); }
    bool set_bitrate_kbps(uint32_t kbps) override {
        // Constant quality (bit_rate 0) has no target to move; the VBV stays one frame long at the new rate.
        if (!backend_.live_bitrate || ctx_->bit_rate == 0 || kbps == 0) return false;
        const int64_t bps = int64_t(kbps) * 1000;
        ctx_->bit_rate = bps;
        ctx_->rc_max_rate = bps;
        ctx_->rc_buffer_size = int(std::min<int64_t>(bps / std::max(ctx_->framerate.num, 1), INT32_MAX));
        return true;
    }

protected:
    CodecStatus encode_frame(const FrameView& frame, EncodedFrame& out) override {
        AVFrame* input = borrow_frame(frame);
        if (!input) {
            if (CodecStatus s = fill_frame(frame); !s) return s;
            input = frame_.get();
        }
        input->pts = next_pts_++;
        input->pict_type = keyframe_requested_ ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;

        AvLogCapture capture;
        if (const int r = avcodec_send_frame(ctx_.get(), input); r < 0)
            return CodecStatus::failure(CodecError::Backend,
                                        std::string(backend_.name) + " rejected a frame: " + capture.explain(r));
        out.bytes.resize(kFramePacketHeaderBytes);
        int packets = 0;
        for (;;) {
            const int r = avcodec_receive_packet(ctx_.get(), packet_.get());
            if (r == AVERROR(EAGAIN)) break;
            if (r < 0)
                return CodecStatus::failure(CodecError::Backend,
                                            std::string(backend_.name) + " failed to encode: " + capture.explain(r));
            // A backend never returns two packets for one frame when configured as here; if one ever does,
            // concatenated packets still decode as one access unit's worth of data in order.
            out.bytes.insert(out.bytes.end(), packet_->data, packet_->data + packet_->size);
            out.keyframe = out.keyframe || (packet_->flags & AV_PKT_FLAG_KEY);
            ++packets;
            av_packet_unref(packet_.get());
        }
        if (packets == 0)
            return CodecStatus::failure(CodecError::Backend,
                                        std::string(backend_.name) +
                                            " kept the frame back instead of returning its packet (not low latency)");
        FramePacketHeader h;
        h.codec = codec();
        h.flags = out.keyframe ? kFramePacketKeyframe : 0;
        h.width = width();
        h.height = height();
        h.sequence = sequence_;
        h.reference = out.keyframe ? 0 : sequence_ - 1;  // every P-frame refers back to the one before it
        h.row_count = height();
        h.payload_bytes = static_cast<uint32_t>(out.bytes.size() - kFramePacketHeaderBytes);
        write_frame_packet_header(h, out.bytes.data());
        ++sequence_;
        if (keyframe_requested_ && out.keyframe) keyframe_requested_ = false;
        return CodecStatus::success();
    }

private:
    // What every frame handed to the encoder says of itself: I420 of the coded size with the context's colour tags.
    void describe_picture(AVFrame& f) const {
        f.format = AV_PIX_FMT_YUV420P;
        f.width = ctx_->width;
        f.height = ctx_->height;
        f.colorspace = ctx_->colorspace;
        f.color_range = ctx_->color_range;
        f.color_primaries = ctx_->color_primaries;
        f.color_trc = ctx_->color_trc;
        f.chroma_location = ctx_->chroma_sample_location;
    }

    // An I420 frame of the coded size, for a backend that copies its input during the call: borrowed_ pointing at
    // the caller's planes (the capture's mapped memory on the server), which saves a copy of the whole picture on
    // the encoding path (6 MB at 2560x1600). nullptr where the frame must be copied (or converted, or padded).
    AVFrame* borrow_frame(const FrameView& frame) {
        if (!backend_.borrows_input || frame.format != PixelFormat::I420 || int(frame.width) != ctx_->width ||
            int(frame.height) != ctx_->height)
            return nullptr;
        if (!borrowed_) {
            borrowed_.reset(av_frame_alloc());
            // libavcodec copies a frame without buffers into one of its own on avcodec_send_frame: a buffer that
            // owns nothing makes it take a reference instead (the planes outlive the call, which is all it needs).
            if (borrowed_)
                borrowed_->buf[0] = av_buffer_create(reinterpret_cast<uint8_t*>(this), 1, [](void*, uint8_t*) {},
                                                     nullptr, AV_BUFFER_FLAG_READONLY);
            if (!borrowed_ || !borrowed_->buf[0]) {
                borrowed_.reset();
                return nullptr;
            }
            describe_picture(*borrowed_);
        }
        for (int p = 0; p < 3; ++p) {
            borrowed_->data[p] = const_cast<uint8_t*>(frame.planes[p]);
            borrowed_->linesize[p] = int(frame.strides[p]);
        }
        return borrowed_.get();
    }

    // Writes the caller's frame into frame_ as I420 of the coded size, padding by edge replication.
    CodecStatus fill_frame(const FrameView& frame) {
        if (const int r = av_frame_make_writable(frame_.get()); r < 0)
            return CodecStatus::failure(CodecError::Backend, "cannot get a writable frame: " + av_error_text(r));
        const int w = int(width()), h = int(height());
        if (frame.format == PixelFormat::I420) {
            av_image_copy_plane(frame_->data[0], frame_->linesize[0], frame.planes[0], int(frame.strides[0]), w, h);
            const int cw = int(chroma_extent(width())), ch = int(chroma_extent(height()));
            for (int p = 1; p < 3; ++p)
                av_image_copy_plane(frame_->data[p], frame_->linesize[p], frame.planes[p], int(frame.strides[p]), cw, ch);
        } else {
            PlaneRefs src = plane_refs(frame);
            int convert_w = w, convert_h = h;
            if (((w | h) & 1) || w % kSwsRowAlign != 0) {
                // An odd size would make libswscale map chroma 97->49 instead of 2:1, shifting every sample, and
                // its SIMD input readers may run past a row the caller sized exactly. Copy into a padded buffer of
                // the coded size first.
                convert_w = ctx_->width;
                convert_h = ctx_->height;
                pad_packed_rgb(frame, convert_w, convert_h);
                src.data[0] = padded_rgb_.data();
                src.strides[0] = int(sws_aligned(size_t(convert_w)) * 4);
            }
            PlaneRefs dst;
            dst.format = AV_PIX_FMT_YUV420P;
            for (int p = 0; p < 3; ++p) {
                dst.data[p] = frame_->data[p];
                dst.strides[p] = frame_->linesize[p];
            }
            if (CodecStatus s = converter_.convert(src, dst, convert_w, convert_h, YuvEncoding{}); !s) return s;
            if (convert_w != w || convert_h != h) return CodecStatus::success();  // coded size already: no padding left
        }
        pad_plane(frame_->data[0], frame_->linesize[0], w, h, ctx_->width, ctx_->height);
        for (int p = 1; p < 3; ++p)
            pad_plane(frame_->data[p], frame_->linesize[p], int(chroma_extent(width())), int(chroma_extent(height())),
                      ctx_->width / 2, ctx_->height / 2);
        return CodecStatus::success();
    }

    // Copies a packed RGB frame into padded_rgb_ at coded_w x coded_h, repeating the last column and row.
    void pad_packed_rgb(const FrameView& frame, int coded_w, int coded_h) {
        const size_t row = size_t(frame.width) * 4, coded_row = size_t(coded_w) * 4;
        const size_t stride = sws_aligned(size_t(coded_w)) * 4;
        padded_rgb_.resize(stride * size_t(coded_h) + kSwsSlack);
        for (int y = 0; y < coded_h; ++y) {
            const uint8_t* src = frame.planes[0] + size_t(std::min<uint32_t>(y, frame.height - 1)) * frame.strides[0];
            uint8_t* dst = padded_rgb_.data() + y * stride;
            std::memcpy(dst, src, row);
            for (size_t x = row; x < coded_row; x += 4) std::memcpy(dst + x, src + row - 4, 4);
        }
    }

    const AvEncoderBackend& backend_;
    CodecContextPtr ctx_;
    std::unique_ptr<AVFrame, FrameDeleter> frame_;
    std::unique_ptr<AVFrame, FrameDeleter> borrowed_;  // see borrow_frame
    std::unique_ptr<AVPacket, PacketDeleter> packet_;
    ColorConverter converter_;
    std::vector<uint8_t> padded_rgb_;  // odd-sized RGB input, padded to the coded size
    int64_t next_pts_ = 0;
    uint32_t sequence_ = 0;  // of the next packet
    bool keyframe_requested_ = false;
};

uint32_t round_up_even(uint32_t v) { return v + (v & 1); }

}  // namespace

AvEncoderConfig make_av_encoder_config(const EncoderSettings& settings) {
    AvEncoderConfig c;
    c.codec = settings.codec;
    c.coded_width = round_up_even(settings.width);
    c.coded_height = round_up_even(settings.height);
    c.fps = std::max<uint32_t>(settings.fps, 1);
    if (settings.bitrate_kbps)
        c.bitrate_bps = uint64_t(settings.bitrate_kbps) * 1000;
    else if (!settings.quality)
        c.bitrate_bps = uint64_t(automatic_bitrate_kbps(settings.codec, settings.width, settings.height, c.fps)) * 1000;
    c.quality = settings.quality;
    const uint32_t two_seconds = 2 * c.fps;
    c.intra_refresh = settings.keyframe_interval && *settings.keyframe_interval == 0;
    // With intra refresh the interval is the refresh period: a full sweep each second.
    c.keyframe_interval = c.intra_refresh ? c.fps : settings.keyframe_interval.value_or(two_seconds);
    c.threads = settings.threads ? settings.threads : default_codec_threads();
    c.frame_width = c.coded_width;
    c.frame_height = settings.frame_height ? round_up_even(settings.frame_height) : c.coded_height;
    return c;
}

std::unique_ptr<Encoder> open_av_encoder(const AvEncoderBackend& backend, const AvEncoderConfig& config,
                                         uint32_t width, uint32_t height, std::string* error) {
    CodecContextPtr ctx = open_context(backend, config, error);
    if (!ctx) return nullptr;
    auto encoder = std::make_unique<AvEncoder>(backend, std::move(ctx), width, height);
    if (CodecStatus s = encoder->init(); !s) {
        *error = s.message();
        return nullptr;
    }
    return encoder;
}

std::string probe_av_encoder_latency(const AvEncoderBackend& backend, const AvEncoderConfig& config) {
    static std::mutex mu;
    static std::map<std::string, std::string> verdicts;  // backend name -> "" (passes) or why it fails
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = verdicts.find(backend.name); it != verdicts.end()) return it->second;

    // A small frame is enough to see whether the first packet comes back at once.
    AvEncoderConfig probe = config;
    probe.coded_width = 128;
    probe.coded_height = 128;
    std::string error;
    CodecContextPtr ctx = open_context(backend, probe, &error);
    if (!ctx) return "probe failed to open: " + error;  // not cached: may depend on the settings

    std::string verdict;
    AVFrame* frame = av_frame_alloc();
    AVPacket* packet = av_packet_alloc();
    frame->format = AV_PIX_FMT_YUV420P;
    frame->width = ctx->width;
    frame->height = ctx->height;
    if (!frame || !packet || av_frame_get_buffer(frame, 0) < 0) {
        verdict = "probe ran out of memory";
    } else {
        for (int p = 0; p < 3; ++p)
            std::memset(frame->data[p], 128, size_t(frame->linesize[p]) * (p ? ctx->height / 2 : ctx->height));
        frame->pts = 0;
        int r = avcodec_send_frame(ctx.get(), frame);
        if (r >= 0) r = avcodec_receive_packet(ctx.get(), packet);
        if (r == AVERROR(EAGAIN))
            verdict = "returns no packet for a frame until later frames arrive (adds at least a frame of latency)";
        else if (r < 0)
            verdict = "probe frame failed: " + av_error_text(r);
        // Drain so the library shuts down cleanly.
        if (avcodec_send_frame(ctx.get(), nullptr) >= 0)
            while (avcodec_receive_packet(ctx.get(), packet) >= 0) av_packet_unref(packet);
    }
    av_packet_free(&packet);
    av_frame_free(&frame);
    verdicts[backend.name] = verdict;
    return verdict;
}

}  // namespace anarchy::video
