#include "wsi_device.h"

#include <vulkan/vulkan.h>

#include <cstring>
#include <string>

#include "check.h"
#include "progress.h"
#include "test_window.h"

namespace anarchy::wsitest {

namespace {

bool has_instance_extension(const char* name) {
    uint32_t count = 0;
    VK_CHECK(vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr));
    std::vector<VkExtensionProperties> extensions(count);
    VK_CHECK(vkEnumerateInstanceExtensionProperties(nullptr, &count, extensions.data()));
    for (const VkExtensionProperties& extension : extensions)
        if (std::strcmp(extension.extensionName, name) == 0) return true;
    return false;
}

bool has_device_extension(VkPhysicalDevice physical_device, const char* name) {
    uint32_t count = 0;
    VK_CHECK(vkEnumerateDeviceExtensionProperties(physical_device, nullptr, &count, nullptr));
    std::vector<VkExtensionProperties> extensions(count);
    VK_CHECK(vkEnumerateDeviceExtensionProperties(physical_device, nullptr, &count, extensions.data()));
    for (const VkExtensionProperties& extension : extensions)
        if (std::strcmp(extension.extensionName, name) == 0) return true;
    return false;
}

}  // namespace

WsiDevice::WsiDevice(Progress& progress, TestWindow& window, Extras extras) : progress_(progress) {
    try {
        create_instance(TestWindow::surface_extension(), extras);
        progress_.step(std::string("creating the surface (") + TestWindow::surface_extension() + ")");
        surface_ = window.create_surface(instance_);
        pick_device(&window);
        create_device(extras);
    } catch (...) {
        destroy();
        throw;
    }
}

WsiDevice::WsiDevice(Progress& progress) : progress_(progress) {
    try {
        create_instance(VK_EXT_HEADLESS_SURFACE_EXTENSION_NAME, Extras::None);
        progress_.step("vkCreateHeadlessSurfaceEXT");
        // The loader need not export extension commands: look it up like any application would.
        auto create_headless = reinterpret_cast<PFN_vkCreateHeadlessSurfaceEXT>(
            vkGetInstanceProcAddr(instance_, "vkCreateHeadlessSurfaceEXT"));
        require(create_headless != nullptr, "vkGetInstanceProcAddr(vkCreateHeadlessSurfaceEXT) returned null");
        VkHeadlessSurfaceCreateInfoEXT info{VK_STRUCTURE_TYPE_HEADLESS_SURFACE_CREATE_INFO_EXT};
        VK_CHECK(create_headless(instance_, &info, nullptr, &surface_));
        pick_device(nullptr);
        create_device(Extras::None);
    } catch (...) {
        destroy();
        throw;
    }
}

WsiDevice::~WsiDevice() { destroy(); }

void WsiDevice::destroy() {
    if (device_) {
        progress_.cleanup_step("vkDeviceWaitIdle before vkDestroyDevice");
        vkDeviceWaitIdle(device_);
        vkDestroyDevice(device_, nullptr);
        device_ = VK_NULL_HANDLE;
    }
    if (surface_) vkDestroySurfaceKHR(instance_, surface_, nullptr);
    surface_ = VK_NULL_HANDLE;
    if (instance_) vkDestroyInstance(instance_, nullptr);
    instance_ = VK_NULL_HANDLE;
}

void WsiDevice::create_instance(const char* surface_extension, Extras extras) {
    progress_.step("vkCreateInstance");
    std::vector<const char*> extensions = {VK_KHR_SURFACE_EXTENSION_NAME, surface_extension};
    if (extras == Extras::SwapchainMaintenance1) {
        extensions.push_back(VK_KHR_GET_SURFACE_CAPABILITIES_2_EXTENSION_NAME);
        extensions.push_back(VK_EXT_SURFACE_MAINTENANCE_1_EXTENSION_NAME);
    } else if (extras == Extras::SharedPresentableImage || extras == Extras::LowLatency2 ||
               extras == Extras::PresentBarrier) {
        extensions.push_back(VK_KHR_GET_SURFACE_CAPABILITIES_2_EXTENSION_NAME);
    } else if (extras == Extras::PresentWait2) {
        extensions.push_back(VK_KHR_GET_SURFACE_CAPABILITIES_2_EXTENSION_NAME);
        extensions.push_back(VK_EXT_SWAPCHAIN_COLOR_SPACE_EXTENSION_NAME);
        extensions.push_back(VK_KHR_SURFACE_PROTECTED_CAPABILITIES_EXTENSION_NAME);
    }
    for (const char* name : extensions)
        if (!has_instance_extension(name)) throw Unsupported(std::string("the Vulkan instance does not offer ") + name);

    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "anarchy_wsi_test";
    // VK_NV_low_latency2 signals timeline semaphores, core in Vulkan 1.2.
    app.apiVersion = extras == Extras::LowLatency2 ? VK_API_VERSION_1_2 : VK_API_VERSION_1_1;
    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.pApplicationInfo = &app;
    info.enabledExtensionCount = uint32_t(extensions.size());
    info.ppEnabledExtensionNames = extensions.data();
    VK_CHECK(vkCreateInstance(&info, nullptr, &instance_));
}

