// Messages of the video channel: a second connection per session (handshake role "video") on which the server
// streams presented frames, so that a frame never waits behind commands and commands never wait behind frames.
//
// Server -> client (FrameType::Video): u32 kind, then the message. Client -> server (FrameType::Control).
// Every message decodes with a WireDecoder, so a malformed one is an error, never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"

namespace anarchy::protocol {

enum class VideoMessage : uint32_t {
    StreamSettings = 1,  ///< client -> server, first message: what codec the client wants
    EncoderChosen = 2,   ///< server -> client: which encoder a swapchain got, and why
    ImageReleased = 3,   ///< server -> client: the capture of an image finished; the image may be reused
    Frame = 4,           ///< server -> client: one presented frame (encoded), or a note that it was dropped
    RequestKeyframe = 5, ///< client -> server: u64 swapchain; the decoder lost its reference
    FrameHandled = 6,    ///< client -> server: u64 swapchain; one frame was displayed (flow control)
    SetBitrate = 7,      ///< client -> server: BitrateRequest; what the link carries now
    LinkProbe = 8,       ///< client -> server, before StreamSettings: u32 bytes; send that many back
    LinkProbeData = 9,   ///< server -> client: the probe's bytes (a blob), to time the link with
    SwitchCodec = 10,    ///< client -> server: CodecSwitch; lossless frames do not fit the link
};

/// Largest LinkProbe the server answers.
constexpr uint32_t kMaxLinkProbeBytes = 16u << 20;

/// What the client asks for; sent once when the channel opens.
struct StreamSettings {
    std::string codec = "lz4-tiles";  ///< raw, lz4, lz4-delta, lz4-tiles, h264, hevc, av1
    uint32_t bitrate_kbps = 0;        ///< 0: chosen from the resolution
    int32_t quality = -1;             ///< codec-specific quality (CRF/QP-like), -1: default
    uint32_t prefer_hardware = 1;     ///< try NVENC first
    /// Frames of a newest-wins (MAILBOX, IMMEDIATE) swapchain captured ahead of the encoder: 1 (the next one is
    /// captured just before the encoder is expected to be free) or 2 (one waits captured while another encodes).
    uint32_t captured_ahead = 1;
    /// Software video encoding: frames cut into this many bands of rows (1-16), each its own stream, which this
    /// client decodes side by side (video/banded_codec.h); 1: whole frames.
    uint32_t video_bands = 1;
};

struct EncoderChosen {
    uint64_t swapchain = 0;
    uint32_t ok = 0;          ///< 0: no encoder could be created; frames of this swapchain will not come
    std::string description;  ///< e.g. "h264: h264_nvenc unavailable (...), using libx264 (software)"
};

/// The rate every video encoder of the session should aim at from now on (the client measured the link).
struct BitrateRequest {
    uint32_t kbps = 0;
};

/// Every swapchain of the session moves to this codec (its next frame is a key frame of it).
struct CodecSwitch {
    std::string codec;
};

struct ImageReleased {
    uint64_t swapchain = 0;
    uint32_t image_index = 0;
};

/// Durations in microseconds of the server's stages of one frame (no clock is shared with the client).
struct ServerStageTimes {
    uint32_t render_us = 0;   ///< present received -> the GPU finished the frame (capture start)
    uint32_t capture_us = 0;  ///< GPU copy of the image
    uint32_t convert_us = 0;  ///< GPU colour conversion (0 when the codec takes RGB)
    uint32_t encode_us = 0;   ///< encoder
    uint32_t queue_us = 0;    ///< waiting on the server: for a free capture slot, and captured -> encoder free
};

constexpr uint32_t kFrameDropped = 1;   ///< no picture: the frame was skipped (newest frame wins)
constexpr uint32_t kFrameKeyframe = 2;  ///< decodable on its own
/// One slice of a frame (lz4-tiles), more of it follow in the next Frame messages of this swapchain; the message
/// without this flag completes the frame (or a dropped one ends it: the slices before are abandoned). Only that
/// last message's header counts for the frame's timing and acknowledgement.
constexpr uint32_t kFrameMoreSlices = 4;

struct FrameHeader {
    uint64_t swapchain = 0;
    uint32_t image_index = 0;
    uint64_t present_id = 0;
    uint32_t flags = 0;
    uint32_t codec = 0;  ///< video::CodecKind
    uint32_t width = 0, height = 0;
    uint32_t bitrate_kbps = 0;  ///< the rate the encoder aimed at for this frame; 0 for lossless codecs
    ServerStageTimes times;
};

inline void encode(WireEncoder& e, const StreamSettings& m) {
    e.u32(uint32_t(VideoMessage::StreamSettings));
    e.string(m.codec.c_str());
    e.u32(m.bitrate_kbps);
    e.i32(m.quality);
    e.u32(m.prefer_hardware);
    e.u32(m.captured_ahead);
    e.u32(m.video_bands);
}
inline void encode(WireEncoder& e, const EncoderChosen& m) {
    e.u32(uint32_t(VideoMessage::EncoderChosen));
    e.u64(m.swapchain);
    e.u32(m.ok);
    e.string(m.description.c_str());
}
inline void encode(WireEncoder& e, const BitrateRequest& m) {
    e.u32(uint32_t(VideoMessage::SetBitrate));
    e.u32(m.kbps);
}
inline void encode(WireEncoder& e, const CodecSwitch& m) {
    e.u32(uint32_t(VideoMessage::SwitchCodec));
    e.string(m.codec.c_str());
}
inline void encode(WireEncoder& e, const ImageReleased& m) {
    e.u32(uint32_t(VideoMessage::ImageReleased));
    e.u64(m.swapchain);
    e.u32(m.image_index);
}
/// The frame's bytes follow the header as a blob (u64 length + bytes); send them as a second part.
inline void encode(WireEncoder& e, const FrameHeader& m, uint64_t payload_size) {
    e.u32(uint32_t(VideoMessage::Frame));
    e.u64(m.swapchain);
    e.u32(m.image_index);
    e.u64(m.present_id);
    e.u32(m.flags);
    e.u32(m.codec);
    e.u32(m.width);
    e.u32(m.height);
    e.u32(m.bitrate_kbps);
    e.u32(m.times.render_us);
    e.u32(m.times.capture_us);
    e.u32(m.times.convert_us);
    e.u32(m.times.encode_us);
    e.u32(m.times.queue_us);
    e.u64(payload_size);
}

[[nodiscard]] inline bool decode_kind(WireDecoder& d, VideoMessage& kind) {
    uint32_t k = 0;
    if (!d.u32(k)) return false;
    if (k < 1 || k > 10) return d.fail("unknown video message kind " + std::to_string(k));
    kind = VideoMessage(k);
    return true;
}
[[nodiscard]] inline bool decode_string(WireDecoder& d, std::string& out, size_t cap) {
    const char* s = nullptr;
    if (!d.string(s)) return false;
    out = s ? s : "";
    if (out.size() > cap) return d.fail("string too long");
    return true;
}
[[nodiscard]] inline bool decode(WireDecoder& d, StreamSettings& m) {
    return decode_string(d, m.codec, 32) && d.u32(m.bitrate_kbps) && d.i32(m.quality) && d.u32(m.prefer_hardware) &&
           d.u32(m.captured_ahead) && d.u32(m.video_bands);
}
[[nodiscard]] inline bool decode(WireDecoder& d, EncoderChosen& m) {
    return d.u64(m.swapchain) && d.u32(m.ok) && decode_string(d, m.description, 4096);
}
[[nodiscard]] inline bool decode(WireDecoder& d, BitrateRequest& m) { return d.u32(m.kbps); }
[[nodiscard]] inline bool decode(WireDecoder& d, CodecSwitch& m) { return decode_string(d, m.codec, 32); }
[[nodiscard]] inline bool decode(WireDecoder& d, ImageReleased& m) { return d.u64(m.swapchain) && d.u32(m.image_index); }
/// Leaves the decoder at the payload's first byte; payload_size is checked against what is left.
[[nodiscard]] inline bool decode(WireDecoder& d, FrameHeader& m, uint64_t& payload_size) {
    if (!(d.u64(m.swapchain) && d.u32(m.image_index) && d.u64(m.present_id) && d.u32(m.flags) && d.u32(m.codec) &&
          d.u32(m.width) && d.u32(m.height) && d.u32(m.bitrate_kbps) && d.u32(m.times.render_us) && d.u32(m.times.capture_us) &&
          d.u32(m.times.convert_us) && d.u32(m.times.encode_us) && d.u32(m.times.queue_us) && d.u64(payload_size)))
        return false;
    if (payload_size != d.remaining()) return d.fail("frame payload size does not match the message");
    if (m.width > 16384 || m.height > 16384) return d.fail("frame size out of range");
    return true;
}

}  // namespace anarchy::protocol
