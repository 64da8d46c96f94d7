// The codecs a frame stream can use, with the names the command line and configuration use for them.
#pragma once

#include <optional>
#include <string_view>

namespace anarchy::video {

/// A frame codec. Raw, Lz4, Lz4Delta and Lz4Tiles are lossless and carry BGRA; H264, Hevc and Av1 are lossy video
/// codecs on I420. The values travel on the wire (frame_packet_header.h, protocol::FrameHeader): append only.
enum class CodecKind { Raw, Lz4, Lz4Delta, H264, Hevc, Av1, Lz4Tiles };

/// The largest CodecKind value, for checking numbers that come off the wire.
inline constexpr CodecKind kLastCodecKind = CodecKind::Lz4Tiles;

/// "raw", "lz4", "lz4-delta", "lz4-tiles", "h264", "hevc" or "av1".
const char* to_string(CodecKind kind);
/// The kind with that name (exact, lower case), or nullopt.
std::optional<CodecKind> parse_codec_kind(std::string_view name);
/// True for H264, Hevc and Av1: lossy, fed I420, backed by libavcodec.
bool is_video_codec(CodecKind kind);

}  // namespace anarchy::video
