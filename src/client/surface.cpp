// VK_KHR_surface and the headless surface: implemented here, on the client, because the windows are the client's.
// Capabilities, formats and present modes come from the window and from what the server's device can render to.
// Each window system's surfaces are in a file of its platform: surface_linux.cpp (xcb, xlib, wayland),
// surface_win32.cpp (win32).
#include <vulkan/vulkan_core.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "client/entry_points.h"
#include "client/objects.h"
#include "client/runtime.h"
#include "client/wsi_objects.h"
#include "client_commands_autogen.h"
#include "common/log.h"

namespace anarchy::client {

std::shared_ptr<wsi::WindowTarget> SurfaceObject::window_target() {
    std::lock_guard<std::mutex> lock(mu);
    if (target || platform == Platform::Headless || !target_error.empty()) return target;
    wsi::TargetResult made = make_window_target(*this);
    if (made.target) {
        target = std::move(made.target);
        LOG_INFO("presenting through %s", target->name());
    } else {
        target_error = wsi::wsi_status_name(made.status);
        LOG_ERROR("cannot present into the window: %s", target_error.c_str());
    }
    return target;
}

std::optional<VkExtent2D> SurfaceObject::current_extent() {
    if (platform == Platform::Headless) return VkExtent2D{0xFFFFFFFFu, 0xFFFFFFFFu};
    auto t = window_target();
    if (!t) return std::nullopt;
    auto e = t->current_extent();
    if (!e) return std::nullopt;
    return VkExtent2D{e->width, e->height};
}

namespace {

SurfaceObject* surface_of(VkSurfaceKHR s) { return reinterpret_cast<SurfaceObject*>(s); }


/// Swapchain formats in the order Mesa's X11 and Wayland WSI report them, kept when the server's device can
/// render to them and copy from them.
std::vector<VkFormat> presentable_formats(VkPhysicalDevice pd) {
    static const VkFormat candidates[] = {VK_FORMAT_B8G8R8A8_SRGB, VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_SRGB,
                                          VK_FORMAT_R8G8B8A8_UNORM};
    std::vector<VkFormat> out;
    for (VkFormat f : candidates) {
        VkFormatProperties p{};
        gen_cmd::vkGetPhysicalDeviceFormatProperties(pd, f, &p);
        const VkFormatFeatureFlags need = VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT | VK_FORMAT_FEATURE_TRANSFER_SRC_BIT;
        if ((p.optimalTilingFeatures & need) == need) out.push_back(f);
    }
    return out;
}

template <typename T>
VkResult fill(const std::vector<T>& all, uint32_t* count, T* out) {
    if (!out) {
        *count = uint32_t(all.size());
        return VK_SUCCESS;
    }
    uint32_t n = std::min<uint32_t>(*count, uint32_t(all.size()));
    std::copy(all.begin(), all.begin() + n, out);
    *count = n;
    return n < all.size() ? VK_INCOMPLETE : VK_SUCCESS;
}


}  // namespace

VkResult make_surface(SurfaceObject::Platform platform, void* connection, uint64_t window, VkSurfaceKHR* out) {
    try {
        auto s = std::make_unique<SurfaceObject>();
        s->platform = platform;
        s->connection = connection;
        s->window = window;
        *out = reinterpret_cast<VkSurfaceKHR>(s.release());
        return VK_SUCCESS;
    } catch (const std::exception&) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
}

bool queue_family_can_present(VkPhysicalDevice pd, uint32_t family) {
    uint32_t n = 0;
    gen_cmd::vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, nullptr);
    std::vector<VkQueueFamilyProperties> props(n);
    gen_cmd::vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, props.data());
    // The server captures presented images with a copy and a compute pass on the presenting queue.
    return family < n && (props[family].queueFlags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT));
}

