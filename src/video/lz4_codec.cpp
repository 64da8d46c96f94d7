#include "video/lz4_codec.h"

#include "video/bgra_packer.h"
#include "video/frame_packet_header.h"
#include "video/lz4_block.h"

namespace anarchy::video {
namespace {

class Lz4Encoder final : public Encoder {
public:
    Lz4Encoder(uint32_t width, uint32_t height)
        : Encoder(CodecKind::Lz4, width, height), pixels_(size_t(width) * height * 4) {}
    const char* name() const override { return "lz4"; }
    PixelFormat input_format() const override { return PixelFormat::Bgra8; }
    void request_keyframe() override {}  // every lz4 frame is a key frame

protected:
    CodecStatus encode_frame(const FrameView& frame, EncodedFrame& out) override {
        if (CodecStatus s = packer_.pack(frame, pixels_.data()); !s) return s;
        out.bytes.resize(kFramePacketHeaderBytes);
        if (CodecStatus s = lz4_append_block(pixels_.data(), pixels_.size(), out.bytes); !s) return s;
        FramePacketHeader h;
        h.codec = CodecKind::Lz4;
        h.flags = kFramePacketKeyframe;
        h.width = width();
        h.height = height();
        h.sequence = sequence_++;
        h.row_count = height();
        h.payload_bytes = static_cast<uint32_t>(out.bytes.size() - kFramePacketHeaderBytes);
        write_frame_packet_header(h, out.bytes.data());
        out.keyframe = true;
        return CodecStatus::success();
    }

private:
    BgraPacker packer_;
    std::vector<uint8_t> pixels_;  // packed BGRA of the frame being encoded
    uint32_t sequence_ = 0;
};

class Lz4Decoder final : public Decoder {
public:
    Lz4Decoder(uint32_t width, uint32_t height) : Decoder(CodecKind::Lz4, width, height) {}
    const char* name() const override { return "lz4"; }

protected:
    CodecStatus decode_packet(const uint8_t* data, size_t size, DecodedFrame& out) override {
        FramePacketHeader h;
        if (CodecStatus s = read_frame_packet_header(data, size, CodecKind::Lz4, width(), height(), h); !s) return s;
        if (!h.keyframe()) return CodecStatus::failure(CodecError::CorruptData, "lz4 packet not marked as key frame");
        const size_t pixels = size_t(width()) * height();
        out.bgra.resize(pixels * 4);
        if (CodecStatus s = lz4_expand_block(data + kFramePacketHeaderBytes, size - kFramePacketHeaderBytes,
                                             out.bgra.data(), out.bgra.size());
            !s)
            return s;
        force_opaque(out.bgra.data(), pixels);
        out.keyframe = true;
        return CodecStatus::success();
    }
};

}  // namespace

std::unique_ptr<Encoder> make_lz4_encoder(uint32_t width, uint32_t height) {
    return std::make_unique<Lz4Encoder>(width, height);
}

std::unique_ptr<Decoder> make_lz4_decoder(uint32_t width, uint32_t height) {
    return std::make_unique<Lz4Decoder>(width, height);
}

}  // namespace anarchy::video
