// Instances: the server creates a plain instance for the session and loads its dispatch table from it.
#include <cstring>
#include <vector>

#include "server/object_lifetime.h"
#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {

VkResult override_vkCreateInstance(Session& s, const VkInstanceCreateInfo* pCreateInfo, const VkAllocationCallbacks*,
                                   VkInstance* pInstance) {
    VkInstanceCreateInfo ci = *pCreateInfo;
    // Layers belong to the client; the server creates a plain instance with the extensions its loader has.
    ci.enabledLayerCount = 0;
    ci.ppEnabledLayerNames = nullptr;
    uint32_t n = 0;
    vkEnumerateInstanceExtensionProperties(nullptr, &n, nullptr);
    std::vector<VkExtensionProperties> have(n);
    vkEnumerateInstanceExtensionProperties(nullptr, &n, have.data());
    std::vector<const char*> keep;
    for (uint32_t i = 0; i < pCreateInfo->enabledExtensionCount; ++i) {
        const char* want = pCreateInfo->ppEnabledExtensionNames[i];
        for (uint32_t k = 0; k < n; ++k)
            if (std::strcmp(have[k].extensionName, want) == 0) keep.push_back(want);
    }
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
