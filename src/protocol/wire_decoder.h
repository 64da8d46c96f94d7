// Reads little-endian wire values with bounds checks; the first failure sticks and carries a reason.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include <vulkan/vulkan_core.h>

#include "protocol/arena.h"

namespace anarchy::protocol {

/// Maps wire ids back to handles: the server's session object table, or an identity map in tests.
class HandleDecoder {
public:
    virtual ~HandleDecoder() = default;
    /// Resolves id (of VkObjectType object_type) to a raw handle; false if unknown, dead or of another type.
    virtual bool resolve(uint32_t object_type, uint64_t id, uint64_t& out) = 0;
    /// Why the last resolve() refused, when it knows better than "unknown, destroyed or mistyped" (empty if not).
    virtual std::string refusal() const { return {}; }
};

/// A cursor over received bytes. Never reads past the end; never asserts on bad input.
class WireDecoder {
public:
    WireDecoder(const uint8_t* data, size_t size, Arena* arena, HandleDecoder* handles = nullptr)
        : p_(data), end_(data + size), arena_(arena), handles_(handles) {}

    [[nodiscard]] bool ok() const { return error_.empty(); }
    /// Enum values the registry does not define are passed on, not refused: the driver judges them as it would
    /// natively (a program built against newer headers asks about newer formats). Decoding never depends on them.
    /// Counted so tests and logs can see them.
    void note_enum_value(bool known) { unknown_enums_ += known ? 0 : 1; }
    uint64_t unknown_enum_values() const { return unknown_enums_; }
    const std::string& error() const { return error_; }
    /// The server's decoders pass every decoded VkImageLayout through image_layout() with this on:
    /// VK_IMAGE_LAYOUT_SHARED_PRESENT_KHR is valid only for the image of a shared presentable swapchain, and the
    /// client's swapchain images are ordinary images on the server, so that layout reaches the driver as GENERAL
    /// (which allows every use, as SHARED_PRESENT_KHR does). Off, values pass unchanged (tests, the client).
    void set_shared_present_as_general(bool on) { shared_present_as_general_ = on; }
    int32_t image_layout(int32_t v) const {
        return shared_present_as_general_ && v == VK_IMAGE_LAYOUT_SHARED_PRESENT_KHR ? VK_IMAGE_LAYOUT_GENERAL : v;
    }
    /// Records the first failure; later calls keep the first reason.
    bool fail(const std::string& why) {
        if (error_.empty()) error_ = why.empty() ? "malformed input" : why;
        p_ = end_;
        return false;
    }
    size_t remaining() const { return static_cast<size_t>(end_ - p_); }
    const uint8_t* cursor() const { return p_; }

