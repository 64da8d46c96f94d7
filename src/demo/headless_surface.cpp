#include "headless_surface.h"

#include "vulkan_error.h"

namespace anarchy::demo {

std::vector<const char*> HeadlessSurface::instance_extensions() const {
    return {VK_KHR_SURFACE_EXTENSION_NAME, VK_EXT_HEADLESS_SURFACE_EXTENSION_NAME};
}

VkSurfaceKHR HeadlessSurface::create_surface(VkInstance instance) {
    // Older loaders do not export it; through the instance it resolves wherever the extension is enabled.
    auto create = reinterpret_cast<PFN_vkCreateHeadlessSurfaceEXT>(
        vkGetInstanceProcAddr(instance, "vkCreateHeadlessSurfaceEXT"));
    if (create == nullptr) throw VulkanError("vkGetInstanceProcAddr found no vkCreateHeadlessSurfaceEXT");
    VkHeadlessSurfaceCreateInfoEXT info{VK_STRUCTURE_TYPE_HEADLESS_SURFACE_CREATE_INFO_EXT};
    VkSurfaceKHR surface = VK_NULL_HANDLE;
    VK_CHECK(create(instance, &info, nullptr, &surface));
    return surface;
}

}  // namespace anarchy::demo
