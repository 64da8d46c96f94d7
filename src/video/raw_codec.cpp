#include "video/raw_codec.h"

#include <string>

#include "video/bgra_packer.h"
#include "video/frame_packet_header.h"

namespace anarchy::video {
namespace {

class RawEncoder final : public Encoder {
public:
    RawEncoder(uint32_t width, uint32_t height) : Encoder(CodecKind::Raw, width, height) {}
    const char* name() const override { return "raw"; }
    PixelFormat input_format() const override { return PixelFormat::Bgra8; }
    void request_keyframe() override {}  // every raw frame is a key frame

protected:
    CodecStatus encode_frame(const FrameView& frame, EncodedFrame& out) override {
        const size_t pixels_bytes = size_t(width()) * height() * 4;
        out.bytes.resize(kFramePacketHeaderBytes + pixels_bytes);
        FramePacketHeader h;
        h.codec = CodecKind::Raw;
        h.flags = kFramePacketKeyframe;
        h.width = width();
        h.height = height();
        h.sequence = sequence_++;
        h.row_count = height();
        h.payload_bytes = static_cast<uint32_t>(pixels_bytes);
        write_frame_packet_header(h, out.bytes.data());
        out.keyframe = true;
        return packer_.pack(frame, out.bytes.data() + kFramePacketHeaderBytes);
    }

private:
    BgraPacker packer_;
    uint32_t sequence_ = 0;
};

class RawDecoder final : public Decoder {
public:
    RawDecoder(uint32_t width, uint32_t height) : Decoder(CodecKind::Raw, width, height) {}
    const char* name() const override { return "raw"; }

protected:
    CodecStatus decode_packet(const uint8_t* data, size_t size, DecodedFrame& out) override {
        FramePacketHeader h;
        if (CodecStatus s = read_frame_packet_header(data, size, CodecKind::Raw, width(), height(), h); !s) return s;
        if (!h.keyframe()) return CodecStatus::failure(CodecError::CorruptData, "raw packet not marked as key frame");
        const size_t pixels_bytes = size_t(width()) * height() * 4;
        if (h.payload_bytes != pixels_bytes)
            return CodecStatus::failure(CodecError::CorruptData,
                                        "raw packet carries " + std::to_string(h.payload_bytes) +
                                            " pixel bytes, expected " + std::to_string(pixels_bytes));
        out.bgra.assign(data + kFramePacketHeaderBytes, data + size);
        force_opaque(out.bgra.data(), size_t(width()) * height());
        out.keyframe = true;
        return CodecStatus::success();
    }
};

}  // namespace

std::unique_ptr<Encoder> make_raw_encoder(uint32_t width, uint32_t height) {
    return std::make_unique<RawEncoder>(width, height);
}

std::unique_ptr<Decoder> make_raw_decoder(uint32_t width, uint32_t height) {
    return std::make_unique<RawDecoder>(width, height);
}

}  // namespace anarchy::video
