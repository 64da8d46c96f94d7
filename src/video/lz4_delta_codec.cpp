#include "video/lz4_delta_codec.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "video/bgra_packer.h"
#include "video/frame_packet_header.h"
#include "video/lz4_block.h"

namespace anarchy::video {
namespace {

// dst[i] = a[i] ^ b[i], eight bytes at a time (the buffers are whole rows of 4-byte pixels).
void xor_bytes(const uint8_t* a, const uint8_t* b, uint8_t* dst, size_t size) {
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t x, y;
        std::memcpy(&x, a + i, 8);
        std::memcpy(&y, b + i, 8);
        x ^= y;
        std::memcpy(dst + i, &x, 8);
    }
    for (; i < size; ++i) dst[i] = a[i] ^ b[i];
}

class Lz4DeltaEncoder final : public Encoder {
public:
    Lz4DeltaEncoder(uint32_t width, uint32_t height, uint32_t keyframe_interval)
        : Encoder(CodecKind::Lz4Delta, width, height),
          keyframe_interval_(keyframe_interval),
          current_(size_t(width) * height * 4),
          previous_(current_.size()) {}
    const char* name() const override { return "lz4-delta"; }
    PixelFormat input_format() const override { return PixelFormat::Bgra8; }
    void request_keyframe() override { keyframe_requested_ = true; }

protected:
    CodecStatus encode_frame(const FrameView& frame, EncodedFrame& out) override {
        if (CodecStatus s = packer_.pack(frame, current_.data()); !s) return s;
        const bool key = !have_previous_ || keyframe_requested_ ||
                         (keyframe_interval_ != 0 && frames_since_key_ + 1 >= keyframe_interval_);
        const size_t row_bytes = size_t(width()) * 4;

        FramePacketHeader h;
        h.codec = CodecKind::Lz4Delta;
        h.width = width();
        h.height = height();
        h.sequence = sequence_;
        out.bytes.resize(kFramePacketHeaderBytes);
        CodecStatus s;
        if (key) {
            h.flags = kFramePacketKeyframe;
            h.row_count = height();
            s = lz4_append_block(current_.data(), current_.size(), out.bytes);
        } else {
            // Only the band between the first and last changed rows travels: a cursor or a small widget that
            // changes costs a few rows, not a frame of zeros.
            uint32_t first = 0;
            while (first < height() && std::memcmp(row(current_, first), row(previous_, first), row_bytes) == 0)
                ++first;
            uint32_t end = height();
            while (end > first && std::memcmp(row(current_, end - 1), row(previous_, end - 1), row_bytes) == 0)
                --end;
            h.reference = sequence_ - 1;
            h.first_row = end > first ? first : 0;
            h.row_count = end - first;
            if (h.row_count) {
                const size_t band = size_t(h.row_count) * row_bytes;
                delta_.resize(band);
                xor_bytes(row(current_, first), row(previous_, first), delta_.data(), band);
                s = lz4_append_block(delta_.data(), band, out.bytes);
            }
        }
        if (!s) {
            // The decoder never sees this frame; the next one has to stand on its own.
            have_previous_ = false;
            return s;
        }
        h.payload_bytes = static_cast<uint32_t>(out.bytes.size() - kFramePacketHeaderBytes);
        write_frame_packet_header(h, out.bytes.data());
        out.keyframe = key;
        std::swap(current_, previous_);
        have_previous_ = true;
        keyframe_requested_ = false;
        frames_since_key_ = key ? 0 : frames_since_key_ + 1;
        ++sequence_;
        return CodecStatus::success();
    }

private:
    const uint8_t* row(const std::vector<uint8_t>& frame, uint32_t y) const {
        return frame.data() + size_t(y) * width() * 4;
    }

    BgraPacker packer_;
    const uint32_t keyframe_interval_;
    std::vector<uint8_t> current_;   // packed BGRA of the frame being encoded
    std::vector<uint8_t> previous_;  // packed BGRA of the last frame sent; valid when have_previous_
    std::vector<uint8_t> delta_;     // XOR of the changed band
    bool have_previous_ = false;
    bool keyframe_requested_ = false;
    uint32_t frames_since_key_ = 0;
    uint32_t sequence_ = 0;
};

class Lz4DeltaDecoder final : public Decoder {
public:
    Lz4DeltaDecoder(uint32_t width, uint32_t height)
        : Decoder(CodecKind::Lz4Delta, width, height), reference_(size_t(width) * height * 4) {}
    const char* name() const override { return "lz4-delta"; }

protected:
    CodecStatus decode_packet(const uint8_t* data, size_t size, DecodedFrame& out) override {
        FramePacketHeader h;
        if (CodecStatus s = read_frame_packet_header(data, size, CodecKind::Lz4Delta, width(), height(), h); !s)
            return s;
        const uint8_t* payload = data + kFramePacketHeaderBytes;
        const size_t payload_size = size - kFramePacketHeaderBytes;
        const size_t row_bytes = size_t(width()) * 4;
        if (h.keyframe()) {
            // Expand into scratch first so a bad key frame leaves the reference untouched.
            scratch_.resize(reference_.size());
            if (CodecStatus s = lz4_expand_block(payload, payload_size, scratch_.data(), scratch_.size()); !s)
                return s;
            std::swap(scratch_, reference_);
            force_opaque(reference_.data(), size_t(width()) * height());
        } else {
            if (!have_reference_)
                return CodecStatus::failure(CodecError::MissingReference,
                                            "delta frame " + std::to_string(h.sequence) + " without a key frame before it");
            if (h.reference != reference_sequence_)
                return CodecStatus::failure(CodecError::MissingReference,
                                            "delta frame " + std::to_string(h.sequence) + " applies to frame " +
                                                std::to_string(h.reference) + " but the decoder holds frame " +
                                                std::to_string(reference_sequence_));
            if (h.row_count == 0) {
                if (payload_size != 0)
                    return CodecStatus::failure(CodecError::CorruptData, "unchanged frame with a payload");
            } else {
                const size_t band = size_t(h.row_count) * row_bytes;
                scratch_.resize(band);
                if (CodecStatus s = lz4_expand_block(payload, payload_size, scratch_.data(), band); !s) return s;
                uint8_t* target = reference_.data() + size_t(h.first_row) * row_bytes;
                xor_bytes(target, scratch_.data(), target, band);
                force_opaque(target, band / 4);
            }
        }
        have_reference_ = true;
        reference_sequence_ = h.sequence;
        out.bgra.assign(reference_.begin(), reference_.end());
        out.keyframe = h.keyframe();
        return CodecStatus::success();
    }

    void reset_after_error() override { have_reference_ = false; }

private:
    std::vector<uint8_t> reference_;  // the last decoded frame, packed BGRA; valid when have_reference_
    std::vector<uint8_t> scratch_;
    bool have_reference_ = false;
    uint32_t reference_sequence_ = 0;
};

}  // namespace

std::unique_ptr<Encoder> make_lz4_delta_encoder(uint32_t width, uint32_t height, uint32_t keyframe_interval) {
    return std::make_unique<Lz4DeltaEncoder>(width, height, keyframe_interval);
}

std::unique_ptr<Decoder> make_lz4_delta_decoder(uint32_t width, uint32_t height) {
    return std::make_unique<Lz4DeltaDecoder>(width, height);
}

}  // namespace anarchy::video
