// The Win32 surface (VK_KHR_win32_surface); surface.cpp has what every platform shares.
#define VK_USE_PLATFORM_WIN32_KHR
#include <windows.h>
#include <vulkan/vulkan.h>

#include "client/wsi/win32_window_target.h"
#include "client/wsi_objects.h"

namespace anarchy::client {

wsi::TargetResult make_window_target(const SurfaceObject& s) {
    if (s.platform != SurfaceObject::Platform::Win32) return {wsi::WsiStatus::InvalidArgument, nullptr};
    return wsi::make_win32_target(s.window);
}

VKAPI_ATTR VkResult VKAPI_CALL CreateWin32SurfaceKHR(VkInstance, const VkWin32SurfaceCreateInfoKHR* info,
                                                     const VkAllocationCallbacks*, VkSurfaceKHR* out) {
    return make_surface(SurfaceObject::Platform::Win32, info->hinstance,
                        static_cast<uint64_t>(reinterpret_cast<uintptr_t>(info->hwnd)), out);
}

VKAPI_ATTR VkBool32 VKAPI_CALL GetPhysicalDeviceWin32PresentationSupportKHR(VkPhysicalDevice pd, uint32_t family) {
    return queue_family_can_present(pd, family);
}

}  // namespace anarchy::client
