// Lz4Delta: a key frame is the LZ4 of the whole BGRA frame; every other frame is the LZ4 of the rows that changed,
// XORed with the previous frame, so unchanged pixels are zeros and an unchanged frame is a bare header. Lossless.
// The decoder keeps the previous frame and rejects a delta whose reference it does not hold.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "video/decoder.h"
#include "video/encoder.h"

namespace anarchy::video {

/// A delta encoder; keyframe_interval frames between periodic key frames, 0 for key frames only on request.
std::unique_ptr<Encoder> make_lz4_delta_encoder(uint32_t width, uint32_t height, uint32_t keyframe_interval);
/// The matching decoder.
std::unique_ptr<Decoder> make_lz4_delta_decoder(uint32_t width, uint32_t height);

}  // namespace anarchy::video
