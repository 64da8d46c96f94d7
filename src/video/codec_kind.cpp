#include "video/codec_kind.h"

namespace anarchy::video {
namespace {

struct KindName {
    CodecKind kind;
    const char* name;
};
constexpr KindName kKindNames[] = {
    {CodecKind::Raw, "raw"},   {CodecKind::Lz4, "lz4"},   {CodecKind::Lz4Delta, "lz4-delta"},
    {CodecKind::Lz4Tiles, "lz4-tiles"}, {CodecKind::H264, "h264"}, {CodecKind::Hevc, "hevc"}, {CodecKind::Av1, "av1"},
};

}  // namespace

const char* to_string(CodecKind kind) {
    for (const KindName& k : kKindNames)
        if (k.kind == kind) return k.name;
    return "unknown";
}

std::optional<CodecKind> parse_codec_kind(std::string_view name) {
    for (const KindName& k : kKindNames)
        if (name == k.name) return k.kind;
    return std::nullopt;
}

bool is_video_codec(CodecKind kind) {
    return kind == CodecKind::H264 || kind == CodecKind::Hevc || kind == CodecKind::Av1;
}

}  // namespace anarchy::video
