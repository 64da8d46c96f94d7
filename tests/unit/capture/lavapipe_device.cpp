#include "lavapipe_device.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace anarchy::server::capture::test {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

bool has_layer(const char* name) {
    uint32_t count = 0;
    vkEnumerateInstanceLayerProperties(&count, nullptr);
    std::vector<VkLayerProperties> layers(count);
    vkEnumerateInstanceLayerProperties(&count, layers.data());
    for (const VkLayerProperties& l : layers)
        if (std::strcmp(l.layerName, name) == 0) return true;
    return false;
}

bool has_instance_extension(const char* name) {
    uint32_t count = 0;
    vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> extensions(count);
    vkEnumerateInstanceExtensionProperties(nullptr, &count, extensions.data());
    for (const VkExtensionProperties& e : extensions)
        if (std::strcmp(e.extensionName, name) == 0) return true;
    return false;
}

bool has_device_extension(VkPhysicalDevice device, const char* name) {
    uint32_t count = 0;
    vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> extensions(count);
    vkEnumerateDeviceExtensionProperties(device, nullptr, &count, extensions.data());
    for (const VkExtensionProperties& e : extensions)
        if (std::strcmp(e.extensionName, name) == 0) return true;
    return false;
}

}  // namespace

void check_vk(VkResult result, const char* call) {
    if (result != VK_SUCCESS)
        throw std::runtime_error(std::string(call) + " failed: " + std::to_string(static_cast<int>(result)));
}

std::vector<uint8_t> pattern_bytes(size_t count, uint32_t seed) {
    std::vector<uint8_t> out(count);
    uint32_t x = seed * 2654435761u + 1;  // xorshift32; any non-zero start
    for (size_t i = 0; i < count; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = static_cast<uint8_t>(x >> 24);
    }
    return out;
}

