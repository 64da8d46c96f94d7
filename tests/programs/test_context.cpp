#include "test_context.h"

#include <cstdio>
#include <cstring>
#include <string_view>

namespace anarchy::testprog {

std::string result_name(VkResult result) {
    switch (result) {
#define RESULT_CASE(name) \
    case name:            \
        return #name;
        RESULT_CASE(VK_SUCCESS)
        RESULT_CASE(VK_NOT_READY)
        RESULT_CASE(VK_TIMEOUT)
        RESULT_CASE(VK_EVENT_SET)
        RESULT_CASE(VK_EVENT_RESET)
        RESULT_CASE(VK_INCOMPLETE)
        RESULT_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
        RESULT_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        RESULT_CASE(VK_ERROR_INITIALIZATION_FAILED)
        RESULT_CASE(VK_ERROR_DEVICE_LOST)
        RESULT_CASE(VK_ERROR_MEMORY_MAP_FAILED)
        RESULT_CASE(VK_ERROR_LAYER_NOT_PRESENT)
        RESULT_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
        RESULT_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
        RESULT_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
        RESULT_CASE(VK_ERROR_TOO_MANY_OBJECTS)
        RESULT_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
        RESULT_CASE(VK_ERROR_FRAGMENTED_POOL)
        RESULT_CASE(VK_ERROR_UNKNOWN)
        RESULT_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
        RESULT_CASE(VK_ERROR_INVALID_EXTERNAL_HANDLE)
        RESULT_CASE(VK_ERROR_FRAGMENTATION)
        RESULT_CASE(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
        RESULT_CASE(VK_PIPELINE_COMPILE_REQUIRED)
        RESULT_CASE(VK_ERROR_IMAGE_USAGE_NOT_SUPPORTED_KHR)
        RESULT_CASE(VK_ERROR_VIDEO_PICTURE_LAYOUT_NOT_SUPPORTED_KHR)
        RESULT_CASE(VK_ERROR_VIDEO_PROFILE_OPERATION_NOT_SUPPORTED_KHR)
        RESULT_CASE(VK_ERROR_VIDEO_PROFILE_FORMAT_NOT_SUPPORTED_KHR)
        RESULT_CASE(VK_ERROR_VIDEO_PROFILE_CODEC_NOT_SUPPORTED_KHR)
        RESULT_CASE(VK_ERROR_VIDEO_STD_VERSION_NOT_SUPPORTED_KHR)
#undef RESULT_CASE
        default:
            return "VkResult " + std::to_string(int(result));
    }
}

namespace {

// "vkCreateBuffer(device, &info, nullptr, &buffer)" -> "vkCreateBuffer": the arguments only add noise.
std::string call_name(const char* call) {
    std::string name(call);
    auto paren = name.find('(');
    return paren == std::string::npos ? name : name.substr(0, paren);
}

std::string hex(uint64_t value) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%llx", (unsigned long long)value);
    return text;
}

std::string where(const char* file, int line) {
    const char* slash = std::strrchr(file, '/');
    return std::string(slash ? slash + 1 : file) + ":" + std::to_string(line);
}

}  // namespace

void check_result(VkResult result, const char* call, const char* file, int line) {
    if (result != VK_SUCCESS)
        throw TestFailure(call_name(call) + " returned " + result_name(result) + " (" + where(file, line) + ")");
}

void expect_result(VkResult result, VkResult expected, const char* call, const char* file, int line) {
    if (result != expected)
        throw TestFailure(call_name(call) + " returned " + result_name(result) + ", expected " + result_name(expected) +
                          " (" + where(file, line) + ")");
}

void require(bool condition, const std::string& message) {
    if (!condition) throw TestFailure(message);
}

TestContext::TestContext(ContextNeeds needs) {
    try {
        create_instance();
        pick_physical_device();
        create_device(needs);
        one_shot_pool_ = create_command_pool(VK_COMMAND_POOL_CREATE_TRANSIENT_BIT);
    } catch (...) {
        destroy();  // the destructor does not run when the constructor throws
        throw;
    }
}

TestContext::~TestContext() {
    destroy();
}

void TestContext::destroy() {
    if (device_) {
        vkDeviceWaitIdle(device_);  // nothing useful to do with a failure while tearing down
        for (auto it = owned_.rbegin(); it != owned_.rend(); ++it) (*it)();
        owned_.clear();
        vkDestroyDevice(device_, nullptr);
        device_ = VK_NULL_HANDLE;
    }
    if (instance_) {
        vkDestroyInstance(instance_, nullptr);
        instance_ = VK_NULL_HANDLE;
    }
}

void TestContext::create_instance() {
    uint32_t version = VK_API_VERSION_1_0;
    VK_CHECK(vkEnumerateInstanceVersion(&version));
    require(version >= VK_API_VERSION_1_3, "the Vulkan loader does not support Vulkan 1.3");

    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "anarchy_testprog";
    app.applicationVersion = 1;
    app.apiVersion = VK_API_VERSION_1_3;
    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.pApplicationInfo = &app;
    VK_CHECK(vkCreateInstance(&info, nullptr, &instance_));
}

void TestContext::pick_physical_device() {
    uint32_t count = 0;
    VK_CHECK(vkEnumeratePhysicalDevices(instance_, &count, nullptr));
    require(count > 0, "no Vulkan physical device");
    std::vector<VkPhysicalDevice> devices(count);
    VkResult result = vkEnumeratePhysicalDevices(instance_, &count, devices.data());
    if (result != VK_INCOMPLETE) VK_CHECK(result);
    // The first device, always: the native and the remote run must pick the same one.
    physical_device_ = devices[0];
    vkGetPhysicalDeviceProperties(physical_device_, &properties_);
    vkGetPhysicalDeviceMemoryProperties(physical_device_, &memory_properties_);
    require(properties_.apiVersion >= VK_API_VERSION_1_3,
            std::string("device ") + properties_.deviceName + " does not support Vulkan 1.3");

    uint32_t family_count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &family_count, nullptr);
    std::vector<VkQueueFamilyProperties> families(family_count);
    vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &family_count, families.data());
    const VkQueueFlags wanted = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT;
    for (uint32_t i = 0; i < family_count; ++i) {
        if ((families[i].queueFlags & wanted) == wanted && families[i].queueCount > 0) {
            queue_family_ = i;
            queue_family_properties_ = families[i];
            return;
        }
    }
    throw TestFailure(std::string("device ") + properties_.deviceName + " has no graphics+compute queue family");
}

