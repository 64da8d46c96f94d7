// Video frames cut into horizontal bands, each band a stream of its own with its own encoder and decoder, all bands
// of a frame encoded at once and decoded at once. libx264's sliced threads share one frame between threads and
// scale poorly: on the NVIDIA host a 2560x1600 frame took 28.4 ms on one thread and still 8.0 ms on eight, while
// eight single-threaded encoders of 2560x200 bands, side by side on eight cores, took 3.6-4.0 ms each (decoding
// 2.4 ms against 1.0-1.4 ms). The factory cuts libx264's frames only (codec_factory.cpp says why not the others'),
// where the client asks for bands (EncoderSettings::bands); a hardware encoder works on the whole frame.
//
// On the wire a banded frame is a sequence of slices (frame_packet_header.h, kFramePacketSlice) in order from row
// 0, one per band; a slice's payload is the band stream's own packet, header included (the band's width x rows),
// so each band decoder checks its own stream's continuity. The band layout is the encoder's; a decoder learns it
// from the slices.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "video/decoder.h"
#include "video/encoder.h"

namespace anarchy::video {

/// Rows of a band: a multiple of 16 (whole macroblocks for every codec here), at least kMinBandRows.
inline constexpr uint32_t kMinBandRows = 64;
/// The most bands a frame is cut into, and the most band decoders a decoder keeps.
inline constexpr uint32_t kMaxBands = 16;

/// One band of a frame: rows [first_row, first_row + rows).
struct Band {
    uint32_t first_row = 0;
    uint32_t rows = 0;
};

/// How a frame of `height` rows is cut into at most `wanted` bands of equal height (a multiple of 16, at least
/// kMinBandRows; the last band takes what is left). One band covering every row when `wanted` is 1 or the frame too
/// low to cut.
std::vector<Band> band_layout(uint32_t height, uint32_t wanted);

/// Makes one band's encoder: settings are the frame's with the band's height, its share of the bitrate and one
/// thread (or the threads per band); null with `reason` set when it cannot be opened.
using BandEncoderMaker = std::unique_ptr<Encoder> (*)(const EncoderSettings& band_settings, std::string* reason);

/// An encoder of `settings.width` x `settings.height` frames cut into `layout`, each band's encoder made by
/// `make` with `threads_per_band` threads, all bands of a frame encoded on `pool_threads` threads at once. Frames
/// go out through encode_slices() only: encode() fails, a banded frame being several packets. Null with `reason`
/// when a band's encoder could not be made.
std::unique_ptr<Encoder> make_banded_encoder(const EncoderSettings& settings, const std::vector<Band>& layout,
                                             uint32_t threads_per_band, uint32_t pool_threads,
                                             BandEncoderMaker make, std::string* reason);

/// Makes one band's decoder (software, one thread); null with `reason` when it cannot be opened.
using BandDecoderMaker = std::unique_ptr<Decoder> (*)(CodecKind codec, uint32_t width, uint32_t rows,
                                                      std::string* reason);

/// A video decoder that takes a stream of whole frames (decoded by `whole`) and banded frames alike. A banded
/// frame's slices are kept until its last one comes; then every band is decoded at once on up to `threads`
/// threads, each band straight into its rows of the target. Slices of one frame go to one target. Band decoders
/// are made by `make` as bands first appear.
std::unique_ptr<Decoder> make_band_aware_decoder(std::unique_ptr<Decoder> whole, uint32_t threads,
                                                 BandDecoderMaker make);

}  // namespace anarchy::video
