// A swapchain for the WsiDevice's surface and the frame loop around it: acquire (5 s timeout) with a per-slot
// semaphore, one submission that waits on it and signals the image's own semaphore, present waiting on that;
// two frames in flight, each with its fence (5 s timeout) and command buffer. Recreation passes the current
// swapchain as oldSwapchain and destroys it once the new one exists.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

namespace anarchy::wsitest {

class Progress;
class WsiDevice;

/// The timeout of every acquire and fence wait in the frame loop.
constexpr uint64_t kWaitTimeoutNs = 5'000'000'000ull;

struct SwapchainConfig {
    VkPresentModeKHR present_mode = VK_PRESENT_MODE_FIFO_KHR;
    uint32_t min_image_count = 3;              // clamped to the surface's limits
    VkExtent2D extent_if_undefined{256, 256};  // used when the currentExtent is 0xFFFFFFFF (headless)
    VkSwapchainCreateFlagsKHR flags = 0;
    VkColorSpaceKHR colour_space = VK_COLOR_SPACE_SRGB_NONLINEAR_KHR;  // with B8G8R8A8_UNORM or _SRGB
};

/// Records what a frame shows into `image` (TRANSFER_DST_OPTIMAL layout, transfer commands only).
using RecordContent = std::function<void(VkCommandBuffer cmd, VkImage image, VkExtent2D extent)>;

/// A content recorder that clears the whole image to `colour`.
RecordContent clear_content(VkClearColorValue colour);
/// A colour that changes from frame to frame (so a stuck presentation is visible).
VkClearColorValue frame_colour(uint32_t frame);
/// For scenarios that record by hand: a layout transition of an image's one colour subresource between transfer
/// work (UNDEFINED -> TRANSFER_DST before a clear, TRANSFER_DST -> PRESENT_SRC after it).
void transfer_barrier(VkCommandBuffer cmd, VkImage image, VkImageLayout from, VkImageLayout to);
/// For scenarios that record by hand: a FIFO swapchain of 3 images (within the surface's limits) at its current
/// extent, transfer-destination images in `format`, opaque, no transform; `next` chains extension structures.
VkSwapchainCreateInfoKHR fifo_transfer_swapchain_info(VkSurfaceKHR surface, const VkSurfaceCapabilitiesKHR& caps,
                                                      VkSurfaceFormatKHR format, const void* next = nullptr);
/// The swapchain's images (vkGetSwapchainImagesKHR).
std::vector<VkImage> swapchain_images(VkDevice device, VkSwapchainKHR swapchain);

enum class FrameOutcome { Presented, Suboptimal, OutOfDate };

struct FrameResult {
    FrameOutcome outcome = FrameOutcome::Presented;
    VkResult result = VK_SUCCESS;  // the result that decided the outcome
    const char* call = "";         // vkAcquireNextImageKHR or vkQueuePresentKHR
};

class Presenter {
public:
    /// Creates the command pool, frame slots and a first swapchain; throws if the surface's extent is 0x0.
    Presenter(Progress& progress, WsiDevice& device, SwapchainConfig config);
    ~Presenter();
    Presenter(const Presenter&) = delete;
    Presenter& operator=(const Presenter&) = delete;

    /// Creates a swapchain for the surface's current capabilities, passing the current one (if any) as
    /// oldSwapchain and then destroying it. Returns false, and leaves the current swapchain as it is, when the
    /// currentExtent is 0x0: the spec forbids creating a swapchain for a zero-sized window.
    bool recreate();
    /// Changes the present mode; takes effect at the next recreate().
    void set_present_mode(VkPresentModeKHR mode) { config_.present_mode = mode; }
    /// VK_KHR_present_id (or, with `id2`, VK_KHR_present_id2): the id the next presents carry (0: none).
    void set_present_id(uint64_t id, bool id2 = false) {
        present_id_ = id;
        present_id2_ = id2;
    }

    VkSwapchainKHR swapchain() const { return swapchain_; }
    VkExtent2D extent() const { return extent_; }
    VkFormat format() const { return format_; }
    VkPresentModeKHR present_mode() const { return config_.present_mode; }
    uint32_t min_image_count() const { return created_min_image_count_; }
    const std::vector<VkImage>& images() const { return images_; }

    /// Acquires, records `content`, submits and presents one frame. Throws on any result other than VK_SUCCESS,
    /// VK_SUBOPTIMAL_KHR and VK_ERROR_OUT_OF_DATE_KHR (VK_TIMEOUT included).
    FrameResult draw_frame(const RecordContent& content);
    /// Records `content` into the acquired image `image_index`, submits it waiting on `acquired` and presents it;
    /// returns vkQueuePresentKHR's result (VK_SUCCESS, VK_SUBOPTIMAL_KHR or VK_ERROR_OUT_OF_DATE_KHR).
    VkResult submit_and_present(uint32_t image_index, VkSemaphore acquired, const RecordContent& content);
    /// Waits for every frame slot's fence (5 s each).
    void wait_frames();

private:
    uint64_t present_id_ = 0;
    bool present_id2_ = false;
    struct FrameSlot {
        VkCommandBuffer cmd = VK_NULL_HANDLE;
        VkFence fence = VK_NULL_HANDLE;         // signalled when the slot's last submission completed
        VkSemaphore acquired = VK_NULL_HANDLE;  // reusable once `fence` is signalled
    };

    /// The next slot, once its previous submission has completed (5 s timeout).
    FrameSlot& next_slot();
    VkResult submit_in_slot(FrameSlot& slot, uint32_t image_index, VkSemaphore acquired, const RecordContent& content);
    void destroy();
    void destroy_swapchain_objects(VkSwapchainKHR swapchain, std::vector<VkSemaphore>& semaphores);

    Progress& progress_;
    WsiDevice& device_;
    SwapchainConfig config_;
    VkCommandPool pool_ = VK_NULL_HANDLE;
    std::array<FrameSlot, 2> slots_{};
    uint32_t next_slot_ = 0;
    VkSwapchainKHR swapchain_ = VK_NULL_HANDLE;
    VkExtent2D extent_{};
    VkFormat format_ = VK_FORMAT_UNDEFINED;
    uint32_t created_min_image_count_ = 0;
    std::vector<VkImage> images_;
    std::vector<VkSemaphore> rendered_;  // per image: signalled by its submission, waited on by its present
};

/// How present_frames() treats VK_SUBOPTIMAL_KHR and VK_ERROR_OUT_OF_DATE_KHR.
enum class OnStale { Fail, Recreate };

struct FrameRun {
    uint32_t presented = 0;
    uint32_t recreations = 0;
};

/// Draws `count` frames showing `content`, or when that is empty cleared to frame_colour(first_frame + i). With
/// OnStale::Fail every acquire and present must return VK_SUCCESS; with OnStale::Recreate a stale swapchain is
/// recreated (and an image not acquired is retried).
FrameRun present_frames(Progress& progress, Presenter& presenter, uint32_t count, uint32_t first_frame,
                        OnStale on_stale, const RecordContent& content = {});

}  // namespace anarchy::wsitest
