// Lz4: every frame an LZ4 block of its BGRA pixels. Lossless and cheap; compresses flat UI and desktop content
// well, rendered 3D scenes poorly.
#pragma once

#include <memory>

#include "video/decoder.h"
#include "video/encoder.h"

namespace anarchy::video {

/// An encoder that LZ4-compresses each whole frame.
std::unique_ptr<Encoder> make_lz4_encoder(uint32_t width, uint32_t height);
/// The matching decoder.
std::unique_ptr<Decoder> make_lz4_decoder(uint32_t width, uint32_t height);

}  // namespace anarchy::video
