// What every test program shares: the instance and device, error checking, memory-type choice, buffer and
// image creation, one-shot submissions and a few barrier helpers. Programs use the public Vulkan API only,
// so they run unchanged natively and through the remote driver.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace anarchy::testprog {

/// A failed Vulkan call or a failed self-check; main() prints it and exits non-zero.
class TestFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The device lacks what a program needs (ray tracing on lavapipe): main() exits 77, which tests treat as skipped.
class Unsupported : public TestFailure {
public:
    using TestFailure::TestFailure;
};

/// What a program needs beyond the common device.
struct ContextNeeds {
    /// VK_KHR_acceleration_structure, VK_KHR_ray_tracing_pipeline (with VK_KHR_deferred_host_operations) and
    /// bufferDeviceAddress; Unsupported when the device lacks them.
    bool ray_tracing = false;
    /// VK_KHR_video_queue, VK_KHR_video_decode_queue and VK_KHR_video_decode_h264, and a second queue from the
    /// first family that decodes H.264; Unsupported when the device lacks them.
    bool video_decode = false;
    /// VK_KHR_pipeline_binary (with VK_KHR_maintenance5, which it needs) and its pipelineBinaries feature;
    /// Unsupported when the device lacks them.
    bool pipeline_binary = false;
};

/// The enum name of `result`, e.g. "VK_ERROR_DEVICE_LOST", or its number if this file does not know it.
std::string result_name(VkResult result);

/// Throws TestFailure naming the call and the result unless `result` is VK_SUCCESS.
void check_result(VkResult result, const char* call, const char* file, int line);

/// Throws TestFailure unless `result` is `expected` (for calls where VK_TIMEOUT or VK_NOT_READY is the point).
void expect_result(VkResult result, VkResult expected, const char* call, const char* file, int line);

/// Throws TestFailure with `message` unless `condition` holds.
void require(bool condition, const std::string& message);

/// An extension's device command, which the loader does not export: through vkGetDeviceProcAddr; throws if absent.
template <typename Fn>
Fn device_proc(VkDevice device, const char* name) {
    auto fn = reinterpret_cast<Fn>(vkGetDeviceProcAddr(device, name));
    require(fn != nullptr, std::string("vkGetDeviceProcAddr returned no ") + name);
    return fn;
}

/// An extension's instance or physical-device command: through vkGetInstanceProcAddr; throws if absent.
template <typename Fn>
Fn instance_proc(VkInstance instance, const char* name) {
    auto fn = reinterpret_cast<Fn>(vkGetInstanceProcAddr(instance, name));
    require(fn != nullptr, std::string("vkGetInstanceProcAddr returned no ") + name);
    return fn;
}

#define VK_CHECK(call) ::anarchy::testprog::check_result((call), #call, __FILE__, __LINE__)
#define VK_EXPECT(call, expected) ::anarchy::testprog::expect_result((call), (expected), #call, __FILE__, __LINE__)

/// A buffer with its own memory. Host-visible memory stays mapped until the context is destroyed.
struct Buffer {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkDeviceSize size = 0;
    VkDeviceSize allocation_size = 0;
    VkMemoryPropertyFlags memory_flags = 0;  // of the memory type chosen
    void* mapped = nullptr;                  // non-null exactly when memory_flags has HOST_VISIBLE

    template <typename T>
    T* as() const {
        return static_cast<T*>(mapped);
    }
};

struct ImageDesc {
    VkFormat format = VK_FORMAT_R8G8B8A8_UNORM;
    VkExtent2D extent{};
    VkImageUsageFlags usage = 0;
    VkSampleCountFlagBits samples = VK_SAMPLE_COUNT_1_BIT;
    VkImageAspectFlags aspect = VK_IMAGE_ASPECT_COLOR_BIT;
};

/// A 2D image with device-local memory and, unless its usage is transfer only, a view of the whole image.
struct Image {
    VkImage image = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkImageView view = VK_NULL_HANDLE;
    VkFormat format = VK_FORMAT_UNDEFINED;
    VkExtent2D extent{};
    VkImageAspectFlags aspect = 0;
};

/// Owns the instance, the first physical device, a device with one graphics+compute queue (and an H.264 decode
/// queue when asked for), and every object created through own(): the destructor waits for the device to go
/// idle and destroys them in reverse order, also when a program unwinds with an exception.
class TestContext {
public:
    /// Throws TestFailure when a call fails or the device lacks Vulkan 1.3, dynamic rendering,
    /// synchronization2 or timeline semaphores.
    explicit TestContext(ContextNeeds needs = {});
    ~TestContext();
    TestContext(const TestContext&) = delete;
    TestContext& operator=(const TestContext&) = delete;

