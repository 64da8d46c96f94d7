// Instances: the server creates a plain instance for the session and loads its dispatch table from it.
#include "server/instance.h"

#include <cstring>
#include <vector>

#include "server/object_lifetime.h"
#include "server/overrides.h"
#include "server/session.h"
#include "vk_schema_autogen.h"

namespace anarchy::server {

std::vector<const char*> host_instance_extensions(const char* const* requested, uint32_t count,
                                                  const std::vector<VkExtensionProperties>& host) {
    std::vector<const char*> keep;
    for (uint32_t i = 0; i < count; ++i) {
        const char* want = requested[i];
        bool forwarded = false, present = false;
        for (size_t k = 0; k < protocol::kForwardedExtensionCount; ++k) {
            const protocol::ForwardedExtension& f = protocol::kForwardedExtensions[k];
            forwarded |= !f.device && std::strcmp(f.name, want) == 0;
        }
        for (auto& e : host) present |= std::strcmp(e.extensionName, want) == 0;
        if (forwarded && present) keep.push_back(want);
    }
    // The server's devices enable VK_KHR_swapchain (programs move swapchain images to PRESENT_SRC_KHR, valid only
    // with it), which requires VK_KHR_surface on the instance. The base extension alone: no window system is
    // touched (Mesa's device_select layer connects to a display for the platform surface extensions only).
    for (auto& e : host)
        if (std::strcmp(e.extensionName, VK_KHR_SURFACE_EXTENSION_NAME) == 0) keep.push_back(VK_KHR_SURFACE_EXTENSION_NAME);
    return keep;
}

VkResult override_vkCreateInstance(Session& s, const VkInstanceCreateInfo* pCreateInfo, const VkAllocationCallbacks*,
                                   VkInstance* pInstance) {
    VkInstanceCreateInfo ci = *pCreateInfo;
    // Layers belong to the client; the server creates a plain instance with the forwarded extensions its loader has.
    ci.enabledLayerCount = 0;
    ci.ppEnabledLayerNames = nullptr;
    uint32_t n = 0;
    vkEnumerateInstanceExtensionProperties(nullptr, &n, nullptr);
    std::vector<VkExtensionProperties> have(n);
    vkEnumerateInstanceExtensionProperties(nullptr, &n, have.data());
    std::vector<const char*> keep =
        host_instance_extensions(pCreateInfo->ppEnabledExtensionNames, pCreateInfo->enabledExtensionCount, have);
    ci.enabledExtensionCount = static_cast<uint32_t>(keep.size());
    ci.ppEnabledExtensionNames = keep.data();
    VkResult r = vkCreateInstance(&ci, nullptr, pInstance);
    if (r == VK_SUCCESS) {
        const VkApplicationInfo* app = pCreateInfo->pApplicationInfo;
        s.instance_versions()[*pInstance] = app && app->apiVersion ? app->apiVersion : VK_API_VERSION_1_0;
    }
    if (r == VK_SUCCESS && !s.has_dispatch()) {
        DispatchTable t{};
        load_dispatch_table(t, vkGetInstanceProcAddr, *pInstance);
        s.set_dispatch(t);
    }
    return r;
}

void override_vkDestroyInstance(Session& s, VkInstance instance, const VkAllocationCallbacks*) {
    if (!instance) return;
    // Devices the program left alive go first, with everything under them; the physical devices' ids go too.
    retire_children(s, VK_OBJECT_TYPE_INSTANCE, reinterpret_cast<uint64_t>(instance), "vkDestroyInstance");
    s.vk().DestroyInstance(instance, nullptr);
    s.instance_versions().erase(instance);
}

}  // namespace anarchy::server
