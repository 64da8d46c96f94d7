// vkCreateInstance connects to the server; instance and physical-device enumeration are answered here.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/command_writer.h"
#include "client/config_file.h"
#include "client/entry_points.h"
#include "client/objects.h"
#include "client/runtime.h"
#include "client_commands_autogen.h"
#include "common/log.h"
#include "protocol/messages.h"
#include "protocol/physical_device_messages.h"
#include "vk_structs_autogen.h"

namespace anarchy::client {
namespace {

constexpr uint32_t kApiVersion = VK_MAKE_API_VERSION(0, 1, 4, VK_HEADER_VERSION);

std::vector<VkExtensionProperties> instance_extensions() {
    std::vector<VkExtensionProperties> out;
    for (size_t i = 0; i < protocol::kForwardedExtensionCount; ++i) {
        if (protocol::kForwardedExtensions[i].device) continue;
        VkExtensionProperties p{};
        std::snprintf(p.extensionName, sizeof p.extensionName, "%s", protocol::kForwardedExtensions[i].name);
        p.specVersion = protocol::kForwardedExtensions[i].spec_version;
        out.push_back(p);
    }
    // Surfaces are the client's (surface.cpp): the window system extensions are answered here.
    const std::pair<const char*, uint32_t> wsi[] = {
        {VK_KHR_SURFACE_EXTENSION_NAME, VK_KHR_SURFACE_SPEC_VERSION},
#ifdef _WIN32
        {"VK_KHR_win32_surface", 6},
#else
        {"VK_KHR_xcb_surface", 6},
        {"VK_KHR_xlib_surface", 6},
        {"VK_KHR_wayland_surface", 6},
#endif
        {VK_EXT_HEADLESS_SURFACE_EXTENSION_NAME, VK_EXT_HEADLESS_SURFACE_SPEC_VERSION},
        {VK_KHR_GET_SURFACE_CAPABILITIES_2_EXTENSION_NAME, VK_KHR_GET_SURFACE_CAPABILITIES_2_SPEC_VERSION},
        // Present mode compatibility and scaling queries (surface.cpp), which swapchain_maintenance1 needs.
        {VK_KHR_SURFACE_MAINTENANCE_1_EXTENSION_NAME, VK_KHR_SURFACE_MAINTENANCE_1_SPEC_VERSION},
        {VK_EXT_SURFACE_MAINTENANCE_1_EXTENSION_NAME, VK_EXT_SURFACE_MAINTENANCE_1_SPEC_VERSION},
        // Protected swapchains are not offered: VkSurfaceProtectedCapabilitiesKHR answers supportsProtected = FALSE.
        {VK_KHR_SURFACE_PROTECTED_CAPABILITIES_EXTENSION_NAME, VK_KHR_SURFACE_PROTECTED_CAPABILITIES_SPEC_VERSION},
        // The one extra colour space the client can show faithfully: PASS_THROUGH, the values as they are.
        {VK_EXT_SWAPCHAIN_COLOR_SPACE_EXTENSION_NAME, VK_EXT_SWAPCHAIN_COLOR_SPACE_SPEC_VERSION},
    };
    for (auto& [name, version] : wsi) {
        bool present = false;
        for (auto& e : out) present |= std::strcmp(e.extensionName, name) == 0;
        if (present) continue;
        VkExtensionProperties p{};
        std::snprintf(p.extensionName, sizeof p.extensionName, "%s", name);
        p.specVersion = version;
        out.push_back(p);
    }
    return out;
}

template <typename T>
VkResult fill_array(const std::vector<T>& all, uint32_t* count, T* out) {
    if (!out) {
        *count = static_cast<uint32_t>(all.size());
        return VK_SUCCESS;
    }
    uint32_t n = std::min<uint32_t>(*count, static_cast<uint32_t>(all.size()));
    for (uint32_t i = 0; i < n; ++i) out[i] = all[i];
    *count = n;
    return n < all.size() ? VK_INCOMPLETE : VK_SUCCESS;
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL EnumerateInstanceExtensionProperties(const char* pLayerName, uint32_t* pPropertyCount,
                                                                    VkExtensionProperties* pProperties) {
    if (pLayerName) return VK_ERROR_LAYER_NOT_PRESENT;
    return fill_array(instance_extensions(), pPropertyCount, pProperties);
}

VKAPI_ATTR VkResult VKAPI_CALL EnumerateInstanceLayerProperties(uint32_t* pPropertyCount, VkLayerProperties*) {
    *pPropertyCount = 0;
    return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL EnumerateInstanceVersion(uint32_t* pApiVersion) {
    *pApiVersion = kApiVersion;
    return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL CreateInstance(const VkInstanceCreateInfo* pCreateInfo, const VkAllocationCallbacks*,
                                              VkInstance* pInstance) {
    try {
        // Inside someone else's program: only warnings and errors unless ANARCHY_LOG asks for more.
        static std::once_flag log_once;
        std::call_once(log_once, [] {
            log_set_component("anarchy");
            log_set_default_level(LogLevel::Warn);
            // Windows programs rarely have a visible stderr: errors also go to a file there.
            if (std::string folder = client_log_folder(); !folder.empty() && ensure_folder(folder))
                log_set_file(folder + "\\anarchy.log");
        });
        std::optional<std::string> server = client_setting("ANARCHY_SERVER", "server");
        if (!server) {
            LOG_ERROR("no Anarchy server configured: set ANARCHY_SERVER=HOST:PORT or run `anarchy connect HOST:PORT` "
                      "(which writes %s)", config_file_paths().empty() ? "?" : config_file_paths().front().c_str());
            return VK_ERROR_INITIALIZATION_FAILED;
        }
        const char* address = server->c_str();
        auto supported = instance_extensions();
        for (uint32_t i = 0; i < pCreateInfo->enabledExtensionCount; ++i) {
            bool found = false;
            for (auto& e : supported) found |= std::strcmp(e.extensionName, pCreateInfo->ppEnabledExtensionNames[i]) == 0;
            if (!found) return VK_ERROR_EXTENSION_NOT_PRESENT;
        }
        std::string err;
        auto rt = Runtime::connect(address, &err);
        if (!rt) {
            LOG_ERROR("cannot reach the Anarchy server at %s: %s", address, err.c_str());
            return VK_ERROR_INITIALIZATION_FAILED;
        }
        auto inst = std::make_unique<InstanceObject>();
        inst->id = rt->new_id();
        inst->rt = rt.get();
        if (pCreateInfo->pApplicationInfo) inst->api_version = pCreateInfo->pApplicationInfo->apiVersion;
        for (uint32_t i = 0; i < pCreateInfo->enabledExtensionCount; ++i)
            inst->swapchain_colorspace |=
                std::strcmp(pCreateInfo->ppEnabledExtensionNames[i], VK_EXT_SWAPCHAIN_COLOR_SPACE_EXTENSION_NAME) == 0;
        VkInstanceCreateInfo ci = *pCreateInfo;
        ci.enabledLayerCount = 0;
        ci.ppEnabledLayerNames = nullptr;
        CommandWriter w(*rt, protocol::CommandId::vkCreateInstance, true);
        auto& e = w.enc();
        if (e.presence(&ci)) protocol::gen::enc_VkInstanceCreateInfo(e, ci);
        e.u64(inst->id);
        Reply reply;
        if (!w.call(reply)) {
            LOG_ERROR("the Anarchy server at %s dropped the connection during vkCreateInstance", address);
            return VK_ERROR_INITIALIZATION_FAILED;
        }
        int32_t result = 0;
        if (!reply.decoder().i32(result)) return VK_ERROR_INITIALIZATION_FAILED;
        if (result != VK_SUCCESS) return static_cast<VkResult>(result);
        inst->runtime = std::move(rt);
        *pInstance = reinterpret_cast<VkInstance>(inst.release());
        return VK_SUCCESS;
    } catch (const std::exception& ex) {
        LOG_ERROR("vkCreateInstance: %s", ex.what());
        return VK_ERROR_INITIALIZATION_FAILED;
    }
}

VKAPI_ATTR void VKAPI_CALL DestroyInstance(VkInstance instance, const VkAllocationCallbacks* pAllocator) {
    if (!instance) return;
    auto* inst = object_of<InstanceObject>(instance);
    gen_cmd::vkDestroyInstance(instance, pAllocator);
    inst->runtime->close();
    delete inst;
}

namespace {

bool enumerate_devices(InstanceObject* inst) {
    std::lock_guard<std::mutex> lock(inst->mu);
    if (inst->enumerated) return true;
    CommandWriter w(*inst->rt, static_cast<uint32_t>(protocol::CustomCommand::EnumeratePhysicalDevices), true);
    protocol::EnumeratePhysicalDevicesMessage{inst->id}.encode(w.enc());
    Reply reply;
    if (!w.call(reply)) return false;
    protocol::PhysicalDeviceList list;
    if (!list.decode(reply.decoder())) {
        reply_error(reply.decoder(), "vkEnumeratePhysicalDevices");
        return false;
    }
    for (uint64_t id : list.devices) {
        auto pd = std::make_unique<PhysicalDeviceObject>();
        pd->id = id;
        pd->rt = inst->rt;
        pd->instance = inst;
        inst->physical_devices.push_back(std::move(pd));
    }
    inst->enumerated = true;
    return true;
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL EnumeratePhysicalDevices(VkInstance instance, uint32_t* pCount, VkPhysicalDevice* pDevices) {
    auto* inst = object_of<InstanceObject>(instance);
    if (!enumerate_devices(inst)) return VK_ERROR_INITIALIZATION_FAILED;
    std::vector<VkPhysicalDevice> all;
    for (auto& pd : inst->physical_devices) all.push_back(reinterpret_cast<VkPhysicalDevice>(pd.get()));
    return fill_array(all, pCount, pDevices);
}

VKAPI_ATTR VkResult VKAPI_CALL EnumeratePhysicalDeviceGroups(VkInstance instance, uint32_t* pCount,
                                                             VkPhysicalDeviceGroupProperties* pGroups) {
    auto* inst = object_of<InstanceObject>(instance);
    if (!enumerate_devices(inst)) return VK_ERROR_INITIALIZATION_FAILED;
    // Each remote GPU is a group of its own: device groups spanning GPUs are not forwarded.
    uint32_t total = static_cast<uint32_t>(inst->physical_devices.size());
    if (!pGroups) {
        *pCount = total;
        return VK_SUCCESS;
    }
    uint32_t n = std::min(*pCount, total);
    for (uint32_t i = 0; i < n; ++i) {
        pGroups[i].physicalDeviceCount = 1;
        std::memset(pGroups[i].physicalDevices, 0, sizeof pGroups[i].physicalDevices);
        pGroups[i].physicalDevices[0] = reinterpret_cast<VkPhysicalDevice>(inst->physical_devices[i].get());
        pGroups[i].subsetAllocation = VK_FALSE;
    }
    *pCount = n;
    return n < total ? VK_INCOMPLETE : VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL EnumerateDeviceLayerProperties(VkPhysicalDevice, uint32_t* pPropertyCount, VkLayerProperties*) {
    *pPropertyCount = 0;
    return VK_SUCCESS;
}

}  // namespace anarchy::client