/// The usage flags a swapchain image may have on this device (used by capabilities and swapchain creation).
VkImageUsageFlags swapchain_usage_flags(VkPhysicalDevice pd) {
    VkImageUsageFlags usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
                              VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_SAMPLED_BIT |
                              VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT;
    VkFormatProperties p{};
    gen_cmd::vkGetPhysicalDeviceFormatProperties(pd, VK_FORMAT_B8G8R8A8_UNORM, &p);
    if (p.optimalTilingFeatures & VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT) usage |= VK_IMAGE_USAGE_STORAGE_BIT;
    return usage;
}

bool format_is_presentable(VkPhysicalDevice pd, VkFormat format) {
    auto formats = presentable_formats(pd);
    return std::find(formats.begin(), formats.end(), format) != formats.end();
}

VKAPI_ATTR VkResult VKAPI_CALL CreateHeadlessSurfaceEXT(VkInstance, const VkHeadlessSurfaceCreateInfoEXT*,
                                                        const VkAllocationCallbacks*, VkSurfaceKHR* out) {
    return make_surface(SurfaceObject::Platform::Headless, nullptr, 0, out);
}

VKAPI_ATTR void VKAPI_CALL DestroySurfaceKHR(VkInstance, VkSurfaceKHR surface, const VkAllocationCallbacks*) {
    delete surface_of(surface);
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceSupportKHR(VkPhysicalDevice pd, uint32_t family,
                                                                  VkSurfaceKHR, VkBool32* supported) {
    *supported = queue_family_can_present(pd, family);
    return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceCapabilitiesKHR(VkPhysicalDevice pd, VkSurfaceKHR surface,
                                                                       VkSurfaceCapabilitiesKHR* caps) {
    SurfaceObject* s = surface_of(surface);
    auto extent = s->current_extent();
    if (!extent) return VK_ERROR_SURFACE_LOST_KHR;
    VkPhysicalDeviceProperties props{};
    gen_cmd::vkGetPhysicalDeviceProperties(pd, &props);
    *caps = {};
    caps->minImageCount = 2;
    caps->maxImageCount = 8;
    caps->currentExtent = *extent;
    if (extent->width == 0xFFFFFFFFu) {
        caps->minImageExtent = {1, 1};
        caps->maxImageExtent = {props.limits.maxImageDimension2D, props.limits.maxImageDimension2D};
    } else {
        // As local X11 drivers do: the swapchain must match the window (0x0 while it is minimised).
        caps->minImageExtent = *extent;
        caps->maxImageExtent = *extent;
    }
    caps->maxImageArrayLayers = 1;
    caps->supportedTransforms = VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR;
    caps->currentTransform = VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR;
    // Frames travel as opaque pictures: alpha never reaches the client's compositor.
    caps->supportedCompositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR | VK_COMPOSITE_ALPHA_INHERIT_BIT_KHR;
    caps->supportedUsageFlags = swapchain_usage_flags(pd);
    return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceCapabilities2KHR(VkPhysicalDevice pd,
                                                                        const VkPhysicalDeviceSurfaceInfo2KHR* info,
                                                                        VkSurfaceCapabilities2KHR* caps) {
    VkResult r = GetPhysicalDeviceSurfaceCapabilitiesKHR(pd, info->surface, &caps->surfaceCapabilities);
    if (r != VK_SUCCESS) return r;
    // VK_KHR_surface_maintenance1: the answer may be for one present mode.
    std::optional<VkPresentModeKHR> mode;
    for (auto* n = static_cast<const VkBaseInStructure*>(info->pNext); n; n = n->pNext)
        if (n->sType == VK_STRUCTURE_TYPE_SURFACE_PRESENT_MODE_KHR)
            mode = reinterpret_cast<const VkSurfacePresentModeKHR*>(n)->presentMode;
    auto& sc = caps->surfaceCapabilities;
    if (mode && is_shared_present_mode(*mode)) {
        // A shared presentable swapchain has exactly one image.
        sc.minImageCount = 1;
        sc.maxImageCount = 1;
    }
    for (auto* n = static_cast<VkBaseOutStructure*>(caps->pNext); n; n = n->pNext) {
        if (n->sType == VK_STRUCTURE_TYPE_SHARED_PRESENT_SURFACE_CAPABILITIES_KHR) {
            // The shared image is an ordinary image on the server, in GENERAL: every usage of the other modes.
            reinterpret_cast<VkSharedPresentSurfaceCapabilitiesKHR*>(n)->sharedPresentSupportedUsageFlags =
                swapchain_usage_flags(pd);
        } else if (n->sType == VK_STRUCTURE_TYPE_SURFACE_CAPABILITIES_PRESENT_ID_2_KHR) {
            // Present ids and waits are the client's own (swapchain.cpp), the same on every surface.
            reinterpret_cast<VkSurfaceCapabilitiesPresentId2KHR*>(n)->presentId2Supported = VK_TRUE;
        } else if (n->sType == VK_STRUCTURE_TYPE_SURFACE_CAPABILITIES_PRESENT_WAIT_2_KHR) {
            reinterpret_cast<VkSurfaceCapabilitiesPresentWait2KHR*>(n)->presentWait2Supported = VK_TRUE;
        } else if (n->sType == VK_STRUCTURE_TYPE_SURFACE_CAPABILITIES_PRESENT_BARRIER_NV) {
            // Every surface's swapchains can join the process's present barrier (present_barrier.h).
            reinterpret_cast<VkSurfaceCapabilitiesPresentBarrierNV*>(n)->presentBarrierSupported = VK_TRUE;
        } else if (n->sType == VK_STRUCTURE_TYPE_LATENCY_SURFACE_CAPABILITIES_NV) {
            // VK_NV_low_latency2: its sleep paces every mode the same way (latency.cpp), so each suits it.
            auto* c = reinterpret_cast<VkLatencySurfaceCapabilitiesNV*>(n);
            const auto& all = supported_present_modes();
            if (!c->pPresentModes) {
                c->presentModeCount = uint32_t(all.size());
            } else {
                c->presentModeCount = std::min<uint32_t>(c->presentModeCount, uint32_t(all.size()));
                std::copy(all.begin(), all.begin() + c->presentModeCount, c->pPresentModes);
            }
        } else if (n->sType == VK_STRUCTURE_TYPE_SURFACE_PROTECTED_CAPABILITIES_KHR) {
            reinterpret_cast<VkSurfaceProtectedCapabilitiesKHR*>(n)->supportsProtected = VK_FALSE;
        } else if (n->sType == VK_STRUCTURE_TYPE_SURFACE_PRESENT_SCALING_CAPABILITIES_KHR) {
            // VK_KHR_surface_maintenance1: frames are shown at the swapchain's size; no scaling to offer.
            auto* s = reinterpret_cast<VkSurfacePresentScalingCapabilitiesKHR*>(n);
            s->supportedPresentScaling = 0;
            s->supportedPresentGravityX = 0;
            s->supportedPresentGravityY = 0;
            s->minScaledImageExtent = sc.minImageExtent;
            s->maxScaledImageExtent = sc.maxImageExtent;
        } else if (n->sType == VK_STRUCTURE_TYPE_SURFACE_PRESENT_MODE_COMPATIBILITY_KHR) {
            // Every mode switches to every other (the mode only decides how frames are paced and dropped), except
            // that the shared modes, whose swapchain has one image the program keeps, switch only between them.
            auto* c = reinterpret_cast<VkSurfacePresentModeCompatibilityKHR*>(n);
            const auto& all = mode && is_shared_present_mode(*mode) ? shared_present_modes() : supported_present_modes();
            if (!c->pPresentModes) {
                c->presentModeCount = uint32_t(all.size());
            } else {
                c->presentModeCount = std::min<uint32_t>(c->presentModeCount, uint32_t(all.size()));
                std::copy(all.begin(), all.begin() + c->presentModeCount, c->pPresentModes);
            }
        }
    }
    return r;
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceFormatsKHR(VkPhysicalDevice pd, VkSurfaceKHR,
                                                                  uint32_t* count, VkSurfaceFormatKHR* formats) {
    std::vector<VkSurfaceFormatKHR> all;
    for (VkFormat f : presentable_formats(pd)) all.push_back({f, VK_COLOR_SPACE_SRGB_NONLINEAR_KHR});
    // VK_EXT_swapchain_colorspace: frames are shown as the values the program wrote (8-bit, no conversion), which
    // is PASS_THROUGH's meaning; the HDR and wide-gamut spaces would need a display path the client lacks.
    if (auto* p = reinterpret_cast<PhysicalDeviceObject*>(pd); p->instance && p->instance->swapchain_colorspace)
        for (VkFormat f : presentable_formats(pd)) all.push_back({f, VK_COLOR_SPACE_PASS_THROUGH_EXT});
    return fill(all, count, formats);
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceFormats2KHR(VkPhysicalDevice pd,
                                                                   const VkPhysicalDeviceSurfaceInfo2KHR* info,
                                                                   uint32_t* count, VkSurfaceFormat2KHR* formats) {
    std::vector<VkSurfaceFormatKHR> plain;
    uint32_t n = 0;
    GetPhysicalDeviceSurfaceFormatsKHR(pd, info->surface, &n, nullptr);
    plain.resize(n);
    GetPhysicalDeviceSurfaceFormatsKHR(pd, info->surface, &n, plain.data());
    if (!formats) {
        *count = n;
        return VK_SUCCESS;
    }
    uint32_t k = std::min(*count, n);
    for (uint32_t i = 0; i < k; ++i) formats[i].surfaceFormat = plain[i];
    *count = k;
    return k < n ? VK_INCOMPLETE : VK_SUCCESS;
}

const std::vector<VkPresentModeKHR>& supported_present_modes() {
    // FIFO_RELAXED is paced like FIFO: a frame that arrives late is shown at once, which the pacing does anyway.
    // FIFO_LATEST_READY (VK_KHR_present_mode_fifo_latest_ready) shows the newest frame ready at a refresh and drops
    // the older ones, as MAILBOX does here.
    static const std::vector<VkPresentModeKHR> all = {VK_PRESENT_MODE_IMMEDIATE_KHR, VK_PRESENT_MODE_MAILBOX_KHR,
                                                      VK_PRESENT_MODE_FIFO_KHR, VK_PRESENT_MODE_FIFO_RELAXED_KHR,
                                                      VK_PRESENT_MODE_FIFO_LATEST_READY_KHR};
    return all;
}

const std::vector<VkPresentModeKHR>& shared_present_modes() {
    // Demand refresh: each present streams the image again. Continuous refresh: also re-captured once per refresh
    // of the display while the program draws into it (SwapchainState::refresh_loop).
    static const std::vector<VkPresentModeKHR> shared = {VK_PRESENT_MODE_SHARED_DEMAND_REFRESH_KHR,
                                                         VK_PRESENT_MODE_SHARED_CONTINUOUS_REFRESH_KHR};
    return shared;
}

bool is_shared_present_mode(VkPresentModeKHR mode) {
    return mode == VK_PRESENT_MODE_SHARED_DEMAND_REFRESH_KHR || mode == VK_PRESENT_MODE_SHARED_CONTINUOUS_REFRESH_KHR;
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfacePresentModesKHR(VkPhysicalDevice, VkSurfaceKHR,
                                                                       uint32_t* count, VkPresentModeKHR* modes) {
    std::vector<VkPresentModeKHR> all = supported_present_modes();
    all.insert(all.end(), shared_present_modes().begin(), shared_present_modes().end());
    return fill(all, count, modes);
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDevicePresentRectanglesKHR(VkPhysicalDevice, VkSurfaceKHR surface,
                                                                     uint32_t* count, VkRect2D* rects) {
    auto extent = surface_of(surface)->current_extent();
    if (!extent) return VK_ERROR_SURFACE_LOST_KHR;
    std::vector<VkRect2D> all;
    if (extent->width != 0xFFFFFFFFu) all.push_back({{0, 0}, *extent});
    else all.push_back({{0, 0}, {0xFFFFFFFFu, 0xFFFFFFFFu}});
    return fill(all, count, rects);
}

}  // namespace anarchy::client
