// recreate: swapchain image queries and non-blocking acquires, then 20 recreations in a row.
//  - vkGetSwapchainImagesKHR: the count is at least minImageCount, the handles are non-null, distinct and the
//    same on a second call, and a short array gets VK_INCOMPLETE and a prefix of the same handles.
//  - Acquires without presenting: imageCount - minImageCount + 1 images (the spec guarantees that many can be
//    held) with a 5 s timeout must succeed; then timeout 0 must return VK_SUCCESS (another free image) or
//    VK_NOT_READY at once, and a 50 ms timeout VK_SUCCESS or VK_TIMEOUT soon after: never block. Every acquired
//    image is then presented. With every image held by the program, Mesa's X11 WSI (lavapipe) answers the 50 ms
//    acquire with VK_NOT_READY at once, not VK_TIMEOUT: no image can come back, so it does not wait. The spec
//    names VK_TIMEOUT for an expired timeout, but what matters here is that nothing blocks, so both pass.
//  - 20 recreations, the window alternating between 400x300 and 320x240: each passes the current swapchain as
//    oldSwapchain, destroys it, checks the currentExtent and the images, and presents 3 frames with VK_SUCCESS.
#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "wsi_device.h"
#include "test_window.h"

namespace anarchy::wsitest {

namespace {

constexpr uint32_t kRecreations = 20;
constexpr uint32_t kFramesPerSwapchain = 3;
constexpr uint64_t kShortTimeoutNs = 50'000'000;
// Longest a non-blocking acquire may take; generous, as a remote driver pays a round trip.
constexpr auto kNonBlockingLimit = std::chrono::milliseconds(1000);

void check_images(Progress& progress, VkDevice device, const Presenter& presenter, const char* when) {
    progress.step(strprintf("vkGetSwapchainImagesKHR checks %s", when));
    uint32_t count = 0;
    VK_CHECK(vkGetSwapchainImagesKHR(device, presenter.swapchain(), &count, nullptr));
    require(count == presenter.images().size(), strprintf("%s: vkGetSwapchainImagesKHR counts %u images, then %zu",
                                                          when, count, presenter.images().size()));
    require(count >= presenter.min_image_count(),
            strprintf("%s: %u images, fewer than minImageCount %u", when, count, presenter.min_image_count()));
    std::vector<VkImage> again(count);
    VK_CHECK(vkGetSwapchainImagesKHR(device, presenter.swapchain(), &count, again.data()));
    require(again == presenter.images(), strprintf("%s: a second vkGetSwapchainImagesKHR gave other handles", when));
    const std::set<VkImage> distinct(again.begin(), again.end());
    require(distinct.size() == again.size() && !distinct.count(VK_NULL_HANDLE),
            strprintf("%s: the swapchain's image handles are not all distinct and non-null", when));
    if (count > 1) {
        uint32_t fewer = count - 1;
        std::vector<VkImage> prefix(fewer);
        const VkResult result = vkGetSwapchainImagesKHR(device, presenter.swapchain(), &fewer, prefix.data());
        require(result == VK_INCOMPLETE, strprintf("%s: vkGetSwapchainImagesKHR with room for %u of %u images returned "
                                                   "%s, expected VK_INCOMPLETE",
                                                   when, count - 1, count, result_name(result).c_str()));
        require(fewer == count - 1 && std::equal(prefix.begin(), prefix.end(), again.begin()),
                strprintf("%s: the short vkGetSwapchainImagesKHR did not return the first %u images", when, count - 1));
    }
}

struct Acquired {
    uint32_t index;
    VkSemaphore semaphore;
};

/// Acquires one image with `timeout`; returns the result and adds the image to `held` on success.
VkResult try_acquire(const WsiDevice& device, const Presenter& presenter, uint64_t timeout, VkSemaphore semaphore,
                     std::vector<Acquired>& held, std::chrono::milliseconds& took) {
    const auto start = std::chrono::steady_clock::now();
    uint32_t index = UINT32_MAX;
    const VkResult result =
        vkAcquireNextImageKHR(device.device(), presenter.swapchain(), timeout, semaphore, VK_NULL_HANDLE, &index);
    took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    if (result == VK_SUCCESS || result == VK_SUBOPTIMAL_KHR) {
        require(index < presenter.images().size(), strprintf("vkAcquireNextImageKHR returned image index %u", index));
        for (const Acquired& image : held)
            require(image.index != index,
                    strprintf("vkAcquireNextImageKHR returned image %u, already acquired", index));
        held.push_back({index, semaphore});
    }
    return result;
}

void acquire_without_presenting(Progress& progress, const WsiDevice& device, Presenter& presenter) {
    const uint32_t image_count = uint32_t(presenter.images().size());
    const uint32_t min_count = device.surface_capabilities().minImageCount;
    require(image_count >= min_count, "fewer swapchain images than the surface's minImageCount");
    const uint32_t guaranteed = image_count - min_count + 1;

    // One more than images: every call gets a semaphore with no signal pending, even with all images held.
    std::vector<VkSemaphore> semaphores(image_count + 1);
    for (VkSemaphore& semaphore : semaphores) {
        VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
        VK_CHECK(vkCreateSemaphore(device.device(), &info, nullptr, &semaphore));
    }
    std::vector<Acquired> held;
    std::chrono::milliseconds took{};
    try {
        for (uint32_t i = 0; i < guaranteed; ++i) {
            progress.step(strprintf("acquire %u of %u without presenting (5 s timeout)", i + 1, guaranteed));
            const VkResult result = try_acquire(device, presenter, kWaitTimeoutNs, semaphores[held.size()], held, took);
            require(result == VK_SUCCESS,
                    strprintf("acquire %u of the %u (imageCount %u - minImageCount %u + 1) the "
                              "spec lets a program hold: vkAcquireNextImageKHR (timeout 5 s) "
                              "returned %s",
                              i + 1, guaranteed, image_count, min_count, result_name(result).c_str()));
        }
        progress.pass(strprintf("%u images acquired without presenting (imageCount %u, minImageCount %u)", guaranteed,
                                image_count, min_count));

        VkResult result = VK_SUCCESS;
        while (result == VK_SUCCESS) {
            progress.step("vkAcquireNextImageKHR with timeout 0");
            VkSemaphore semaphore = semaphores[held.size()];
            const size_t before = held.size();
            result = try_acquire(device, presenter, 0, semaphore, held, took);
            require(took < kNonBlockingLimit,
                    strprintf("vkAcquireNextImageKHR with timeout 0 took %lld ms", (long long)took.count()));
            require(result == VK_SUCCESS || result == VK_NOT_READY,
                    strprintf("vkAcquireNextImageKHR with timeout 0 and %zu of %u images held returned %s, expected "
                              "VK_NOT_READY or VK_SUCCESS",
                              before, image_count, result_name(result).c_str()));
            require(result != VK_SUCCESS || before < image_count,
                    "vkAcquireNextImageKHR with timeout 0 succeeded with every image already acquired");
        }
        progress.pass(strprintf("timeout 0: VK_NOT_READY in %lld ms with %zu of %u images held",
                                (long long)took.count(), held.size(), image_count));

        result = VK_SUCCESS;
        while (result == VK_SUCCESS) {
            progress.step("vkAcquireNextImageKHR with timeout 50 ms");
            VkSemaphore semaphore = semaphores[held.size()];
            const size_t before = held.size();
            result = try_acquire(device, presenter, kShortTimeoutNs, semaphore, held, took);
            require(took < kNonBlockingLimit + std::chrono::milliseconds(50),
                    strprintf("vkAcquireNextImageKHR with timeout 50 ms took %lld ms", (long long)took.count()));
            require(result == VK_SUCCESS || result == VK_TIMEOUT || result == VK_NOT_READY,
                    strprintf("vkAcquireNextImageKHR with timeout 50 ms and %zu of %u images held returned %s, "
                              "expected VK_TIMEOUT, VK_NOT_READY or VK_SUCCESS",
                              before, image_count, result_name(result).c_str()));
            require(result != VK_SUCCESS || before < image_count,
                    "vkAcquireNextImageKHR with timeout 50 ms succeeded with every image already acquired");
        }
        progress.pass(strprintf("timeout 50 ms: %s in %lld ms with %zu of %u images held", result_name(result).c_str(),
                                (long long)took.count(), held.size(), image_count));

        uint32_t frame = 1000;
        for (const Acquired& image : held) {
            progress.step(strprintf("presenting held image %u", image.index));
            const VkResult presented =
                presenter.submit_and_present(image.index, image.semaphore, clear_content(frame_colour(frame++)));
            require(presented == VK_SUCCESS, strprintf("presenting held image %u: vkQueuePresentKHR returned %s",
                                                       image.index, result_name(presented).c_str()));
        }
        progress.pass(strprintf("all %zu held images presented", held.size()));
        held.clear();
    } catch (...) {
        // Semaphores an acquire may still signal, or a submission still waits on, must not be destroyed under it.
        progress.cleanup_step("vkDeviceWaitIdle after a failed acquire check");
        vkDeviceWaitIdle(device.device());
        for (VkSemaphore semaphore : semaphores) vkDestroySemaphore(device.device(), semaphore, nullptr);
        throw;
    }
    progress.step("vkDeviceWaitIdle after presenting the held images");
    VK_CHECK(vkDeviceWaitIdle(device.device()));
    for (VkSemaphore semaphore : semaphores) vkDestroySemaphore(device.device(), semaphore, nullptr);
}

}  // namespace

void run_recreate(Progress& progress, const ScenarioOptions& options) {
    constexpr VkExtent2D kSizes[2] = {{400, 300}, {320, 240}};
    TestWindow window(kSizes[1].width, kSizes[1].height, "anarchy_wsi_test recreate");
    announce_window(window);
    WsiDevice device(progress, window);
    check_current_extent(progress, device, kSizes[1], "of the new window");
    Presenter presenter(progress, device, SwapchainConfig{VK_PRESENT_MODE_FIFO_KHR, 3});
    check_images(progress, device.device(), presenter, "first swapchain");
    progress.pass(strprintf("first swapchain: %zu images, distinct, stable, VK_INCOMPLETE for a short array",
                            presenter.images().size()));
    uint32_t frame = 0;
    frame += present_frames(progress, presenter, 5, frame, OnStale::Fail).presented;

    acquire_without_presenting(progress, device, presenter);
    frame += present_frames(progress, presenter, 3, frame, OnStale::Fail).presented;

    for (uint32_t round = 1; round <= kRecreations; ++round) {
        const VkExtent2D size = kSizes[round % 2];
        progress.step(strprintf("recreation %u: resizing the window to %s", round, extent_text(size).c_str()));
        window.resize(size.width, size.height);
        const VkExtent2D current = device.surface_capabilities().currentExtent;
        require(same_extent(current, size), strprintf("recreation %u: currentExtent %s, the window is %s", round,
                                                      extent_text(current).c_str(), extent_text(size).c_str()));
        const VkSwapchainKHR old = presenter.swapchain();
        require(presenter.recreate(), strprintf("recreation %u: the currentExtent is 0x0", round));
        require(presenter.swapchain() != old, strprintf("recreation %u: the new swapchain has the old handle", round));
        require(same_extent(presenter.extent(), size),
                strprintf("recreation %u: the swapchain is %s", round, extent_text(presenter.extent()).c_str()));
        check_images(progress, device.device(), presenter, "after a recreation");
        frame += present_frames(progress, presenter, kFramesPerSwapchain, frame, OnStale::Fail).presented;
        progress.pass(strprintf("recreation %u/%u: %s, oldSwapchain retired and destroyed, %zu images, %u frames",
                                round, kRecreations, extent_text(size).c_str(), presenter.images().size(),
                                kFramesPerSwapchain));
        window.drain_events();
    }
    present_frames(progress, presenter, options.frames, frame, OnStale::Fail);
    presenter.wait_frames();
    progress.pass(strprintf("%u recreations in a row, then %u frames", kRecreations, options.frames));
}

}  // namespace anarchy::wsitest
