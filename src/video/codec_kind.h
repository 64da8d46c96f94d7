// The codecs a frame stream can use, with the names the command line and configuration use for them.
#pragma once

#include <optional>
#include <string_view>

namespace anarchy::video {

/// A frame codec. Raw, Lz4 and Lz4Delta are lossless and carry BGRA; the others are lossy video codecs on I420.
enum class CodecKind { Raw, Lz4, Lz4Delta, H264, Hevc, Av1 };

/// "raw", "lz4", "lz4-delta", "h264", "hevc" or "av1".
const char* to_string(CodecKind kind);
/// The kind with that name (exact, lower case), or nullopt.
std::optional<CodecKind> parse_codec_kind(std::string_view name);
/// True for H264, Hevc and Av1: lossy, fed I420, backed by libavcodec.
bool is_video_codec(CodecKind kind);

}  // namespace anarchy::video