void TestContext::create_device(const ContextNeeds& needs) {
    VkPhysicalDeviceVulkan13Features supported13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
    VkPhysicalDeviceVulkan12Features supported12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    supported12.pNext = &supported13;
    VkPhysicalDeviceFeatures2 supported{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    supported.pNext = &supported12;
    vkGetPhysicalDeviceFeatures2(physical_device_, &supported);

    std::string missing;
    if (!supported13.dynamicRendering) missing += " dynamicRendering";
    if (!supported13.synchronization2) missing += " synchronization2";
    if (!supported12.timelineSemaphore) missing += " timelineSemaphore";
    require(missing.empty(), std::string("device ") + properties_.deviceName + " lacks features:" + missing);
    host_query_reset_ = supported12.hostQueryReset;
    occlusion_query_precise_ = supported.features.occlusionQueryPrecise;

    VkPhysicalDeviceVulkan13Features enabled13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
    enabled13.dynamicRendering = VK_TRUE;
    enabled13.synchronization2 = VK_TRUE;
    VkPhysicalDeviceVulkan12Features enabled12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    enabled12.pNext = &enabled13;
    enabled12.timelineSemaphore = VK_TRUE;
    enabled12.hostQueryReset = host_query_reset_;
    VkPhysicalDeviceFeatures2 enabled{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    enabled.pNext = &enabled12;
    enabled.features.occlusionQueryPrecise = occlusion_query_precise_;

    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueFamilyIndex = queue_family_;
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    uint32_t extension_count = 0;
    vkEnumerateDeviceExtensionProperties(physical_device_, nullptr, &extension_count, nullptr);
    std::vector<VkExtensionProperties> extensions(extension_count);
    vkEnumerateDeviceExtensionProperties(physical_device_, nullptr, &extension_count, extensions.data());
    auto offered = [&](const char* name) {
        for (const auto& e : extensions)
            if (std::string_view(e.extensionName) == name) return true;
        return false;
    };
    push_descriptor_ = offered(VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
    std::vector<const char*> enabled_extensions;
    if (push_descriptor_) enabled_extensions.push_back(VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);

    VkPhysicalDeviceAccelerationStructureFeaturesKHR as_features{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ACCELERATION_STRUCTURE_FEATURES_KHR};
    VkPhysicalDeviceRayTracingPipelineFeaturesKHR rt_features{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_PIPELINE_FEATURES_KHR, &as_features};
    if (needs.ray_tracing) {
        for (const char* name : {VK_KHR_ACCELERATION_STRUCTURE_EXTENSION_NAME, VK_KHR_RAY_TRACING_PIPELINE_EXTENSION_NAME,
                                 VK_KHR_DEFERRED_HOST_OPERATIONS_EXTENSION_NAME}) {
            if (!offered(name)) throw Unsupported(std::string("the device does not offer ") + name);
            enabled_extensions.push_back(name);
        }
        VkPhysicalDeviceFeatures2 query{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &rt_features};
        vkGetPhysicalDeviceFeatures2(physical_device_, &query);
        if (!as_features.accelerationStructure || !rt_features.rayTracingPipeline || !supported12.bufferDeviceAddress)
            throw Unsupported("the device lacks accelerationStructure, rayTracingPipeline or bufferDeviceAddress");
        // Only what the program uses.
        as_features = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ACCELERATION_STRUCTURE_FEATURES_KHR};
        as_features.accelerationStructure = VK_TRUE;
        rt_features = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_PIPELINE_FEATURES_KHR, &as_features};
        rt_features.rayTracingPipeline = VK_TRUE;
        enabled12.bufferDeviceAddress = VK_TRUE;
        enabled13.pNext = &rt_features;
    }

    VkPhysicalDevicePipelineBinaryFeaturesKHR binary_features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_BINARY_FEATURES_KHR};
    VkPhysicalDeviceMaintenance5FeaturesKHR maintenance5{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_5_FEATURES_KHR,
                                                         &binary_features};
    if (needs.pipeline_binary) {
        for (const char* name : {VK_KHR_MAINTENANCE_5_EXTENSION_NAME, VK_KHR_PIPELINE_BINARY_EXTENSION_NAME}) {
            if (!offered(name)) throw Unsupported(std::string("the device does not offer ") + name);
            enabled_extensions.push_back(name);
        }
        VkPhysicalDeviceFeatures2 query{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &maintenance5};
        vkGetPhysicalDeviceFeatures2(physical_device_, &query);
        if (!binary_features.pipelineBinaries || !maintenance5.maintenance5)
            throw Unsupported("the device lacks pipelineBinaries or maintenance5");
        maintenance5.pNext = &binary_features;
        binary_features.pNext = enabled13.pNext;  // after whatever ray tracing chained there
        enabled13.pNext = &maintenance5;
    }

    std::vector<VkDeviceQueueCreateInfo> queue_infos{queue_info};
    if (needs.video_decode) {
        for (const char* name : {VK_KHR_VIDEO_QUEUE_EXTENSION_NAME, VK_KHR_VIDEO_DECODE_QUEUE_EXTENSION_NAME,
                                 VK_KHR_VIDEO_DECODE_H264_EXTENSION_NAME}) {
            if (!offered(name)) throw Unsupported(std::string("the device does not offer ") + name);
            enabled_extensions.push_back(name);
        }
        find_video_decode_queue_family();
        if (video_decode_queue_family_ != queue_family_) {
            queue_info.queueFamilyIndex = video_decode_queue_family_;
            queue_infos.push_back(queue_info);
        }
    }

    VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    info.pNext = &enabled;
    info.enabledExtensionCount = uint32_t(enabled_extensions.size());
    info.ppEnabledExtensionNames = enabled_extensions.data();
    info.queueCreateInfoCount = uint32_t(queue_infos.size());
    info.pQueueCreateInfos = queue_infos.data();
    VK_CHECK(vkCreateDevice(physical_device_, &info, nullptr, &device_));
    vkGetDeviceQueue(device_, queue_family_, 0, &queue_);
    if (needs.video_decode) vkGetDeviceQueue(device_, video_decode_queue_family_, 0, &video_decode_queue_);
}

