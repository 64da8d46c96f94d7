// Bump allocator for decoded structures: everything a decoded command points to lives until the arena is reset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace anarchy::protocol {

/// Hands out zeroed, aligned memory; frees all of it at once on reset().
class Arena {
public:
    /// Returns n zeroed bytes aligned to 16, or nullptr if n exceeds the cap.
    void* alloc(size_t n);
    template <typename T>
    T* alloc_array(size_t count) {
        if (count > kMaxBytes / sizeof(T)) return nullptr;
        return static_cast<T*>(alloc(count * sizeof(T)));
    }
    void reset();
    size_t used() const { return used_; }
    /// Bytes the arena holds from the heap, used or not.
    size_t reserved() const {
        size_t n = 0;
        for (const Block& b : blocks_) n += b.size;
        return n;
    }

    /// No single decode may need more than this (guards against hostile counts).
    static constexpr size_t kMaxBytes = size_t(1) << 31;
    /// reset() keeps a block up to this size for the next decode, and frees larger ones.
    static constexpr size_t kKeepBytes = size_t(16) << 20;

private:
    struct Block {
        std::unique_ptr<uint8_t[]> data;
        size_t size = 0;
        size_t pos = 0;
    };
    std::vector<Block> blocks_;
    size_t used_ = 0;
};

}  // namespace anarchy::protocol
