#include "vulkan_context.h"

#include "vulkan_error.h"

#include <cstdio>
#include <cstring>
#include <vector>

namespace anarchy::demo {
namespace {

/// Throws unless every name in `wanted` is in `available`; `owner` and `needed_by` make the message.
void require_extensions(const std::vector<VkExtensionProperties>& available, const std::vector<const char*>& wanted,
                        const std::string& owner, const std::string& needed_by) {
    for (const char* name : wanted) {
        bool found = false;
        for (const VkExtensionProperties& extension : available) found |= std::strcmp(extension.extensionName, name) == 0;
        if (!found) {
            throw VulkanError(owner + " lacks " + name + (needed_by.empty() ? "" : ", which " + needed_by + " needs"));
        }
    }
}

}  // namespace

VulkanContext::VulkanContext(const char* application_name, const ContextOptions& options) {
    try {
        create_instance(application_name, options);
        if (options.create_surface) surface_ = options.create_surface(instance_);
        pick_physical_device(options);
        create_device(options);
    } catch (...) {
        destroy();
        throw;
    }
}

VulkanContext::~VulkanContext() { destroy(); }

void VulkanContext::destroy() {
    one_shot_pool_.reset();
    if (device_ != VK_NULL_HANDLE) vkDestroyDevice(device_, nullptr);
    if (surface_ != VK_NULL_HANDLE) vkDestroySurfaceKHR(instance_, surface_, nullptr);
    if (instance_ != VK_NULL_HANDLE) vkDestroyInstance(instance_, nullptr);
    device_ = VK_NULL_HANDLE;
    surface_ = VK_NULL_HANDLE;
    instance_ = VK_NULL_HANDLE;
}

void VulkanContext::create_instance(const char* application_name, const ContextOptions& options) {
    uint32_t loader_version = VK_API_VERSION_1_0;
    VK_CHECK(vkEnumerateInstanceVersion(&loader_version));
    if (loader_version < VK_API_VERSION_1_3) {
        throw VulkanError("the Vulkan loader supports version " + std::to_string(VK_API_VERSION_MAJOR(loader_version)) +
                          "." + std::to_string(VK_API_VERSION_MINOR(loader_version)) +
                          "; the demo needs Vulkan 1.3");
    }
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = application_name;
    app.applicationVersion = VK_MAKE_API_VERSION(0, 1, 0, 0);
    app.pEngineName = "anarchy-demo";
    app.engineVersion = VK_MAKE_API_VERSION(0, 1, 0, 0);
    app.apiVersion = VK_API_VERSION_1_3;

    if (!options.instance_extensions.empty()) {
        uint32_t count = 0;
        VK_CHECK(vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr));
        std::vector<VkExtensionProperties> available(count);
        VkResult result = vkEnumerateInstanceExtensionProperties(nullptr, &count, available.data());
        if (result != VK_INCOMPLETE) VK_CHECK(result);
        available.resize(count);
        require_extensions(available, options.instance_extensions, "the Vulkan instance", options.needed_by);
    }

    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.pApplicationInfo = &app;
    info.enabledExtensionCount = uint32_t(options.instance_extensions.size());
    info.ppEnabledExtensionNames = options.instance_extensions.data();
    VK_CHECK(vkCreateInstance(&info, nullptr, &instance_));
}

