// A Vulkan device for the capture tests and benchmark: the first physical device the loader offers (ctest
// points the loader at lavapipe only), a queue that can do graphics and compute, and the Khronos validation
// layer with synchronisation validation when it is installed, whose errors fail the test.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "server/capture/frame_capturer.h"

namespace anarchy::server::capture::test {

/// Throws std::runtime_error naming the call unless it returned VK_SUCCESS.
void check_vk(VkResult result, const char* call);
#define TEST_VK(call) ::anarchy::server::capture::test::check_vk((call), #call)

/// An image with its own memory, freed with the device's helpers.
struct TestImage {
    VkImage image = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkFormat format = VK_FORMAT_UNDEFINED;
    VkExtent2D extent{};
};

class LavapipeDevice {
public:
    /// validation: enable the Khronos layer if present (ANARCHY_CAPTURE_TEST_VALIDATION=0 turns it off).
    explicit LavapipeDevice(bool validation = true);
    ~LavapipeDevice();
    LavapipeDevice(const LavapipeDevice&) = delete;
    /// Waits for the device and destroys it, keeping the instance, so that what the validation layer reports
    /// at device destruction (objects never freed) is counted before the test checks the errors.
    void destroy_device();
    LavapipeDevice& operator=(const LavapipeDevice&) = delete;

    VkInstance instance() const { return instance_; }
    VkPhysicalDevice physical_device() const { return physical_device_; }
    VkDevice device() const { return device_; }
    VkQueue queue() const { return queue_; }
    uint32_t queue_family() const { return queue_family_; }
    const std::string& device_name() const { return device_name_; }
    bool validation_enabled() const { return validation_enabled_; }

    /// What FrameCapturer::create needs for this device.
    FrameCapturerCreateInfo capturer_info() const;

    /// Validation errors reported so far (other than ignored ids), each as "id: message".
    std::vector<std::string> validation_errors() const;
    void clear_validation_errors();
    /// Errors whose message id name contains `id` are not counted (for tests that provoke them on purpose).
    void ignore_validation_id(const std::string& id);

    /// True when the format can be a TRANSFER_SRC/DST optimal-tiling image here.
    bool supports_transfer_image(VkFormat format) const;
    /// An optimal-tiling 2D image with TRANSFER_SRC and TRANSFER_DST usage, in layout UNDEFINED.
    TestImage create_image(VkFormat format, VkExtent2D extent);
    void destroy_image(TestImage& image);

    /// Records commands into a fresh command buffer, submits it (with optional semaphores) and, when
    /// `wait` is true, waits for it. Without waiting, the buffer is freed by the next call that waits.
    void submit_commands(const std::function<void(VkCommandBuffer)>& record,
                         const std::vector<VkSemaphore>& wait_semaphores = {},
                         const std::vector<uint64_t>& wait_values = {},
                         const std::vector<VkSemaphore>& signal_semaphores = {}, bool wait = true);
    /// Copies tightly packed texels into the image (from UNDEFINED) and leaves it in `final_layout`.
    void upload(const TestImage& image, const std::vector<uint8_t>& texels, VkImageLayout final_layout);
    /// Reads the image, which must be in `layout`, back into tightly packed texels; leaves it in `layout`.
    std::vector<uint8_t> read_back(const TestImage& image, VkImageLayout layout,
                                   const std::vector<VkSemaphore>& wait_semaphores = {});

    VkSemaphore create_binary_semaphore();
    VkSemaphore create_timeline_semaphore(uint64_t initial_value);
    void destroy_semaphore(VkSemaphore semaphore);
    void signal_timeline(VkSemaphore semaphore, uint64_t value);

private:
    static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                     VkDebugUtilsMessageTypeFlagsEXT types,
                                                     const VkDebugUtilsMessengerCallbackDataEXT* data, void* user);
    uint32_t memory_type(uint32_t type_bits, VkMemoryPropertyFlags flags) const;
    void free_finished_command_buffers();

    VkInstance instance_ = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
    VkPhysicalDevice physical_device_ = VK_NULL_HANDLE;
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    uint32_t queue_family_ = 0;
    VkCommandPool command_pool_ = VK_NULL_HANDLE;
    std::vector<std::pair<VkCommandBuffer, VkFence>> pending_;  ///< submitted without waiting
    std::string device_name_;
    bool validation_enabled_ = false;

    mutable std::mutex messages_mu_;  ///< the layer calls on_message from any thread
    std::vector<std::string> errors_;
    std::vector<std::string> ignored_ids_;
};

/// Deterministic pseudo-random bytes: every value of every channel appears, unlike in a gradient.
std::vector<uint8_t> pattern_bytes(size_t count, uint32_t seed);

}  // namespace anarchy::server::capture::test
