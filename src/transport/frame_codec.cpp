#include "transport/frame_codec.h"

#include <cstdio>
#include <lz4.h>

namespace anarchy::transport {
namespace {

void put_u32(uint8_t* p, uint32_t v) { for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i)); }
void put_u16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); }
uint32_t get_u32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }
uint16_t get_u16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }

constexpr size_t kSizePrefix = 4;

}  // namespace

void encode_frame_header(const FrameHeader& h, uint8_t* out) {
    put_u32(out, h.length);
    put_u16(out + 4, h.type);
    put_u16(out + 6, h.flags);
}

FrameHeader decode_frame_header(const uint8_t* in) {
    return FrameHeader{get_u32(in), get_u16(in + 4), get_u16(in + 6)};
}

bool check_frame_header(const FrameHeader& h, size_t max_frame_bytes, std::string* error) {
    if (h.flags & ~kKnownFlags) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "%04x", h.flags);
        if (error) *error = std::string("frame with unknown flags 0x") + hex + " (corrupt stream or newer peer)";
        return false;
    }
    // A compressed payload is only sent when smaller than the original, so the wire length never exceeds it.
    if (h.length > max_frame_bytes) {
        if (error) *error = "frame of " + std::to_string(h.length) + " bytes exceeds the limit of " +
                            std::to_string(max_frame_bytes);
        return false;
    }
    if ((h.flags & kFlagLz4) && h.length <= kSizePrefix) {
        if (error) *error = "compressed frame of " + std::to_string(h.length) + " bytes is too short";
        return false;
    }
    return true;
}

bool compress_payload(const uint8_t* data, size_t size, std::vector<uint8_t>& out) {
    if (size == 0 || size > LZ4_MAX_INPUT_SIZE) return false;
    const int n = static_cast<int>(size);
    out.resize(kSizePrefix + static_cast<size_t>(LZ4_compressBound(n)));
    const int c = LZ4_compress_default(reinterpret_cast<const char*>(data),
                                       reinterpret_cast<char*>(out.data() + kSizePrefix), n,
                                       static_cast<int>(out.size() - kSizePrefix));
    if (c <= 0 || kSizePrefix + static_cast<size_t>(c) >= size) return false;
    put_u32(out.data(), static_cast<uint32_t>(size));
    out.resize(kSizePrefix + static_cast<size_t>(c));
    return true;
}

bool decode_payload(const FrameHeader& h, const uint8_t* data, size_t max_frame_bytes, std::vector<uint8_t>& out,
                    std::string* error) {
    if (!(h.flags & kFlagLz4)) {
        out.assign(data, data + h.length);
        return true;
    }
    const uint32_t original = get_u32(data);
    if (original > max_frame_bytes || original > LZ4_MAX_INPUT_SIZE) {
        if (error) *error = "compressed frame claims " + std::to_string(original) + " bytes, over the limit of " +
                            std::to_string(max_frame_bytes);
        return false;
    }
    // LZ4 expands a block at most about 255 times: a claim beyond that is a lie, and is refused before the
    // output buffer is sized by it.
    if (original / 255 > h.length) {
        if (error) *error = "compressed frame of " + std::to_string(h.length) + " bytes claims " +
                            std::to_string(original) + " bytes, more than LZ4 can expand to";
        return false;
    }
    if (original == 0) {
        if (error) *error = "compressed frame claims 0 bytes (never sent compressed)";
        return false;
    }
    out.resize(original);
    const int d = LZ4_decompress_safe(reinterpret_cast<const char*>(data + kSizePrefix),
                                      reinterpret_cast<char*>(out.data()), static_cast<int>(h.length - kSizePrefix),
                                      static_cast<int>(original));
    if (d < 0 || static_cast<uint32_t>(d) != original) {
        out.clear();
        if (error) *error = "corrupt compressed frame (LZ4 block does not decode to the " + std::to_string(original) +
                            " bytes it claims)";
        return false;
    }
    return true;
}

}  // namespace anarchy::transport
