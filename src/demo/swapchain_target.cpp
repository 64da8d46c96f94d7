#include "swapchain_target.h"

#include "vulkan_context.h"
#include "vulkan_error.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <string>

namespace anarchy::demo {
namespace {

const char* present_mode_name(VkPresentModeKHR mode) {
    switch (mode) {
        case VK_PRESENT_MODE_IMMEDIATE_KHR:
            return "immediate";
        case VK_PRESENT_MODE_MAILBOX_KHR:
            return "mailbox";
        case VK_PRESENT_MODE_FIFO_KHR:
            return "fifo";
        case VK_PRESENT_MODE_FIFO_RELAXED_KHR:
            return "fifo_relaxed";
        default:
            return "other";
    }
}

/// The scene writes linear colour and relies on an sRGB target to encode it, as the offscreen image does.
VkSurfaceFormatKHR choose_surface_format(VkPhysicalDevice physical_device, VkSurfaceKHR surface) {
    uint32_t count = 0;
    VK_CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(physical_device, surface, &count, nullptr));
    std::vector<VkSurfaceFormatKHR> formats(count);
    VkResult result = vkGetPhysicalDeviceSurfaceFormatsKHR(physical_device, surface, &count, formats.data());
    if (result != VK_INCOMPLETE) VK_CHECK(result);
    formats.resize(count);
    if (formats.empty()) throw VulkanError("the surface offers no formats");
    // A lone UNDEFINED entry (older drivers) means any format will do.
    if (formats.size() == 1 && formats[0].format == VK_FORMAT_UNDEFINED) {
        return {VK_FORMAT_B8G8R8A8_SRGB, VK_COLOR_SPACE_SRGB_NONLINEAR_KHR};
    }
    // ANARCHY_DEMO_RGBA=1 asks for R8G8B8A8 first (a capture of it converts on the GPU: tests and benchmarks use it).
    const char* rgba = std::getenv("ANARCHY_DEMO_RGBA");
    const bool rgba_first = rgba && std::strcmp(rgba, "1") == 0;
    const VkFormat bgra = VK_FORMAT_B8G8R8A8_SRGB, rgba8 = VK_FORMAT_R8G8B8A8_SRGB;
    for (VkFormat preferred : {rgba_first ? rgba8 : bgra, rgba_first ? bgra : rgba8}) {
        for (const VkSurfaceFormatKHR& format : formats) {
            if (format.format == preferred && format.colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR) return format;
        }
    }
    std::fprintf(stderr,
                 "anarchy_demo_scene: note: the surface offers no 8-bit sRGB format; presenting format %d, whose "
                 "colours are not gamma-encoded\n",
                 int(formats[0].format));
    return formats[0];
}

VkPresentModeKHR choose_present_mode(VkPhysicalDevice physical_device, VkSurfaceKHR surface, VkPresentModeKHR wanted) {
    uint32_t count = 0;
    VK_CHECK(vkGetPhysicalDeviceSurfacePresentModesKHR(physical_device, surface, &count, nullptr));
    std::vector<VkPresentModeKHR> modes(count);
    VkResult result = vkGetPhysicalDeviceSurfacePresentModesKHR(physical_device, surface, &count, modes.data());
    if (result != VK_INCOMPLETE) VK_CHECK(result);
    modes.resize(count);
    if (std::find(modes.begin(), modes.end(), wanted) != modes.end()) return wanted;
    // Every surface supports FIFO.
    std::fprintf(stderr, "anarchy_demo_scene: note: the surface does not support present mode %s; using fifo\n",
                 present_mode_name(wanted));
    return VK_PRESENT_MODE_FIFO_KHR;
}

VkCompositeAlphaFlagBitsKHR choose_composite_alpha(VkCompositeAlphaFlagsKHR supported) {
    for (VkCompositeAlphaFlagBitsKHR alpha : {VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR, VK_COMPOSITE_ALPHA_INHERIT_BIT_KHR,
                                              VK_COMPOSITE_ALPHA_PRE_MULTIPLIED_BIT_KHR,
                                              VK_COMPOSITE_ALPHA_POST_MULTIPLIED_BIT_KHR}) {
        if (supported & alpha) return alpha;
    }
    throw VulkanError("the surface supports no composite alpha mode");
}

}  // namespace

SwapchainTarget::SwapchainTarget(const VulkanContext& context, const Settings& settings, VkExtent2D preferred_extent)
    : context_(context) {
    if (context.surface() == VK_NULL_HANDLE) throw VulkanError("a swapchain needs a context with a surface");
    surface_format_ = choose_surface_format(context.physical_device(), context.surface());
    present_mode_ = choose_present_mode(context.physical_device(), context.surface(), settings.present_mode);

    const VkSurfaceCapabilitiesKHR caps = capabilities();
    if (!(caps.supportedUsageFlags & VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT)) {
        throw VulkanError("the surface's images cannot be colour attachments");
    }
    if (settings.readable) {
        if (!(caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_SRC_BIT)) {
            throw VulkanError("the surface's images cannot be copied from (no TRANSFER_SRC usage), which --png needs");
        }
        usage_ |= VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    }
    create(preferred_extent);
}

VkSurfaceCapabilitiesKHR SwapchainTarget::capabilities() const {
    VkSurfaceCapabilitiesKHR caps;
    VK_CHECK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(context_.physical_device(), context_.surface(), &caps));
    return caps;
}

