// Appends little-endian values to a growable byte buffer: the one way anything is written to the wire.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

static_assert(std::endian::native == std::endian::little, "the wire format is little-endian; port the encoder first");

namespace anarchy::protocol {

/// Translates a program-visible handle to its 64-bit wire id (client) — dispatchable handles are pointers there.
class HandleEncoder {
public:
    virtual ~HandleEncoder() = default;
    /// Returns the wire id of a dispatchable handle given as its raw pointer value (0 stays 0).
    virtual uint64_t dispatchable_id(uint64_t raw) const = 0;
};

/// A byte buffer that knows how to append wire values.
class WireEncoder {
public:
    WireEncoder() = default;
    explicit WireEncoder(const HandleEncoder* handles) : handles_(handles) {}

    void u8(uint8_t v) { buf_.push_back(v); }
    void u16(uint16_t v) { raw(&v, sizeof v); }
    void u32(uint32_t v) { raw(&v, sizeof v); }
    void u64(uint64_t v) { raw(&v, sizeof v); }
    void i32(int32_t v) { raw(&v, sizeof v); }
    void i64(int64_t v) { raw(&v, sizeof v); }
    void f32(float v) { raw(&v, sizeof v); }
    void f64(double v) { raw(&v, sizeof v); }
    void boolean(bool v) { u8(v ? 1 : 0); }
    /// A size (size_t, VkDeviceSize) always travels as 64 bits.
    void size(uint64_t v) { u64(v); }
    /// A pointer's presence: 1 if the pointee follows, 0 if it was null.
    bool presence(const void* p) { u8(p ? 1 : 0); return p != nullptr; }
    /// A NUL-terminated string (null pointer allowed): u32 length+1 (0 for null), then the bytes without NUL.
    void string(const char* s) {
        if (!s) { u32(0); return; }
        size_t n = std::strlen(s);
        u32(static_cast<uint32_t>(n + 1));
        raw(s, n);
    }
    /// A byte blob of known size: u64 length then the bytes.
    void blob(const void* p, uint64_t n) { u64(n); if (n) raw(p, n); }
    /// A non-dispatchable handle is its wire id already.
    void handle(uint64_t v) { u64(v); }
    /// A dispatchable handle (pointer on the client) goes through the translator.
    void dispatchable(const void* p) {
        u64(p && handles_ ? handles_->dispatchable_id(reinterpret_cast<uint64_t>(p)) : reinterpret_cast<uint64_t>(p));
    }
    void raw(const void* p, size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        buf_.insert(buf_.end(), b, b + n);
    }
    /// Reserves a u32 to patch later (e.g. a length); returns its offset.
    size_t reserve_u32() { size_t at = buf_.size(); u32(0); return at; }
    void patch_u32(size_t at, uint32_t v) { std::memcpy(buf_.data() + at, &v, sizeof v); }

    const std::vector<uint8_t>& bytes() const { return buf_; }
    std::vector<uint8_t>& bytes() { return buf_; }
    size_t size_bytes() const { return buf_.size(); }
    void clear() { buf_.clear(); }
    const HandleEncoder* handle_encoder() const { return handles_; }
    void set_handle_encoder(const HandleEncoder* h) { handles_ = h; }

private:
    std::vector<uint8_t> buf_;
    const HandleEncoder* handles_ = nullptr;
};

}  // namespace anarchy::protocol
