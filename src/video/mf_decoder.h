// H.264 and HEVC decoding on Windows through Media Foundation: a decoder MFT (IMFTransform) fed one access unit per
// packet, its NV12 output converted to BGRA by Nv12ToBgra. Windows only; the Linux client uses libavcodec.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "video/codec_kind.h"
#include "video/decoder.h"

namespace anarchy::video {

/// Backend names, in the order create_decoder tries them: a hardware MFT (asynchronous, found with
/// MFT_ENUM_FLAG_HARDWARE) and the software ones (synchronous: Microsoft's H.264 decoder, the HEVC Video
/// Extensions, Wine's winegstreamer decoder).
inline constexpr const char* kMfHardwareBackend = "mf-hardware";
inline constexpr const char* kMfSoftwareBackend = "mf";

/// Opens a Media Foundation decoder of codec (H264 or Hevc) for pictures of width x height: a hardware MFT when
/// hardware is set, else a software one. Null with *error saying why when none is installed or none accepts the
/// stream's format.
std::unique_ptr<Decoder> open_mf_decoder(CodecKind codec, uint32_t width, uint32_t height, bool hardware,
                                         std::string* error);

/// Whether a Media Foundation decoder of codec opens on this machine (Windows N editions have none, Wine none for
/// HEVC, and HEVC needs the HEVC Video Extensions). Found out once per codec and process.
bool mf_decoder_available(CodecKind codec);

}  // namespace anarchy::video
