// Picks a backend for a codec and says which one and why. Never falls back silently: every backend that was
// skipped or failed is named in the reason with its error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "video/decoder.h"
#include "video/encoder.h"

namespace anarchy::video {

/// An encoder, or none; reason is one sentence either way, e.g.
/// "h264: h264_nvenc unavailable (Cannot load libcuda.so.1), using libx264 (software)".
struct [[nodiscard]] EncoderCreation {
    std::unique_ptr<Encoder> encoder;  ///< null when no backend worked; reason then names each failure
    std::string reason;
};

/// Opens the first backend that works for the settings: NVENC (when prefer_hardware), then software.
EncoderCreation create_encoder(const EncoderSettings& settings);

/// What the client wants from a decoder.
struct DecoderSettings {
    CodecKind codec = CodecKind::H264;
    uint32_t width = 0;
    uint32_t height = 0;
    bool prefer_hardware = true;  ///< try cuda, vaapi, vdpau before software
    uint32_t threads = 0;  ///< lz4-tiles and software video decoding threads; 0: default_codec_threads()
    /// Non-empty: try only these ("cuda", "vaapi", "vdpau", or a software decoder: "h264", "hevc", "libdav1d",
    /// "libaom-av1"; on Windows "mf-hardware", "mf"; "raw"/"lz4"/"lz4-delta"/"lz4-tiles" for those codecs), in this
    /// order. For tests.
    std::vector<std::string> backends;
};

/// A decoder, or none; reason says which decoder is used and why the ones before it were not.
struct [[nodiscard]] DecoderCreation {
    std::unique_ptr<Decoder> decoder;
    std::string reason;
};

/// Opens a decoder for a stream of that codec and size: hardware first when asked, then software.
DecoderCreation create_decoder(const DecoderSettings& settings);
/// Same, with prefer_hardware and no backend override.
DecoderCreation create_decoder(CodecKind codec, uint32_t width, uint32_t height);

/// Whether decoders of `codec` work here at all: every codec on Linux; on Windows the lossless codecs, and H.264 and
/// HEVC where Media Foundation has a decoder for them (checked once per codec).
bool codec_built(CodecKind codec);

}  // namespace anarchy::video