bool SwapchainTarget::recreate(VkExtent2D preferred_extent) {
    VK_CHECK(vkDeviceWaitIdle(context_.device()));
    create(preferred_extent);
    return ready_;
}

void SwapchainTarget::create(VkExtent2D preferred_extent) {
    VkDevice device = context_.device();
    const VkSurfaceCapabilitiesKHR caps = capabilities();
    VkExtent2D extent = caps.currentExtent;
    if (extent.width == UINT32_MAX) {  // the surface takes the swapchain's size
        extent.width = std::clamp(preferred_extent.width, caps.minImageExtent.width, caps.maxImageExtent.width);
        extent.height = std::clamp(preferred_extent.height, caps.minImageExtent.height, caps.maxImageExtent.height);
    }
    render_finished_.clear();
    views_.clear();
    images_.clear();
    ready_ = false;
    if (extent.width == 0 || extent.height == 0) return;  // swapchain_ stays, to be handed over later

    // One more than the minimum, so the CPU can record the next frame while the engine holds the minimum.
    uint32_t image_count = caps.minImageCount + 1;
    if (caps.maxImageCount != 0) image_count = std::min(image_count, caps.maxImageCount);

    VkSwapchainCreateInfoKHR info{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
    info.surface = context_.surface();
    info.minImageCount = image_count;
    info.imageFormat = surface_format_.format;
    info.imageColorSpace = surface_format_.colorSpace;
    info.imageExtent = extent;
    info.imageArrayLayers = 1;
    info.imageUsage = usage_;
    info.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;  // one queue draws and presents
    info.preTransform = (caps.supportedTransforms & VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR)
                            ? VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR
                            : caps.currentTransform;
    info.compositeAlpha = choose_composite_alpha(caps.supportedCompositeAlpha);
    info.presentMode = present_mode_;
    info.clipped = VK_TRUE;
    info.oldSwapchain = swapchain_.get();
    UniqueSwapchain swapchain;
    VK_CHECK(vkCreateSwapchainKHR(device, &info, nullptr, swapchain.put(device)));
    swapchain_ = std::move(swapchain);  // retires the old one; the caller made sure nothing uses it
    extent_ = extent;

    uint32_t count = 0;
    VK_CHECK(vkGetSwapchainImagesKHR(device, swapchain_.get(), &count, nullptr));
    images_.resize(count);
    VK_CHECK(vkGetSwapchainImagesKHR(device, swapchain_.get(), &count, images_.data()));
    for (VkImage image : images_) {
        VkImageViewCreateInfo view_info{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
        view_info.image = image;
        view_info.viewType = VK_IMAGE_VIEW_TYPE_2D;
        view_info.format = surface_format_.format;
        view_info.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        VK_CHECK(vkCreateImageView(device, &view_info, nullptr, views_.emplace_back().put(device)));
        VkSemaphoreCreateInfo semaphore_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
        VK_CHECK(vkCreateSemaphore(device, &semaphore_info, nullptr, render_finished_.emplace_back().put(device)));
    }
    ready_ = true;
}

SwapchainTarget::Status SwapchainTarget::acquire(VkSemaphore image_available, uint32_t& image_index) {
    const VkResult result = vkAcquireNextImageKHR(context_.device(), swapchain_.get(), kAcquireTimeoutNs,
                                                  image_available, VK_NULL_HANDLE, &image_index);
    switch (result) {
        case VK_SUCCESS:
            return Status::Ok;
        case VK_SUBOPTIMAL_KHR:
            return Status::Suboptimal;
        case VK_ERROR_OUT_OF_DATE_KHR:
            return Status::OutOfDate;
        case VK_TIMEOUT:
            throw VulkanError("vkAcquireNextImageKHR returned no image within " +
                              std::to_string(kAcquireTimeoutNs / 1'000'000'000) + " s (VK_TIMEOUT)");
        default:
            throw VulkanError("vkAcquireNextImageKHR", result);
    }
}

RenderTarget SwapchainTarget::target(uint32_t image_index) const {
    RenderTarget target;
    target.image = images_.at(image_index);
    target.view = views_.at(image_index).get();
    target.format = surface_format_.format;
    target.extent = extent_;
    target.final_layout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
    target.final_stage = VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT;
    target.final_access = 0;
    return target;
}

SwapchainTarget::Status SwapchainTarget::present(VkQueue queue, uint32_t image_index) {
    VkSemaphore wait = render_finished(image_index);
    VkSwapchainKHR swapchain = swapchain_.get();
    VkPresentInfoKHR info{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
    info.waitSemaphoreCount = 1;
    info.pWaitSemaphores = &wait;
    info.swapchainCount = 1;
    info.pSwapchains = &swapchain;
    info.pImageIndices = &image_index;
    const VkResult result = vkQueuePresentKHR(queue, &info);
    switch (result) {
        case VK_SUCCESS:
            return Status::Ok;
        case VK_SUBOPTIMAL_KHR:
            return Status::Suboptimal;
        case VK_ERROR_OUT_OF_DATE_KHR:
            return Status::OutOfDate;
        default:
            throw VulkanError("vkQueuePresentKHR", result);
    }
}

}  // namespace anarchy::demo