void TestContext::find_video_decode_queue_family() {
    // Asked only once VK_KHR_video_queue is known to be offered: its structures may not be chained before.
    uint32_t count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties2(physical_device_, &count, nullptr);
    std::vector<VkQueueFamilyVideoPropertiesKHR> video(count, {VK_STRUCTURE_TYPE_QUEUE_FAMILY_VIDEO_PROPERTIES_KHR});
    std::vector<VkQueueFamilyQueryResultStatusPropertiesKHR> status(
        count, {VK_STRUCTURE_TYPE_QUEUE_FAMILY_QUERY_RESULT_STATUS_PROPERTIES_KHR});
    std::vector<VkQueueFamilyProperties2> families(count, {VK_STRUCTURE_TYPE_QUEUE_FAMILY_PROPERTIES_2});
    for (uint32_t i = 0; i < count; ++i) {
        status[i].pNext = &video[i];
        families[i].pNext = &status[i];
    }
    vkGetPhysicalDeviceQueueFamilyProperties2(physical_device_, &count, families.data());
    for (uint32_t i = 0; i < count; ++i) {
        if ((families[i].queueFamilyProperties.queueFlags & VK_QUEUE_VIDEO_DECODE_BIT_KHR) &&
            families[i].queueFamilyProperties.queueCount > 0 &&
            (video[i].videoCodecOperations & VK_VIDEO_CODEC_OPERATION_DECODE_H264_BIT_KHR)) {
            video_decode_queue_family_ = i;
            video_decode_result_status_queries_ = status[i].queryResultStatusSupport;
            return;
        }
    }
    throw Unsupported(std::string("device ") + properties_.deviceName + " has no queue family that decodes H.264");
}

