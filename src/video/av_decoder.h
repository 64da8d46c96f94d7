// The decoder for every libavcodec backend, software or through a hardware device (cuda, vaapi, vdpau). A
// hardware decoder that turns out unable to decode the stream (a profile or codec its chip lacks) hands over to
// software decoding on the first packet, and says so in name().
#pragma once

extern "C" {
#include <libavutil/hwcontext.h>
}

#include <memory>
#include <string>
#include <vector>

#include "video/decoder.h"

namespace anarchy::video {

/// The libavcodec decoders for a codec in the order software decoding tries them.
std::vector<const char*> av_software_decoders(CodecKind codec);
/// The decoder that hardware decoding goes through (libavcodec's native one: "h264", "hevc", "av1").
const char* av_hardware_capable_decoder(CodecKind codec);

/// Opens decoder_name for a stream of width x height, on a device of hw_type (AV_HWDEVICE_TYPE_NONE: software), with
/// `threads` slice threads for software decoding (0: default_codec_threads()). On failure returns null and sets
/// *error to what libavcodec said.
std::unique_ptr<Decoder> open_av_decoder(CodecKind codec, uint32_t width, uint32_t height, const char* decoder_name,
                                         AVHWDeviceType hw_type, uint32_t threads, std::string* error);

}  // namespace anarchy::video
