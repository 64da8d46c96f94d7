// What fuzz/video_fuzzer.cpp reads and fuzz/video_seeds.cpp writes: a codec index, then packets, each after its
// length as a u32, little-endian.
#pragma once

#include <cstddef>
#include <cstdint>

#include "video/codec_kind.h"

namespace anarchy::fuzz {

/// The codecs an input's first byte picks from (modulo the count).
inline constexpr video::CodecKind kVideoFuzzCodecs[] = {
    video::CodecKind::Raw,      video::CodecKind::Lz4,  video::CodecKind::Lz4Delta, video::CodecKind::Lz4Tiles,
    video::CodecKind::H264,     video::CodecKind::Hevc, video::CodecKind::Av1,
};
inline constexpr size_t kVideoFuzzCodecCount = sizeof(kVideoFuzzCodecs) / sizeof(kVideoFuzzCodecs[0]);
/// The stream's frame size: 160 rows cut into two bands of 80 (banded_codec.h), 144 columns, which is not a
/// multiple of lz4-tiles' 128.
inline constexpr uint32_t kVideoFuzzWidth = 144;
inline constexpr uint32_t kVideoFuzzHeight = 160;

}  // namespace anarchy::fuzz
