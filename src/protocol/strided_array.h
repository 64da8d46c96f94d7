// Arrays a program lays out at its own stride (vkCmdDrawMultiEXT's pVertexInfo: zink passes 12-byte elements
// 16 bytes apart, or the other way round). They travel packed: the encoder gathers the elements and sends the
// element size as the stride, and the server accepts no other stride.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace anarchy::protocol {

/// Returns `data` itself when it is already packed (stride equal to the element size), else gathers `count`
/// elements `stride` bytes apart into `packed` and returns its data.
template <typename T>
const T* pack_strided(const T* data, uint64_t count, uint64_t stride, std::vector<T>& packed) {
    if (!data || stride == sizeof(T)) return data;
    packed.resize(count);
    const auto* bytes = reinterpret_cast<const unsigned char*>(data);
    for (uint64_t i = 0; i < count; ++i) std::memcpy(&packed[i], bytes + i * stride, sizeof(T));
    return packed.data();
}

}  // namespace anarchy::protocol
