// Raw: the BGRA frame as it is, behind a frame packet header. For loopback and shared memory, where bandwidth is
// free and every microsecond of compression is not.
#pragma once

#include <memory>

#include "video/decoder.h"
#include "video/encoder.h"

namespace anarchy::video {

/// An encoder that copies frames into packets.
std::unique_ptr<Encoder> make_raw_encoder(uint32_t width, uint32_t height);
/// The matching decoder.
std::unique_ptr<Decoder> make_raw_decoder(uint32_t width, uint32_t height);

}  // namespace anarchy::video