    VkInstance instance() const { return instance_; }
    VkPhysicalDevice physical_device() const { return physical_device_; }
    VkDevice device() const { return device_; }
    VkQueue queue() const { return queue_; }
    uint32_t queue_family() const { return queue_family_; }
    const VkQueueFamilyProperties& queue_family_properties() const { return queue_family_properties_; }
    const VkPhysicalDeviceProperties& properties() const { return properties_; }
    const VkPhysicalDeviceLimits& limits() const { return properties_.limits; }
    const VkPhysicalDeviceMemoryProperties& memory_properties() const { return memory_properties_; }
    /// Optional features, enabled when the device has them.
    bool host_query_reset() const { return host_query_reset_; }
    bool occlusion_query_precise() const { return occlusion_query_precise_; }
    /// VK_KHR_push_descriptor is enabled (when the device offers it).
    bool push_descriptor() const { return push_descriptor_; }
    /// With ContextNeeds::video_decode: a queue of the first family whose video codec operations include H.264
    /// decoding (the graphics queue itself if that family is the graphics family), and whether that family
    /// supports VK_QUERY_TYPE_RESULT_STATUS_ONLY_KHR queries. Otherwise VK_NULL_HANDLE and
    /// VK_QUEUE_FAMILY_IGNORED.
    VkQueue video_decode_queue() const { return video_decode_queue_; }
    uint32_t video_decode_queue_family() const { return video_decode_queue_family_; }
    bool video_decode_result_status_queries() const { return video_decode_result_status_queries_; }

    /// Registers `handle` to be destroyed with `destroy` when the context goes; returns it. Thread-safe.
    template <typename Handle>
    Handle own(Handle handle, void (*destroy)(VkDevice, Handle, const VkAllocationCallbacks*)) {
        std::lock_guard lock(owned_mutex_);
        owned_.push_back([device = device_, handle, destroy] { destroy(device, handle, nullptr); });
        return handle;
    }

    /// Index of the first memory type in `type_bits` with all of `required` and none of `avoid`; failing
    /// that, the first with all of `required`. Throws if there is none.
    uint32_t find_memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                              VkMemoryPropertyFlags avoid = 0) const;

    Buffer create_buffer(VkDeviceSize size, VkBufferUsageFlags usage, VkMemoryPropertyFlags required,
                         VkMemoryPropertyFlags avoid = 0);
    /// A device-local buffer holding `data`, uploaded through a staging buffer.
    Buffer create_buffer_with_data(const void* data, VkDeviceSize size, VkBufferUsageFlags usage);
    Image create_image(const ImageDesc& desc);

    VkShaderModule create_shader_module(std::span<const uint32_t> spirv);
    VkCommandPool create_command_pool(VkCommandPoolCreateFlags flags = 0);
    VkCommandBuffer allocate_command_buffer(VkCommandPool pool,
                                            VkCommandBufferLevel level = VK_COMMAND_BUFFER_LEVEL_PRIMARY);
    VkFence create_fence(bool signaled = false);
    VkSemaphore create_binary_semaphore();
    VkSemaphore create_timeline_semaphore(uint64_t initial_value);

    /// Records commands with `record` into a fresh command buffer, submits it and waits for completion.
    void submit_and_wait(const std::function<void(VkCommandBuffer)>& record);

    /// The first of D32_SFLOAT, D16_UNORM usable as an optimal-tiling depth attachment.
    VkFormat find_depth_format() const;
    /// Throws unless `format` with optimal tiling supports `samples` for `usage`.
    void require_sample_count(VkFormat format, VkImageUsageFlags usage, VkSampleCountFlagBits samples) const;
    /// Throws unless `format` with optimal tiling has all of `features`.
    void require_format_features(VkFormat format, VkFormatFeatureFlags features) const;

private:
    void create_instance();
    void pick_physical_device();
    void create_device(const ContextNeeds& needs);
    /// Sets video_decode_queue_family_ (and whether it has result status queries); Unsupported when none.
    void find_video_decode_queue_family();
    void destroy();

    VkInstance instance_ = VK_NULL_HANDLE;
    VkPhysicalDevice physical_device_ = VK_NULL_HANDLE;
    VkPhysicalDeviceProperties properties_{};
    VkPhysicalDeviceMemoryProperties memory_properties_{};
    VkQueueFamilyProperties queue_family_properties_{};
    uint32_t queue_family_ = 0;
    bool host_query_reset_ = false;
    bool push_descriptor_ = false;
    bool occlusion_query_precise_ = false;
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    uint32_t video_decode_queue_family_ = VK_QUEUE_FAMILY_IGNORED;
    bool video_decode_result_status_queries_ = false;
    VkQueue video_decode_queue_ = VK_NULL_HANDLE;
    VkCommandPool one_shot_pool_ = VK_NULL_HANDLE;  // used by submit_and_wait on the calling thread only
    std::mutex owned_mutex_;                        // guards owned_
    std::vector<std::function<void()>> owned_;      // destroyers, run in reverse order
};

/// Begins `cmd` for a single submission.
void begin_command_buffer(VkCommandBuffer cmd);

/// A synchronization2 layout transition of the whole image.
void image_barrier(VkCommandBuffer cmd, const Image& image, VkImageLayout old_layout, VkImageLayout new_layout,
                   VkPipelineStageFlags2 src_stage, VkAccessFlags2 src_access, VkPipelineStageFlags2 dst_stage,
                   VkAccessFlags2 dst_access);

/// A synchronization2 global memory barrier.
void memory_barrier(VkCommandBuffer cmd, VkPipelineStageFlags2 src_stage, VkAccessFlags2 src_access,
                    VkPipelineStageFlags2 dst_stage, VkAccessFlags2 dst_access);

/// Copies a colour image in TRANSFER_SRC_OPTIMAL layout, tightly packed, to `buffer` at `offset`.
void copy_image_to_buffer(VkCommandBuffer cmd, const Image& image, VkBuffer buffer, VkDeviceSize offset = 0);

}  // namespace anarchy::testprog