LavapipeDevice::LavapipeDevice(bool validation) {
    const char* env = std::getenv("ANARCHY_CAPTURE_TEST_VALIDATION");
    if (env && std::strcmp(env, "0") == 0) validation = false;
    validation_enabled_ = validation && has_layer(kValidationLayer);

    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "anarchy capture tests";
    app.apiVersion = VK_API_VERSION_1_2;  // timeline semaphores gate submissions in the tests
    std::vector<const char*> layers, extensions;
    // Synchronisation validation finds missing or wrong barriers, which plain validation does not.
    VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    VkValidationFeaturesEXT features{VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
    features.enabledValidationFeatureCount = 1;
    features.pEnabledValidationFeatures = enables;
    VkDebugUtilsMessengerCreateInfoEXT messenger_info{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
    messenger_info.messageSeverity =
        VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    messenger_info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                                 VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                                 VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    messenger_info.pfnUserCallback = &LavapipeDevice::on_message;
    messenger_info.pUserData = this;
    VkInstanceCreateInfo instance_info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    instance_info.pApplicationInfo = &app;
    if (validation_enabled_) {
        layers.push_back(kValidationLayer);
        extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
        extensions.push_back(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
        features.pNext = &messenger_info;  // also reports what instance creation and destruction find
        instance_info.pNext = &features;
    }
    // VK_KHR_swapchain (for the PRESENT_SRC_KHR layout) requires VK_KHR_surface on the instance.
    if (has_instance_extension(VK_KHR_SURFACE_EXTENSION_NAME)) extensions.push_back(VK_KHR_SURFACE_EXTENSION_NAME);
    instance_info.enabledLayerCount = static_cast<uint32_t>(layers.size());
    instance_info.ppEnabledLayerNames = layers.data();
    instance_info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    instance_info.ppEnabledExtensionNames = extensions.data();
    TEST_VK(vkCreateInstance(&instance_info, nullptr, &instance_));
    if (validation_enabled_) {
        auto create_messenger = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
        TEST_VK(create_messenger(instance_, &messenger_info, nullptr, &messenger_));
    }

    uint32_t count = 0;
    TEST_VK(vkEnumeratePhysicalDevices(instance_, &count, nullptr));
    if (count == 0) throw std::runtime_error("no Vulkan physical device (is mesa-vulkan-drivers installed?)");
    std::vector<VkPhysicalDevice> devices(count);
    TEST_VK(vkEnumeratePhysicalDevices(instance_, &count, devices.data()));
    physical_device_ = devices[0];
    VkPhysicalDeviceProperties properties{};
    vkGetPhysicalDeviceProperties(physical_device_, &properties);
    device_name_ = properties.deviceName;

    uint32_t family_count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &family_count, nullptr);
    std::vector<VkQueueFamilyProperties> families(family_count);
    vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &family_count, families.data());
    queue_family_ = UINT32_MAX;
    for (uint32_t i = 0; i < family_count && queue_family_ == UINT32_MAX; ++i)
        if ((families[i].queueFlags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) ==
            (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT))
            queue_family_ = i;
    if (queue_family_ == UINT32_MAX) throw std::runtime_error("no graphics+compute queue family");

    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueFamilyIndex = queue_family_;
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    // PRESENT_SRC_KHR is a valid layout only with VK_KHR_swapchain enabled.
    std::vector<const char*> device_extensions;
    if (has_device_extension(physical_device_, VK_KHR_SWAPCHAIN_EXTENSION_NAME))
        device_extensions.push_back(VK_KHR_SWAPCHAIN_EXTENSION_NAME);
    VkPhysicalDeviceVulkan12Features features12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    features12.timelineSemaphore = VK_TRUE;
    VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    device_info.pNext = &features12;
    device_info.queueCreateInfoCount = 1;
    device_info.pQueueCreateInfos = &queue_info;
    device_info.enabledExtensionCount = static_cast<uint32_t>(device_extensions.size());
    device_info.ppEnabledExtensionNames = device_extensions.data();
    TEST_VK(vkCreateDevice(physical_device_, &device_info, nullptr, &device_));
    vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.queueFamilyIndex = queue_family_;
    TEST_VK(vkCreateCommandPool(device_, &pool_info, nullptr, &command_pool_));
}

void LavapipeDevice::destroy_device() {
    if (!device_) return;
    vkDeviceWaitIdle(device_);
    free_finished_command_buffers();
    vkDestroyCommandPool(device_, command_pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
    device_ = VK_NULL_HANDLE;
}

LavapipeDevice::~LavapipeDevice() {
    destroy_device();
    if (messenger_) {
        auto destroy_messenger = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
        destroy_messenger(instance_, messenger_, nullptr);
    }
    if (instance_) vkDestroyInstance(instance_, nullptr);
}

FrameCapturerCreateInfo LavapipeDevice::capturer_info() const {
    FrameCapturerCreateInfo info;
    info.get_instance_proc_addr = vkGetInstanceProcAddr;
    info.instance = instance_;
    info.physical_device = physical_device_;
    info.device = device_;
    info.queue_family_index = queue_family_;
    return info;
}

VKAPI_ATTR VkBool32 VKAPI_CALL LavapipeDevice::on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                          VkDebugUtilsMessageTypeFlagsEXT,
                                                          const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                          void* user) {
    auto* self = static_cast<LavapipeDevice*>(user);
    const std::string id = data->pMessageIdName ? data->pMessageIdName : "";
    const bool error = severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    std::lock_guard<std::mutex> lock(self->messages_mu_);
    bool ignored = false;
    for (const std::string& i : self->ignored_ids_)
        if (id.find(i) != std::string::npos) ignored = true;
    std::fprintf(stderr, "[validation %s%s] %s\n", error ? "error" : "warning", ignored ? ", ignored" : "",
                 data->pMessage);
    if (error && !ignored) self->errors_.push_back(id + ": " + data->pMessage);
    return VK_FALSE;
}

std::vector<std::string> LavapipeDevice::validation_errors() const {
    std::lock_guard<std::mutex> lock(messages_mu_);
    return errors_;
}

void LavapipeDevice::clear_validation_errors() {
    std::lock_guard<std::mutex> lock(messages_mu_);
    errors_.clear();
}

void LavapipeDevice::ignore_validation_id(const std::string& id) {
    std::lock_guard<std::mutex> lock(messages_mu_);
    ignored_ids_.push_back(id);
}

bool LavapipeDevice::supports_transfer_image(VkFormat format) const {
    VkFormatProperties properties{};
    vkGetPhysicalDeviceFormatProperties(physical_device_, format, &properties);
    const VkFormatFeatureFlags needed = VK_FORMAT_FEATURE_TRANSFER_SRC_BIT | VK_FORMAT_FEATURE_TRANSFER_DST_BIT;
    return (properties.optimalTilingFeatures & needed) == needed;
}

uint32_t LavapipeDevice::memory_type(uint32_t type_bits, VkMemoryPropertyFlags flags) const {
    VkPhysicalDeviceMemoryProperties properties{};
    vkGetPhysicalDeviceMemoryProperties(physical_device_, &properties);
    for (uint32_t i = 0; i < properties.memoryTypeCount; ++i)
        if ((type_bits & (1u << i)) && (properties.memoryTypes[i].propertyFlags & flags) == flags) return i;
    throw std::runtime_error("no suitable memory type");
}

TestImage LavapipeDevice::create_image(VkFormat format, VkExtent2D extent) {
    TestImage out;
    out.format = format;
    out.extent = extent;
    VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    info.imageType = VK_IMAGE_TYPE_2D;
    info.format = format;
    info.extent = {extent.width, extent.height, 1};
    info.mipLevels = 1;
    info.arrayLayers = 1;
    info.samples = VK_SAMPLE_COUNT_1_BIT;
    info.tiling = VK_IMAGE_TILING_OPTIMAL;
    info.usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;  // no SAMPLED, no STORAGE
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    TEST_VK(vkCreateImage(device_, &info, nullptr, &out.image));
    VkMemoryRequirements requirements{};
    vkGetImageMemoryRequirements(device_, out.image, &requirements);
    VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    allocate.allocationSize = requirements.size;
    allocate.memoryTypeIndex = memory_type(requirements.memoryTypeBits, 0);
    TEST_VK(vkAllocateMemory(device_, &allocate, nullptr, &out.memory));
    TEST_VK(vkBindImageMemory(device_, out.image, out.memory, 0));
    return out;
}

void LavapipeDevice::destroy_image(TestImage& image) {
    vkDestroyImage(device_, image.image, nullptr);
    vkFreeMemory(device_, image.memory, nullptr);
    image = TestImage{};
}

void LavapipeDevice::free_finished_command_buffers() {
    for (auto& [cb, fence] : pending_) {
        vkWaitForFences(device_, 1, &fence, VK_TRUE, UINT64_MAX);
        vkDestroyFence(device_, fence, nullptr);
        vkFreeCommandBuffers(device_, command_pool_, 1, &cb);
    }
    pending_.clear();
}

void LavapipeDevice::submit_commands(const std::function<void(VkCommandBuffer)>& record,
                                     const std::vector<VkSemaphore>& wait_semaphores,
                                     const std::vector<uint64_t>& wait_values,
                                     const std::vector<VkSemaphore>& signal_semaphores, bool wait) {
    VkCommandBufferAllocateInfo allocate{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    allocate.commandPool = command_pool_;
    allocate.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    allocate.commandBufferCount = 1;
    VkCommandBuffer cb = VK_NULL_HANDLE;
    TEST_VK(vkAllocateCommandBuffers(device_, &allocate, &cb));
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    TEST_VK(vkBeginCommandBuffer(cb, &begin));
    record(cb);
    TEST_VK(vkEndCommandBuffer(cb));

    std::vector<VkPipelineStageFlags> stages(wait_semaphores.size(), VK_PIPELINE_STAGE_ALL_COMMANDS_BIT);
    VkTimelineSemaphoreSubmitInfo timeline{VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO};
    timeline.waitSemaphoreValueCount = static_cast<uint32_t>(wait_values.size());
    timeline.pWaitSemaphoreValues = wait_values.data();
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    if (!wait_values.empty()) submit.pNext = &timeline;
    submit.waitSemaphoreCount = static_cast<uint32_t>(wait_semaphores.size());
    submit.pWaitSemaphores = wait_semaphores.data();
    submit.pWaitDstStageMask = stages.data();
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cb;
    submit.signalSemaphoreCount = static_cast<uint32_t>(signal_semaphores.size());
    submit.pSignalSemaphores = signal_semaphores.data();
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence = VK_NULL_HANDLE;
    TEST_VK(vkCreateFence(device_, &fence_info, nullptr, &fence));
    TEST_VK(vkQueueSubmit(queue_, 1, &submit, fence));
    pending_.emplace_back(cb, fence);
    if (wait) free_finished_command_buffers();
}

void LavapipeDevice::upload(const TestImage& image, const std::vector<uint8_t>& texels, VkImageLayout final_layout) {
    VkBufferCreateInfo buffer_info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    buffer_info.size = texels.size();
    buffer_info.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
    VkBuffer buffer = VK_NULL_HANDLE;
    TEST_VK(vkCreateBuffer(device_, &buffer_info, nullptr, &buffer));
    VkMemoryRequirements requirements{};
    vkGetBufferMemoryRequirements(device_, buffer, &requirements);
    VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    allocate.allocationSize = requirements.size;
    allocate.memoryTypeIndex = memory_type(requirements.memoryTypeBits,
                                           VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VkDeviceMemory memory = VK_NULL_HANDLE;
    TEST_VK(vkAllocateMemory(device_, &allocate, nullptr, &memory));
    TEST_VK(vkBindBufferMemory(device_, buffer, memory, 0));
    void* mapped = nullptr;
    TEST_VK(vkMapMemory(device_, memory, 0, VK_WHOLE_SIZE, 0, &mapped));
    std::memcpy(mapped, texels.data(), texels.size());
    vkUnmapMemory(device_, memory);

    submit_commands([&](VkCommandBuffer cb) {
        VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
        barrier.srcAccessMask = VK_ACCESS_HOST_WRITE_BIT;
        barrier.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
        barrier.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
        barrier.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
        barrier.srcQueueFamilyIndex = barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        barrier.image = image.image;
        barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_HOST_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0,
                             nullptr, 1, &barrier);
        VkBufferImageCopy region{};
        region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
        region.imageExtent = {image.extent.width, image.extent.height, 1};
        vkCmdCopyBufferToImage(cb, buffer, image.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
        barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
        barrier.dstAccessMask = 0;
        barrier.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
        barrier.newLayout = final_layout;
        vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, nullptr,
                             0, nullptr, 1, &barrier);
    });
    vkDestroyBuffer(device_, buffer, nullptr);
    vkFreeMemory(device_, memory, nullptr);
}

std::vector<uint8_t> LavapipeDevice::read_back(const TestImage& image, VkImageLayout layout,
                                               const std::vector<VkSemaphore>& wait_semaphores) {
    const VkDeviceSize size = VkDeviceSize(image.extent.width) * image.extent.height * 4;
    VkBufferCreateInfo buffer_info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    buffer_info.size = size;
    buffer_info.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    VkBuffer buffer = VK_NULL_HANDLE;
    TEST_VK(vkCreateBuffer(device_, &buffer_info, nullptr, &buffer));
    VkMemoryRequirements requirements{};
    vkGetBufferMemoryRequirements(device_, buffer, &requirements);
    VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    allocate.allocationSize = requirements.size;
    allocate.memoryTypeIndex = memory_type(requirements.memoryTypeBits,
                                           VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VkDeviceMemory memory = VK_NULL_HANDLE;
    TEST_VK(vkAllocateMemory(device_, &allocate, nullptr, &memory));
    TEST_VK(vkBindBufferMemory(device_, buffer, memory, 0));

    // The barrier names `layout` as the old layout: the validation layer checks that against the layout it
    // tracked, which is how the tests see that a capture left the image in its layout.
    submit_commands(
        [&](VkCommandBuffer cb) {
            VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
            barrier.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT;
            barrier.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
            barrier.oldLayout = layout;
            barrier.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
            barrier.srcQueueFamilyIndex = barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
            barrier.image = image.image;
            barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
            vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                                 nullptr, 0, nullptr, 1, &barrier);
            VkBufferImageCopy region{};
            region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
            region.imageExtent = {image.extent.width, image.extent.height, 1};
            vkCmdCopyImageToBuffer(cb, image.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer, 1, &region);
            barrier.srcAccessMask = 0;
            barrier.dstAccessMask = 0;
            barrier.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
            barrier.newLayout = layout;
            vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0,
                                 nullptr, 0, nullptr, 1, &barrier);
            VkBufferMemoryBarrier to_host{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
            to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
            to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
            to_host.srcQueueFamilyIndex = to_host.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
            to_host.buffer = buffer;
            to_host.size = VK_WHOLE_SIZE;
            vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1,
                                 &to_host, 0, nullptr);
        },
        wait_semaphores);
    void* mapped = nullptr;
    TEST_VK(vkMapMemory(device_, memory, 0, VK_WHOLE_SIZE, 0, &mapped));
    std::vector<uint8_t> out(static_cast<const uint8_t*>(mapped), static_cast<const uint8_t*>(mapped) + size);
    vkUnmapMemory(device_, memory);
    vkDestroyBuffer(device_, buffer, nullptr);
    vkFreeMemory(device_, memory, nullptr);
    return out;
}

VkSemaphore LavapipeDevice::create_binary_semaphore() {
    VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkSemaphore semaphore = VK_NULL_HANDLE;
    TEST_VK(vkCreateSemaphore(device_, &info, nullptr, &semaphore));
    return semaphore;
}

VkSemaphore LavapipeDevice::create_timeline_semaphore(uint64_t initial_value) {
    VkSemaphoreTypeCreateInfo type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
    type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
    type.initialValue = initial_value;
    VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    info.pNext = &type;
    VkSemaphore semaphore = VK_NULL_HANDLE;
    TEST_VK(vkCreateSemaphore(device_, &info, nullptr, &semaphore));
    return semaphore;
}

void LavapipeDevice::destroy_semaphore(VkSemaphore semaphore) { vkDestroySemaphore(device_, semaphore, nullptr); }

void LavapipeDevice::signal_timeline(VkSemaphore semaphore, uint64_t value) {
    VkSemaphoreSignalInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO};
    info.semaphore = semaphore;
    info.value = value;
    TEST_VK(vkSignalSemaphore(device_, &info));
}

}  // namespace anarchy::server::capture::test
