// The frame layout on the wire: an 8-byte little-endian header {u32 payload length, u16 FrameType, u16 flags},
// then the payload. With kFlagLz4 the payload is {u32 uncompressed size, LZ4 block}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace anarchy::transport {

/// Size of the frame header on the wire.
inline constexpr size_t kFrameHeaderBytes = 8;
/// Flag bit 0: the payload is LZ4-compressed.
inline constexpr uint16_t kFlagLz4 = 1;
/// Every flag this version understands; any other bit means a corrupt or incompatible stream.
inline constexpr uint16_t kKnownFlags = kFlagLz4;

/// A frame header as numbers.
struct FrameHeader {
    uint32_t length = 0;  ///< payload bytes on the wire (compressed size when kFlagLz4)
    uint16_t type = 0;
    uint16_t flags = 0;
};

/// Writes h into out[0..kFrameHeaderBytes).
void encode_frame_header(const FrameHeader& h, uint8_t* out);
/// Reads a header from in[0..kFrameHeaderBytes).
FrameHeader decode_frame_header(const uint8_t* in);
/// Checks what can be checked before the payload arrives. False with *error for a header no valid sender makes.
[[nodiscard]] bool check_frame_header(const FrameHeader& h, size_t max_frame_bytes, std::string* error);
/// Fills out with the compressed payload form and returns true, only when that is smaller than size bytes.
bool compress_payload(const uint8_t* data, size_t size, std::vector<uint8_t>& out);
/// Turns a received payload (header already checked) into the original bytes, decompressing when flagged.
/// False with *error if the compressed form is malformed or claims more than max_frame_bytes.
[[nodiscard]] bool decode_payload(const FrameHeader& h, const uint8_t* data, size_t max_frame_bytes,
                                  std::vector<uint8_t>& out, std::string* error);

}  // namespace anarchy::transport
