// write_h264_pcm_stream (the video_decode program's stream) without a GPU: the parameter sets bit for bit as
// worked out by hand from H.264 7.3.2, no start code emulated inside a NAL unit, and libavcodec's H.264 decoder
// (with its strictest error checks) giving back exactly the samples written.
#include "h264_pcm_stream.h"

#include <gtest/gtest.h>

extern "C" {
#include <libavcodec/avcodec.h>
}

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace anarchy::testprog {
namespace {

using Bytes = std::vector<uint8_t>;

Yuv420Picture make_picture(uint32_t width, uint32_t height, uint8_t (*sample)(uint32_t x, uint32_t y, uint32_t plane)) {
    Yuv420Picture picture;
    picture.width = width;
    picture.height = height;
    picture.y.resize(size_t(width) * height);
    picture.cb.resize(picture.y.size() / 4);
    picture.cr.resize(picture.y.size() / 4);
    for (uint32_t y = 0; y < height; ++y)
        for (uint32_t x = 0; x < width; ++x) picture.y[size_t(y) * width + x] = sample(x, y, 0);
    for (uint32_t y = 0; y < height / 2; ++y) {
        for (uint32_t x = 0; x < width / 2; ++x) {
            picture.cb[size_t(y) * width / 2 + x] = sample(x, y, 1);
            picture.cr[size_t(y) * width / 2 + x] = sample(x, y, 2);
        }
    }
    return picture;
}

uint8_t varied_sample(uint32_t x, uint32_t y, uint32_t plane) {
    uint32_t h = (x * 73856093u) ^ (y * 19349663u) ^ (plane * 83492791u);
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    return uint8_t(1 + h % 255);
}

// Mostly zeros and small values: the samples alone would emulate start codes everywhere.
uint8_t emulating_sample(uint32_t x, uint32_t y, uint32_t plane) {
    return (x + 3 * y + plane) % 7 == 0 ? uint8_t((x + y) % 4) : 0;
}

H264PcmParameters parameters_for(const Yuv420Picture& picture) {
    H264PcmParameters parameters;
    parameters.width_in_mbs = picture.width / 16;
    parameters.height_in_mbs = picture.height / 16;
    return parameters;
}

/// Decodes an Annex B stream of one picture; the planes tightly packed as in Yuv420Picture.
Yuv420Picture decode_with_libavcodec(const Bytes& stream) {
    const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_H264);
    if (!codec) throw std::runtime_error("libavcodec has no H.264 decoder");
    std::unique_ptr<AVCodecContext, void (*)(AVCodecContext*)> context(
        avcodec_alloc_context3(codec), [](AVCodecContext* c) { avcodec_free_context(&c); });
    context->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER | AV_EF_EXPLODE | AV_EF_COMPLIANT |
                               AV_EF_AGGRESSIVE;
    if (avcodec_open2(context.get(), codec, nullptr) < 0) throw std::runtime_error("avcodec_open2 failed");
    std::unique_ptr<AVPacket, void (*)(AVPacket*)> packet(av_packet_alloc(), [](AVPacket* p) { av_packet_free(&p); });
    if (av_new_packet(packet.get(), int(stream.size())) < 0) throw std::runtime_error("av_new_packet failed");
    std::copy(stream.begin(), stream.end(), packet->data);
    if (avcodec_send_packet(context.get(), packet.get()) < 0)
        throw std::runtime_error("the decoder refused the stream");
    avcodec_send_packet(context.get(), nullptr);  // drain
    std::unique_ptr<AVFrame, void (*)(AVFrame*)> frame(av_frame_alloc(), [](AVFrame* f) { av_frame_free(&f); });
    if (avcodec_receive_frame(context.get(), frame.get()) < 0) throw std::runtime_error("no picture decoded");
    if (frame->format != AV_PIX_FMT_YUV420P) throw std::runtime_error("not 8-bit 4:2:0");

    Yuv420Picture out;
    out.width = uint32_t(frame->width);
    out.height = uint32_t(frame->height);
    auto plane = [&](std::vector<uint8_t>& dst, int index, uint32_t w, uint32_t h) {
        for (uint32_t y = 0; y < h; ++y) {
            const uint8_t* row = frame->data[index] + size_t(y) * frame->linesize[index];
            dst.insert(dst.end(), row, row + w);
        }
    };
    plane(out.y, 0, out.width, out.height);
    plane(out.cb, 1, out.width / 2, out.height / 2);
    plane(out.cr, 2, out.width / 2, out.height / 2);
    return out;
}

TEST(H264PcmStream, ParameterSetsAreTheHandWorkedBits) {
    const Yuv420Picture picture = make_picture(128, 64, varied_sample);
    const H264PcmStream stream = write_h264_pcm_stream(picture, parameters_for(picture));
    // profile 77, constraint flags 0, level 41; then ue(0) sps id, ue(0) log2_max_frame_num_minus4, ue(2) POC type,
    // ue(1) max_num_ref_frames, 0 gaps, ue(7) width-1, ue(3) height-1, 1 frame_mbs_only, 1 direct_8x8, 0 crop,
    // 0 VUI, stop bit: 1 1 011 010 0 0001000 00100 1 1 0 0 1 -> da 08 26 40.
    EXPECT_EQ(stream.sps, (Bytes{0, 0, 0, 1, 0x67, 0x4d, 0x00, 0x29, 0xda, 0x08, 0x26, 0x40}));
    // ue(0) pps id, ue(0) sps id, 0 CAVLC, 0, ue(0) slice groups, ue(0) ue(0) ref indexes, 0 weighted, 00 bipred,
    // se(0) x3, 1 deblocking control, 0 constrained intra, 0 redundant, stop: 11001110 00111100 1 -> ce 3c 80.
    EXPECT_EQ(stream.pps, (Bytes{0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80}));
    ASSERT_GE(stream.slice.size(), 5u);
    EXPECT_EQ(Bytes(stream.slice.begin(), stream.slice.begin() + 4), (Bytes{0, 0, 1, 0x65}));
}

TEST(H264PcmStream, NoStartCodeIsEmulatedInsideANalUnit) {
    const Yuv420Picture picture = make_picture(64, 32, emulating_sample);
    const H264PcmStream stream = write_h264_pcm_stream(picture, parameters_for(picture));
    size_t escapes = 0;
    for (const Bytes* nal : {&stream.sps, &stream.pps, &stream.slice}) {
        const size_t start = nal == &stream.slice ? 3 : 4;
        for (size_t i = start + 2; i < nal->size(); ++i) {
            ASSERT_FALSE((*nal)[i - 2] == 0 && (*nal)[i - 1] == 0 && (*nal)[i] <= 2) << "at byte " << i;
            if ((*nal)[i - 2] == 0 && (*nal)[i - 1] == 0 && (*nal)[i] == 3) ++escapes;
        }
    }
    EXPECT_GT(escapes, 100u);  // the samples did need escaping
}

TEST(H264PcmStream, LibavcodecDecodesTheSamplesWritten) {
    struct Case {
        uint32_t width, height;
        uint8_t (*sample)(uint32_t, uint32_t, uint32_t);
    };
    for (const Case& c : {Case{128, 64, varied_sample}, Case{64, 32, emulating_sample}, Case{16, 16, varied_sample},
                          Case{176, 144, varied_sample}}) {
        const uint32_t width = c.width, height = c.height;
        SCOPED_TRACE(std::to_string(width) + "x" + std::to_string(height));
        const Yuv420Picture picture = make_picture(width, height, c.sample);
        const Bytes stream = write_h264_pcm_stream(picture, parameters_for(picture)).annex_b();
        const Yuv420Picture decoded = decode_with_libavcodec(stream);
        ASSERT_EQ(decoded.width, width);
        ASSERT_EQ(decoded.height, height);
        EXPECT_EQ(decoded.y, picture.y);
        EXPECT_EQ(decoded.cb, picture.cb);
        EXPECT_EQ(decoded.cr, picture.cr);
    }
}

TEST(H264PcmStream, RefusesAPictureOfAnotherSize) {
    const Yuv420Picture picture = make_picture(32, 16, varied_sample);
    H264PcmParameters parameters = parameters_for(picture);
    parameters.width_in_mbs = 3;
    EXPECT_THROW(write_h264_pcm_stream(picture, parameters), std::invalid_argument);
    parameters = parameters_for(picture);
    parameters.profile_idc = 100;  // High would need chroma_format_idc and bit depths in the SPS
    EXPECT_THROW(write_h264_pcm_stream(picture, parameters), std::invalid_argument);
}

}  // namespace
}  // namespace anarchy::testprog
