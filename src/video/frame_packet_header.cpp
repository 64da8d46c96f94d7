#include "video/frame_packet_header.h"

#include <string>

namespace anarchy::video {
namespace {

void put_u32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
uint32_t get_u32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }

}  // namespace

void write_frame_packet_header(const FramePacketHeader& h, uint8_t* out) {
    put_u32(out, kFramePacketMagic);
    out[4] = kFramePacketVersion;
    out[5] = static_cast<uint8_t>(h.codec);
    out[6] = h.flags;
    out[7] = 0;
    put_u32(out + 8, h.width);
    put_u32(out + 12, h.height);
    put_u32(out + 16, h.sequence);
    put_u32(out + 20, h.reference);
    put_u32(out + 24, h.first_row);
    put_u32(out + 28, h.row_count);
    put_u32(out + 32, h.payload_bytes);
}

CodecStatus read_frame_packet_header(const uint8_t* data, size_t size, CodecKind codec, uint32_t width,
                                     uint32_t height, FramePacketHeader& out) {
    if (size < kFramePacketHeaderBytes)
        return corrupt("packet of " + std::to_string(size) + " bytes is shorter than its header");
    if (get_u32(data) != kFramePacketMagic) return corrupt("packet does not start with the frame magic");
    if (data[4] != kFramePacketVersion)
        return corrupt("frame packet version " + std::to_string(data[4]) + ", expected " +
                       std::to_string(kFramePacketVersion));
    if (data[5] != static_cast<uint8_t>(codec))
        return corrupt("packet of codec " + std::to_string(data[5]) + " given to a " + to_string(codec) + " decoder");
    if (data[6] & ~(kFramePacketKeyframe | kFramePacketSlice | kFramePacketLastSlice))
        return corrupt("frame packet with unknown flags");
    if ((data[6] & kFramePacketLastSlice) && !(data[6] & kFramePacketSlice))
        return corrupt("frame packet marked the last slice but not a slice");
    if ((data[6] & kFramePacketSlice) && codec != CodecKind::Lz4Tiles && !is_video_codec(codec))
        return corrupt(std::string("a slice of a frame given to a ") + to_string(codec) +
                       " decoder, which takes whole frames");
    if (data[7] != 0) return corrupt("frame packet with a non-zero reserved byte");
    out.codec = codec;
    out.flags = data[6];
    out.width = get_u32(data + 8);
    out.height = get_u32(data + 12);
    out.sequence = get_u32(data + 16);
    out.reference = get_u32(data + 20);
    out.first_row = get_u32(data + 24);
    out.row_count = get_u32(data + 28);
    out.payload_bytes = get_u32(data + 32);
    if (out.payload_bytes != size - kFramePacketHeaderBytes)
        return corrupt("packet carries " + std::to_string(size - kFramePacketHeaderBytes) +
                       " payload bytes but its header says " + std::to_string(out.payload_bytes) +
                       (size - kFramePacketHeaderBytes < out.payload_bytes ? " (cut short)" : ""));
    if (out.width != width || out.height != height)
        return CodecStatus::failure(CodecError::InvalidArgument,
                                    "packet is " + std::to_string(out.width) + "x" + std::to_string(out.height) +
                                        " but the decoder was made for " + std::to_string(width) + "x" +
                                        std::to_string(height));
    if (uint64_t(out.first_row) + out.row_count > height)
        return corrupt("packet rows " + std::to_string(out.first_row) + "+" + std::to_string(out.row_count) +
                       " run past the frame's " + std::to_string(height));
    if (out.keyframe() && !out.slice() && (out.first_row != 0 || out.row_count != height))
        return corrupt("key frame that does not cover the whole frame");
    if (out.slice() && out.row_count == 0) return corrupt("a slice of no rows");
    if (out.slice() && out.completes_frame() && out.first_row + out.row_count != height)
        return corrupt("the last slice of a frame ends at row " + std::to_string(out.first_row + out.row_count) +
                       ", not at the frame's last row " + std::to_string(height));
    return CodecStatus::success();
}

CodecStatus read_video_packet_header(const uint8_t* data, size_t size, CodecKind codec, uint32_t width,
                                     uint32_t height, bool have_reference, uint32_t last_sequence,
                                     FramePacketHeader& h) {
    if (CodecStatus s = read_frame_packet_header(data, size, codec, width, height, h); !s) return s;
    if (h.slice()) return corrupt("a band of a banded frame given to a decoder of whole frames");
    if (h.row_count != height || h.first_row != 0) return corrupt("video packet that does not cover the whole frame");
    if (h.payload_bytes == 0) return corrupt("video packet without a payload");
    if (h.keyframe()) return CodecStatus::success();
    if (!have_reference)
        return CodecStatus::failure(CodecError::MissingReference,
                                    "frame " + std::to_string(h.sequence) + " is not a key frame and the "
                                    "decoder has none to build on");
    if (h.reference != last_sequence)
        return CodecStatus::failure(CodecError::MissingReference,
                                    "frame " + std::to_string(h.sequence) + " builds on frame " +
                                        std::to_string(h.reference) + " but the last one decoded is " +
                                        std::to_string(last_sequence) + " (a frame was dropped)");
    return CodecStatus::success();
}

}  // namespace anarchy::video
