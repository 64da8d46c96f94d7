// The encoder for every libavcodec backend: converts and pads the frame to I420 of even size, sends it, and
// insists on getting its packet back from the same call.
#pragma once

#include <memory>
#include <string>

#include "video/av_encoder_backend.h"
#include "video/encoder.h"

namespace anarchy::video {

/// The numbers for opening a libavcodec encoder with these settings.
AvEncoderConfig make_av_encoder_config(const EncoderSettings& settings);

/// Opens backend with config for frames of width x height. On failure returns null and sets *error to what
/// libavcodec (and its log) said.
std::unique_ptr<Encoder> open_av_encoder(const AvEncoderBackend& backend, const AvEncoderConfig& config,
                                         uint32_t width, uint32_t height, std::string* error);

/// For backends with needs_latency_probe: empty if the backend returns a packet for its very first frame, else why
/// not. Opens a throw-away encoder; the answer is cached per backend for the process.
std::string probe_av_encoder_latency(const AvEncoderBackend& backend, const AvEncoderConfig& config);

}  // namespace anarchy::video