uint32_t TestContext::find_memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                                       VkMemoryPropertyFlags avoid) const {
    for (int pass = 0; pass < 2; ++pass) {
        for (uint32_t i = 0; i < memory_properties_.memoryTypeCount; ++i) {
            VkMemoryPropertyFlags flags = memory_properties_.memoryTypes[i].propertyFlags;
            if (!(type_bits & (1u << i)) || (flags & required) != required) continue;
            if (pass == 0 && (flags & avoid)) continue;
            return i;
        }
    }
    throw TestFailure("no memory type with property flags " + hex(required) + " among allowed types " + hex(type_bits));
}

Buffer TestContext::create_buffer(VkDeviceSize size, VkBufferUsageFlags usage, VkMemoryPropertyFlags required,
                                  VkMemoryPropertyFlags avoid) {
    Buffer buffer;
    buffer.size = size;
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = size;
    info.usage = usage;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VK_CHECK(vkCreateBuffer(device_, &info, nullptr, &buffer.buffer));
    own(buffer.buffer, vkDestroyBuffer);

    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(device_, buffer.buffer, &requirements);
    uint32_t type = find_memory_type(requirements.memoryTypeBits, required, avoid);
    buffer.memory_flags = memory_properties_.memoryTypes[type].propertyFlags;
    buffer.allocation_size = requirements.size;
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = type;
    VK_CHECK(vkAllocateMemory(device_, &alloc, nullptr, &buffer.memory));
    own(buffer.memory, vkFreeMemory);  // freeing also unmaps
    VK_CHECK(vkBindBufferMemory(device_, buffer.buffer, buffer.memory, 0));
    if (buffer.memory_flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)
        VK_CHECK(vkMapMemory(device_, buffer.memory, 0, VK_WHOLE_SIZE, 0, &buffer.mapped));
    return buffer;
}