    bool raw(void* out, size_t n) {
        if (!ok()) return false;
        if (n > remaining()) return fail("read of " + std::to_string(n) + " bytes past the end of the message");
        std::memcpy(out, p_, n);
        p_ += n;
        return true;
    }
    bool skip(size_t n) {
        if (n > remaining()) return fail("skip past the end of the message");
        p_ += n;
        return true;
    }
    template <typename T>
    bool value(T& v) { return raw(&v, sizeof v); }
    bool u8(uint8_t& v) { return value(v); }
    bool u16(uint16_t& v) { return value(v); }
    bool u32(uint32_t& v) { return value(v); }
    bool u64(uint64_t& v) { return value(v); }
    bool i32(int32_t& v) { return value(v); }
    bool i64(int64_t& v) { return value(v); }
    bool f32(float& v) { return value(v); }
    bool f64(double& v) { return value(v); }
    bool boolean(uint32_t& v) {
        uint8_t b = 0;
        if (!u8(b)) return false;
        if (b > 1) return fail("boolean that is neither 0 nor 1");
        v = b;
        return true;
    }
    /// A size travels as 64 bits; on the host it must fit the destination type.
    template <typename T>
    bool size(T& v) {
        uint64_t x = 0;
        if (!u64(x)) return false;
        if (static_cast<uint64_t>(static_cast<T>(x)) != x) return fail("size does not fit");
        v = static_cast<T>(x);
        return true;
    }
    /// Reads a presence byte: sets present, fails on anything but 0 or 1.
    bool presence(bool& present) {
        uint8_t b = 0;
        if (!u8(b)) return false;
        if (b > 1) return fail("pointer presence byte is neither 0 nor 1");
        present = b == 1;
        return true;
    }
    /// Reads a count and checks that count elements of at least min_elem_bytes each can still follow.
    bool count(uint32_t& n, size_t min_elem_bytes) {
        if (!u32(n)) return false;
        if (min_elem_bytes && static_cast<uint64_t>(n) * min_elem_bytes > remaining())
            return fail("array count " + std::to_string(n) + " larger than the message");
        return true;
    }
    /// A string: arena copy with NUL, or nullptr.
    bool string(const char*& out) {
        uint32_t n = 0;
        out = nullptr;
        if (!u32(n)) return false;
        if (n == 0) return true;
        if (n - 1 > remaining()) return fail("string longer than the message");
        char* s = static_cast<char*>(alloc(n));
        if (!s) return false;
        std::memcpy(s, p_, n - 1);
        s[n - 1] = 0;
        p_ += n - 1;
        out = s;
        return true;
    }
    /// A string into a fixed char array (e.g. VkExtensionProperties::extensionName).
    bool string_into(char* dst, size_t cap) {
        uint32_t n = 0;
        if (!u32(n)) return false;
        if (n == 0) { if (cap) dst[0] = 0; return true; }
        if (n > cap) return fail("string longer than its fixed array");
        if (n - 1 > remaining()) return fail("string longer than the message");
        std::memcpy(dst, p_, n - 1);
        dst[n - 1] = 0;
        p_ += n - 1;
        return true;
    }
    /// A blob: u64 length then bytes, copied into the arena (or pointing into the message when borrow).
    bool blob(const void*& out, uint64_t& n) {
        out = nullptr;
        if (!u64(n)) return false;
        if (n > remaining()) return fail("blob longer than the message");
        if (n == 0) return true;
        void* d = alloc(static_cast<size_t>(n));
        if (!d) return false;
        std::memcpy(d, p_, static_cast<size_t>(n));
        p_ += n;
        out = d;
        return true;
    }
    /// A blob left in place: out points into the message (valid as long as the message is).
    bool blob_view(const uint8_t*& out, uint64_t& n) {
        out = nullptr;
        if (!u64(n)) return false;
        if (n > remaining()) return fail("blob longer than the message");
        out = p_;
        p_ += n;
        return true;
    }
    /// A blob whose length the caller already knows must match.
    bool blob_exact(void* dst, uint64_t expected) {
        uint64_t n = 0;
        if (!u64(n)) return false;
        if (n != expected) return fail("blob length " + std::to_string(n) + " differs from its declared size " + std::to_string(expected));
        return raw(dst, static_cast<size_t>(n));
    }
    /// A handle id resolved through the table: 0 stays null when optional, is an error otherwise.
    bool handle(uint32_t object_type, uint64_t& out, bool optional) {
        uint64_t id = 0;
        if (!u64(id)) return false;
        if (id == 0) {
            out = 0;
            if (!optional) return fail("null handle where one is required");
            return true;
        }
        if (!handles_) { out = id; return true; }
        if (!handles_->resolve(object_type, id, out)) {
            std::string why = handles_->refusal();
            return fail(!why.empty() ? why : "unknown, destroyed or mistyped object id " + std::to_string(id) +
                                                  " (expected object type " + std::to_string(object_type) + ")");
        }
        return true;
    }
    /// Like handle(), for members the spec says may be ignored: an unknown id becomes null instead of an error.
    bool handle_lenient(uint32_t object_type, uint64_t& out, bool) {
        uint64_t id = 0;
        if (!u64(id)) return false;
        out = 0;
        if (id == 0) return true;
        if (!handles_) { out = id; return true; }
        if (!handles_->resolve(object_type, id, out)) out = 0;
        return true;
    }
    /// A handle id that names an object being created now: returned raw, checked by the caller.
    bool new_id(uint64_t& id) { return u64(id); }

    void* alloc(size_t n) {
        void* p = arena_ ? arena_->alloc(n) : nullptr;
        if (!p) fail("allocation of " + std::to_string(n) + " bytes refused");
        return p;
    }
    template <typename T>
    T* alloc_array(size_t count) {
        if (count == 0) return nullptr;
        T* p = arena_ ? arena_->alloc_array<T>(count) : nullptr;
        if (!p) fail("allocation of " + std::to_string(count) + " elements refused");
        return p;
    }
    Arena* arena() const { return arena_; }
    HandleDecoder* handle_decoder() const { return handles_; }

private:
    const uint8_t* p_;
    const uint8_t* end_;
    Arena* arena_;
    HandleDecoder* handles_;
    std::string error_;
    uint64_t unknown_enums_ = 0;
    bool shared_present_as_general_ = false;
};

}  // namespace anarchy::protocol