void WsiDevice::pick_device(TestWindow* window) {
    progress_.step("choosing the physical device and queue family");
    uint32_t count = 0;
    VK_CHECK(vkEnumeratePhysicalDevices(instance_, &count, nullptr));
    require(count > 0, "vkEnumeratePhysicalDevices found no physical device");
    std::vector<VkPhysicalDevice> devices(count);
    VK_CHECK(vkEnumeratePhysicalDevices(instance_, &count, devices.data()));
    // The first device is the one meant (the test harness picks the driver with VK_ICD_FILENAMES).
    physical_device_ = devices[0];
    VkPhysicalDeviceProperties properties{};
    vkGetPhysicalDeviceProperties(physical_device_, &properties);
    progress_.info(strprintf("device %s, Vulkan %u.%u", properties.deviceName,
                             VK_API_VERSION_MAJOR(properties.apiVersion), VK_API_VERSION_MINOR(properties.apiVersion)));
    require(properties.apiVersion >= VK_API_VERSION_1_1, "the device does not support Vulkan 1.1");
    if (!has_device_extension(physical_device_, VK_KHR_SWAPCHAIN_EXTENSION_NAME))
        throw Unsupported("the device does not offer VK_KHR_swapchain");

    uint32_t family_count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &family_count, nullptr);
    std::vector<VkQueueFamilyProperties> families(family_count);
    vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &family_count, families.data());
    bool found = false;
    for (uint32_t family = 0; family < family_count && !found; ++family) {
        if (!(families[family].queueFlags & VK_QUEUE_GRAPHICS_BIT)) continue;
        VkBool32 surface_support = VK_FALSE;
        VK_CHECK(vkGetPhysicalDeviceSurfaceSupportKHR(physical_device_, family, surface_, &surface_support));
        const bool system_support = !window || window->presentation_support(physical_device_, family);
        if (window && bool(surface_support) != system_support)
            throw TestFailure(strprintf("queue family %u: vkGetPhysicalDeviceSurfaceSupportKHR says %s but the window "
                                        "system's presentation-support query says %s",
                                        family, surface_support ? "VK_TRUE" : "VK_FALSE",
                                        system_support ? "VK_TRUE" : "VK_FALSE"));
        if (surface_support && system_support) {
            queue_family_ = family;
            found = true;
        }
    }
    require(found,
            "no graphics queue family of the device can present to the surface "
            "(vkGetPhysicalDeviceSurfaceSupportKHR)");
    progress_.pass(strprintf("queue family %u has graphics and can present to the surface%s", queue_family_,
                             window ? " (surface support and the window system's presentation support agree)" : ""));
}