Buffer TestContext::create_buffer_with_data(const void* data, VkDeviceSize size, VkBufferUsageFlags usage) {
    Buffer staging = create_buffer(size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                   VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    std::memcpy(staging.mapped, data, size);
    Buffer buffer = create_buffer(size, usage | VK_BUFFER_USAGE_TRANSFER_DST_BIT, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    submit_and_wait([&](VkCommandBuffer cmd) {
        VkBufferCopy region{0, 0, size};
        vkCmdCopyBuffer(cmd, staging.buffer, buffer.buffer, 1, &region);
        // Later submissions may read it anywhere; the fence wait covers only host visibility.
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                       VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, VK_ACCESS_2_MEMORY_READ_BIT);
    });
    return buffer;
}

Image TestContext::create_image(const ImageDesc& desc) {
    Image image;
    image.format = desc.format;
    image.extent = desc.extent;
    image.aspect = desc.aspect;
    VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    info.imageType = VK_IMAGE_TYPE_2D;
    info.format = desc.format;
    info.extent = {desc.extent.width, desc.extent.height, 1};
    info.mipLevels = 1;
    info.arrayLayers = 1;
    info.samples = desc.samples;
    info.tiling = VK_IMAGE_TILING_OPTIMAL;
    info.usage = desc.usage;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    VK_CHECK(vkCreateImage(device_, &info, nullptr, &image.image));
    own(image.image, vkDestroyImage);

    VkMemoryRequirements requirements;
    vkGetImageMemoryRequirements(device_, image.image, &requirements);
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = find_memory_type(requirements.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    VK_CHECK(vkAllocateMemory(device_, &alloc, nullptr, &image.memory));
    own(image.memory, vkFreeMemory);
    VK_CHECK(vkBindImageMemory(device_, image.image, image.memory, 0));

    const VkImageUsageFlags viewable =
        VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_STORAGE_BIT | VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
        VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT | VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT;
    if (!(desc.usage & viewable)) return image;  // a transfer-only image may not have a view
    VkImageViewCreateInfo view{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    view.image = image.image;
    view.viewType = VK_IMAGE_VIEW_TYPE_2D;
    view.format = desc.format;
    view.subresourceRange = {desc.aspect, 0, 1, 0, 1};
    VK_CHECK(vkCreateImageView(device_, &view, nullptr, &image.view));
    own(image.view, vkDestroyImageView);
    return image;
}

VkShaderModule TestContext::create_shader_module(std::span<const uint32_t> spirv) {
    VkShaderModuleCreateInfo info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    info.codeSize = spirv.size_bytes();
    info.pCode = spirv.data();
    VkShaderModule module;
    VK_CHECK(vkCreateShaderModule(device_, &info, nullptr, &module));
    return own(module, vkDestroyShaderModule);
}

VkCommandPool TestContext::create_command_pool(VkCommandPoolCreateFlags flags) {
    VkCommandPoolCreateInfo info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    info.flags = flags;
    info.queueFamilyIndex = queue_family_;
    VkCommandPool pool;
    VK_CHECK(vkCreateCommandPool(device_, &info, nullptr, &pool));
    return own(pool, vkDestroyCommandPool);
}

VkCommandBuffer TestContext::allocate_command_buffer(VkCommandPool pool, VkCommandBufferLevel level) {
    VkCommandBufferAllocateInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    info.commandPool = pool;
    info.level = level;
    info.commandBufferCount = 1;
    VkCommandBuffer cmd;
    VK_CHECK(vkAllocateCommandBuffers(device_, &info, &cmd));
    return cmd;  // freed with its pool
}

VkFence TestContext::create_fence(bool signaled) {
    VkFenceCreateInfo info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    info.flags = signaled ? VK_FENCE_CREATE_SIGNALED_BIT : 0;
    VkFence fence;
    VK_CHECK(vkCreateFence(device_, &info, nullptr, &fence));
    return own(fence, vkDestroyFence);
}

VkSemaphore TestContext::create_binary_semaphore() {
    VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkSemaphore semaphore;
    VK_CHECK(vkCreateSemaphore(device_, &info, nullptr, &semaphore));
    return own(semaphore, vkDestroySemaphore);
}

VkSemaphore TestContext::create_timeline_semaphore(uint64_t initial_value) {
    VkSemaphoreTypeCreateInfo type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
    type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
    type.initialValue = initial_value;
    VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    info.pNext = &type;
    VkSemaphore semaphore;
    VK_CHECK(vkCreateSemaphore(device_, &info, nullptr, &semaphore));
    return own(semaphore, vkDestroySemaphore);
}

void TestContext::submit_and_wait(const std::function<void(VkCommandBuffer)>& record) {
    // Returns the command buffer and the fence however this ends; after a failure the device is drained
    // first, since the command buffer may still be pending.
    struct OneShot {
        VkDevice device;
        VkCommandPool pool;
        VkCommandBuffer cmd = VK_NULL_HANDLE;
        VkFence fence = VK_NULL_HANDLE;
        bool completed = false;
        ~OneShot() {
            if (!completed) vkDeviceWaitIdle(device);
            if (cmd) vkFreeCommandBuffers(device, pool, 1, &cmd);
            if (fence) vkDestroyFence(device, fence, nullptr);
        }
    } one_shot{device_, one_shot_pool_};

    one_shot.cmd = allocate_command_buffer(one_shot_pool_);
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VK_CHECK(vkCreateFence(device_, &fence_info, nullptr, &one_shot.fence));

    begin_command_buffer(one_shot.cmd);
    record(one_shot.cmd);
    VK_CHECK(vkEndCommandBuffer(one_shot.cmd));
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &one_shot.cmd;
    VK_CHECK(vkQueueSubmit(queue_, 1, &submit, one_shot.fence));
    VK_CHECK(vkWaitForFences(device_, 1, &one_shot.fence, VK_TRUE, UINT64_MAX));
    one_shot.completed = true;
}

VkFormat TestContext::find_depth_format() const {
    // Depth-only formats, so views need no stencil aspect; D16_UNORM is always supported.
    for (VkFormat format : {VK_FORMAT_D32_SFLOAT, VK_FORMAT_D16_UNORM}) {
        VkFormatProperties props;
        vkGetPhysicalDeviceFormatProperties(physical_device_, format, &props);
        if (props.optimalTilingFeatures & VK_FORMAT_FEATURE_DEPTH_STENCIL_ATTACHMENT_BIT) return format;
    }
    throw TestFailure("no depth attachment format (D32_SFLOAT, D16_UNORM)");
}

void TestContext::require_sample_count(VkFormat format, VkImageUsageFlags usage, VkSampleCountFlagBits samples) const {
    VkImageFormatProperties props;
    VK_CHECK(vkGetPhysicalDeviceImageFormatProperties(physical_device_, format, VK_IMAGE_TYPE_2D,
                                                      VK_IMAGE_TILING_OPTIMAL, usage, 0, &props));
    require(props.sampleCounts & samples,
            "format " + std::to_string(format) + " does not support " + std::to_string(samples) + " samples");
}

void TestContext::require_format_features(VkFormat format, VkFormatFeatureFlags features) const {
    VkFormatProperties props;
    vkGetPhysicalDeviceFormatProperties(physical_device_, format, &props);
    require((props.optimalTilingFeatures & features) == features,
            "format " + std::to_string(format) + " lacks optimal-tiling features " + hex(features));
}

void begin_command_buffer(VkCommandBuffer cmd) {
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    VK_CHECK(vkBeginCommandBuffer(cmd, &begin));
}

void image_barrier(VkCommandBuffer cmd, const Image& image, VkImageLayout old_layout, VkImageLayout new_layout,
                   VkPipelineStageFlags2 src_stage, VkAccessFlags2 src_access, VkPipelineStageFlags2 dst_stage,
                   VkAccessFlags2 dst_access) {
    VkImageMemoryBarrier2 barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2};
    barrier.srcStageMask = src_stage;
    barrier.srcAccessMask = src_access;
    barrier.dstStageMask = dst_stage;
    barrier.dstAccessMask = dst_access;
    barrier.oldLayout = old_layout;
    barrier.newLayout = new_layout;
    barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.image = image.image;
    barrier.subresourceRange = {image.aspect, 0, 1, 0, 1};
    VkDependencyInfo dependency{VK_STRUCTURE_TYPE_DEPENDENCY_INFO};
    dependency.imageMemoryBarrierCount = 1;
    dependency.pImageMemoryBarriers = &barrier;
    vkCmdPipelineBarrier2(cmd, &dependency);
}

void memory_barrier(VkCommandBuffer cmd, VkPipelineStageFlags2 src_stage, VkAccessFlags2 src_access,
                    VkPipelineStageFlags2 dst_stage, VkAccessFlags2 dst_access) {
    VkMemoryBarrier2 barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER_2};
    barrier.srcStageMask = src_stage;
    barrier.srcAccessMask = src_access;
    barrier.dstStageMask = dst_stage;
    barrier.dstAccessMask = dst_access;
    VkDependencyInfo dependency{VK_STRUCTURE_TYPE_DEPENDENCY_INFO};
    dependency.memoryBarrierCount = 1;
    dependency.pMemoryBarriers = &barrier;
    vkCmdPipelineBarrier2(cmd, &dependency);
}

void copy_image_to_buffer(VkCommandBuffer cmd, const Image& image, VkBuffer buffer, VkDeviceSize offset) {
    VkBufferImageCopy region{};
    region.bufferOffset = offset;
    region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.imageExtent = {image.extent.width, image.extent.height, 1};
    vkCmdCopyImageToBuffer(cmd, image.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer, 1, &region);
}

}  // namespace anarchy::testprog