void VulkanContext::pick_physical_device(const ContextOptions& options) {
    uint32_t count = 0;
    VK_CHECK(vkEnumeratePhysicalDevices(instance_, &count, nullptr));
    if (count == 0) throw VulkanError("vkEnumeratePhysicalDevices found no Vulkan device");
    std::vector<VkPhysicalDevice> devices(count);
    VkResult result = vkEnumeratePhysicalDevices(instance_, &count, devices.data());
    // VK_INCOMPLETE only means a device appeared in between; the first one is all we use.
    if (result != VK_INCOMPLETE) VK_CHECK(result);
    physical_device_ = devices.at(0);

    vkGetPhysicalDeviceProperties(physical_device_, &properties_);
    vkGetPhysicalDeviceMemoryProperties(physical_device_, &memory_properties_);
    const std::string name = properties_.deviceName;
    if (properties_.apiVersion < VK_API_VERSION_1_3) {
        throw VulkanError("device \"" + name + "\" supports Vulkan " +
                          std::to_string(VK_API_VERSION_MAJOR(properties_.apiVersion)) + "." +
                          std::to_string(VK_API_VERSION_MINOR(properties_.apiVersion)) +
                          "; the demo needs Vulkan 1.3 (dynamic rendering)");
    }
    VkPhysicalDeviceVulkan13Features features13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
    VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    features.pNext = &features13;
    vkGetPhysicalDeviceFeatures2(physical_device_, &features);
    if (!features13.dynamicRendering) {
        throw VulkanError("device \"" + name + "\" lacks the Vulkan 1.3 feature dynamicRendering, which the demo needs");
    }
    if (!options.device_extensions.empty()) {
        uint32_t count = 0;
        VK_CHECK(vkEnumerateDeviceExtensionProperties(physical_device_, nullptr, &count, nullptr));
        std::vector<VkExtensionProperties> available(count);
        VkResult result = vkEnumerateDeviceExtensionProperties(physical_device_, nullptr, &count, available.data());
        if (result != VK_INCOMPLETE) VK_CHECK(result);
        available.resize(count);
        require_extensions(available, options.device_extensions, "device \"" + name + "\"", options.needed_by);
    }

    uint32_t family_count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &family_count, nullptr);
    std::vector<VkQueueFamilyProperties> families(family_count);
    vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &family_count, families.data());
    // One queue draws and presents: a device whose graphics queues cannot present is not worth a second
    // queue and the ownership transfers it would need in a demo.
    for (uint32_t i = 0; i < family_count; ++i) {
        if (families[i].queueCount == 0 || !(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) continue;
        VkBool32 presents = VK_TRUE;
        if (surface_ != VK_NULL_HANDLE) {
            VK_CHECK(vkGetPhysicalDeviceSurfaceSupportKHR(physical_device_, i, surface_, &presents));
        }
        if (presents) {
            queue_family_ = i;
            return;
        }
    }
    throw VulkanError("device \"" + name + "\" has no graphics queue" +
                      (surface_ != VK_NULL_HANDLE ? " that can present to the surface" : ""));
}

void VulkanContext::create_device(const ContextOptions& options) {
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueFamilyIndex = queue_family_;
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;

    VkPhysicalDeviceVulkan13Features features13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
    features13.dynamicRendering = VK_TRUE;
    VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    features.pNext = &features13;

    VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    info.pNext = &features;
    info.queueCreateInfoCount = 1;
    info.pQueueCreateInfos = &queue_info;
    info.enabledExtensionCount = uint32_t(options.device_extensions.size());
    info.ppEnabledExtensionNames = options.device_extensions.data();
    VK_CHECK(vkCreateDevice(physical_device_, &info, nullptr, &device_));
    vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
    pool_info.queueFamilyIndex = queue_family_;
    VK_CHECK(vkCreateCommandPool(device_, &pool_info, nullptr, one_shot_pool_.put(device_)));
}

uint32_t VulkanContext::find_memory_type(uint32_t type_bits, VkMemoryPropertyFlags required) const {
    for (uint32_t i = 0; i < memory_properties_.memoryTypeCount; ++i) {
        if ((type_bits & (1u << i)) && (memory_properties_.memoryTypes[i].propertyFlags & required) == required) {
            return i;
        }
    }
    char message[128];
    std::snprintf(message, sizeof message, "no memory type with properties 0x%x among allowed types 0x%x",
                  static_cast<unsigned>(required), static_cast<unsigned>(type_bits));
    throw VulkanError(message);
}

void VulkanContext::submit_and_wait(const std::function<void(VkCommandBuffer)>& record) const {
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = one_shot_pool_.get();
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VK_CHECK(vkAllocateCommandBuffers(device_, &alloc, &cmd));
    struct FreeOnExit {
        VkDevice device;
        VkCommandPool pool;
        VkCommandBuffer cmd;
        ~FreeOnExit() { vkFreeCommandBuffers(device, pool, 1, &cmd); }
    } free_on_exit{device_, one_shot_pool_.get(), cmd};

    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    VK_CHECK(vkBeginCommandBuffer(cmd, &begin));
    record(cmd);
    VK_CHECK(vkEndCommandBuffer(cmd));

    UniqueFence fence;
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VK_CHECK(vkCreateFence(device_, &fence_info, nullptr, fence.put(device_)));
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;
    VK_CHECK(vkQueueSubmit(queue_, 1, &submit, fence.get()));
    VkFence wait = fence.get();
    VK_CHECK(vkWaitForFences(device_, 1, &wait, VK_TRUE, UINT64_MAX));
}

}  // namespace anarchy::demo