void WsiDevice::create_device(Extras extras) {
    VkPhysicalDevicePresentWaitFeaturesKHR wait_features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_WAIT_FEATURES_KHR};
    VkPhysicalDevicePresentIdFeaturesKHR id_features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_ID_FEATURES_KHR,
                                                     &wait_features};
    VkPhysicalDeviceSwapchainMaintenance1FeaturesEXT maintenance_features{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SWAPCHAIN_MAINTENANCE_1_FEATURES_EXT};
    VkPhysicalDeviceTimelineSemaphoreFeatures timeline_features{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES, &id_features};
    VkPhysicalDevicePresentBarrierFeaturesNV barrier_features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_BARRIER_FEATURES_NV,
                                                              &id_features};
    VkPhysicalDevicePresentMeteringFeaturesNV metering_features{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_METERING_FEATURES_NV, &id_features};
    VkPhysicalDevicePresentWait2FeaturesKHR wait2_features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_WAIT_2_FEATURES_KHR};
    VkPhysicalDevicePresentId2FeaturesKHR id2_features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_ID_2_FEATURES_KHR,
                                                       &wait2_features};
    VkPhysicalDevicePresentModeFifoLatestReadyFeaturesKHR latest_ready_features{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRESENT_MODE_FIFO_LATEST_READY_FEATURES_KHR};
    std::vector<const char*> extensions = {VK_KHR_SWAPCHAIN_EXTENSION_NAME};
    void* chain = nullptr;
    const bool present_wait = extras == Extras::PresentWait || extras == Extras::LowLatency2 ||
                              extras == Extras::PresentBarrier || extras == Extras::PresentMetering;
    if (present_wait) {
        extensions.push_back(VK_KHR_PRESENT_ID_EXTENSION_NAME);
        extensions.push_back(VK_KHR_PRESENT_WAIT_EXTENSION_NAME);
        chain = &id_features;
    }
    if (extras == Extras::LowLatency2) {
        VkPhysicalDeviceProperties properties{};
        vkGetPhysicalDeviceProperties(physical_device_, &properties);
        if (properties.apiVersion < VK_API_VERSION_1_2) throw Unsupported("the device does not support Vulkan 1.2");
        extensions.push_back(VK_NV_LOW_LATENCY_2_EXTENSION_NAME);
        chain = &timeline_features;
    } else if (extras == Extras::PresentBarrier) {
        extensions.push_back(VK_NV_PRESENT_BARRIER_EXTENSION_NAME);
        chain = &barrier_features;
    } else if (extras == Extras::PresentMetering) {
        extensions.push_back(VK_NV_PRESENT_METERING_EXTENSION_NAME);
        chain = &metering_features;
    } else if (extras == Extras::FifoLatestReady) {
        extensions.push_back(VK_KHR_PRESENT_MODE_FIFO_LATEST_READY_EXTENSION_NAME);
        chain = &latest_ready_features;
    } else if (extras == Extras::SwapchainMaintenance1) {
        extensions.push_back(VK_EXT_SWAPCHAIN_MAINTENANCE_1_EXTENSION_NAME);
        chain = &maintenance_features;
    } else if (extras == Extras::SharedPresentableImage) {
        extensions.push_back(VK_KHR_SHARED_PRESENTABLE_IMAGE_EXTENSION_NAME);
    } else if (extras == Extras::PresentWait2) {
        extensions.push_back(VK_KHR_PRESENT_ID_2_EXTENSION_NAME);
        extensions.push_back(VK_KHR_PRESENT_WAIT_2_EXTENSION_NAME);
        chain = &id2_features;
    }
    for (const char* name : extensions)
        if (!has_device_extension(physical_device_, name))
            throw Unsupported(std::string("the device does not offer ") + name);
    if (chain) {
        VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, chain};
        vkGetPhysicalDeviceFeatures2(physical_device_, &features);
        if (present_wait && (!id_features.presentId || !wait_features.presentWait))
            throw TestFailure("VK_KHR_present_id/VK_KHR_present_wait offered without their features");
        if (extras == Extras::LowLatency2 && !timeline_features.timelineSemaphore)
            throw TestFailure("a Vulkan 1.2 device without timelineSemaphore");
        if (extras == Extras::PresentBarrier && !barrier_features.presentBarrier)
            throw Unsupported("VK_NV_present_barrier is offered without its presentBarrier feature");
        if (extras == Extras::PresentMetering && !metering_features.presentMetering)
            throw Unsupported("VK_NV_present_metering is offered without its presentMetering feature");
        if (extras == Extras::FifoLatestReady && !latest_ready_features.presentModeFifoLatestReady)
            throw Unsupported("VK_KHR_present_mode_fifo_latest_ready is offered without its feature");
        if (extras == Extras::PresentWait2 && (!id2_features.presentId2 || !wait2_features.presentWait2))
            throw TestFailure("VK_KHR_present_id2/VK_KHR_present_wait2 offered without their features");
        if (extras == Extras::SwapchainMaintenance1 && !maintenance_features.swapchainMaintenance1)
            throw TestFailure("VK_EXT_swapchain_maintenance1 offered without its feature");
    }
    progress_.step("vkCreateDevice");
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueFamilyIndex = queue_family_;
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    info.pNext = chain;
    info.queueCreateInfoCount = 1;
    info.pQueueCreateInfos = &queue_info;
    info.enabledExtensionCount = uint32_t(extensions.size());
    info.ppEnabledExtensionNames = extensions.data();
    VK_CHECK(vkCreateDevice(physical_device_, &info, nullptr, &device_));
    vkGetDeviceQueue(device_, queue_family_, 0, &queue_);
}

