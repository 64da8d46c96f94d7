// Memory for capture buffers: which memory type each kind of buffer should live in, and buffers that own
// their allocation (read-back buffers stay mapped for their lifetime).
#pragma once

#include <cstdint>
#include <optional>

#include <vulkan/vulkan_core.h>

#include "server/capture/capture_vulkan.h"

namespace anarchy::server::capture {

/// What a buffer is for, which decides its memory type.
enum class MemoryUse {
    GpuOnly,   ///< written and read by the GPU only: device-local wanted, host-visible avoided
    Readback,  ///< written by the GPU, read by the CPU: host-visible required, host-cached wanted (uncached
               ///< reads are many times slower), device-local avoided (a mapped BAR is slow to read)
};

/// The memory type a buffer of `use` should be allocated from, among those in `type_bits`; nullopt if none
/// qualifies. Protected and AMD device-coherent types are never chosen (they need features capture does not
/// enable). Among equals the lowest index wins, as drivers list faster types first.
std::optional<uint32_t> choose_memory_type(const VkPhysicalDeviceMemoryProperties& properties, uint32_t type_bits,
                                           MemoryUse use);

/// A buffer bound to a dedicated allocation. Members are declared so the buffer is destroyed before its memory.
struct CaptureBuffer {
    OwnedMemory memory;
    OwnedBuffer buffer;
    VkDeviceSize size = 0;      ///< the size asked for
    uint8_t* mapped = nullptr;  ///< Readback only: the persistent mapping of the whole allocation
    bool coherent = true;       ///< false: GPU writes need vkInvalidateMappedMemoryRanges before reading
    VkMemoryPropertyFlags flags = 0;  ///< of the memory type chosen
};

/// Creates a buffer of `size` bytes for `usage` in memory chosen for `use`; maps it when use is Readback.
/// Throws VulkanCallError on failure.
CaptureBuffer create_capture_buffer(const DeviceFunctions& vk, VkDevice device,
                                    const VkPhysicalDeviceMemoryProperties& properties, VkDeviceSize size,
                                    VkBufferUsageFlags usage, MemoryUse use);

}  // namespace anarchy::server::capture