VkSurfaceCapabilitiesKHR WsiDevice::surface_capabilities() const {
    VkSurfaceCapabilitiesKHR capabilities{};
    VK_CHECK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(physical_device_, surface_, &capabilities));
    return capabilities;
}

std::vector<VkPresentModeKHR> WsiDevice::present_modes() const {
    uint32_t count = 0;
    VK_CHECK(vkGetPhysicalDeviceSurfacePresentModesKHR(physical_device_, surface_, &count, nullptr));
    std::vector<VkPresentModeKHR> modes(count);
    VK_CHECK(vkGetPhysicalDeviceSurfacePresentModesKHR(physical_device_, surface_, &count, modes.data()));
    modes.resize(count);
    return modes;
}

VkSurfaceFormatKHR WsiDevice::choose_surface_format(VkColorSpaceKHR colour_space) const {
    uint32_t count = 0;
    VK_CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(physical_device_, surface_, &count, nullptr));
    std::vector<VkSurfaceFormatKHR> formats(count);
    VK_CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(physical_device_, surface_, &count, formats.data()));
    formats.resize(count);
    require(!formats.empty(), "vkGetPhysicalDeviceSurfaceFormatsKHR reported no formats");
    // UNORM first: a transfer into it stores the bytes given, so screenshots are exact on every implementation.
    for (VkFormat wanted : {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_B8G8R8A8_SRGB})
        for (const VkSurfaceFormatKHR& format : formats)
            if (format.format == wanted && format.colorSpace == colour_space) return format;
    std::string offered;
    for (const VkSurfaceFormatKHR& format : formats)
        offered += strprintf(" %d/%d", int(format.format), int(format.colorSpace));
    throw TestFailure(strprintf("the surface offers neither B8G8R8A8_UNORM nor B8G8R8A8_SRGB with colour space %d; "
                                "formats (format/colour space):", int(colour_space)) + offered);
}

HostBuffer WsiDevice::create_host_buffer(VkDeviceSize size, VkBufferUsageFlags usage) {
    HostBuffer result;
    try {
        VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
        info.size = size;
        info.usage = usage;
        VK_CHECK(vkCreateBuffer(device_, &info, nullptr, &result.buffer));
        VkMemoryRequirements requirements{};
        vkGetBufferMemoryRequirements(device_, result.buffer, &requirements);
        VkPhysicalDeviceMemoryProperties memory{};
        vkGetPhysicalDeviceMemoryProperties(physical_device_, &memory);
        const VkMemoryPropertyFlags wanted = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
        uint32_t type = UINT32_MAX;
        for (uint32_t i = 0; i < memory.memoryTypeCount && type == UINT32_MAX; ++i)
            if ((requirements.memoryTypeBits & (1u << i)) && (memory.memoryTypes[i].propertyFlags & wanted) == wanted)
                type = i;
        require(type != UINT32_MAX, "no host-visible, host-coherent memory type for the buffer");
        VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
        allocate.allocationSize = requirements.size;
        allocate.memoryTypeIndex = type;
        VK_CHECK(vkAllocateMemory(device_, &allocate, nullptr, &result.memory));
        VK_CHECK(vkBindBufferMemory(device_, result.buffer, result.memory, 0));
        VK_CHECK(vkMapMemory(device_, result.memory, 0, VK_WHOLE_SIZE, 0, &result.mapped));
    } catch (...) {
        destroy_buffer(result);
        throw;
    }
    return result;
}

void WsiDevice::destroy_buffer(HostBuffer& buffer) {
    if (buffer.buffer) vkDestroyBuffer(device_, buffer.buffer, nullptr);
    if (buffer.memory) vkFreeMemory(device_, buffer.memory, nullptr);  // unmaps implicitly
    buffer = HostBuffer{};
}

}  // namespace anarchy::wsitest
