// readback: a 256x256 window showing a fixed pattern, for tests that screenshot it. Prints "WINDOW 0x<id>" first,
// presents N frames (FIFO, every result VK_SUCCESS) that each copy the same pattern from a buffer into the
// swapchain image (a copy, not a clear or a draw, so every implementation stores the same bytes), waits for the
// device to go idle, prints "READY", and then touches the window no more: it keeps it for --hold seconds (ended
// early by a line on stdin) and exits.
//
// The pattern, with B8G8R8A8 pixel bytes as stored: 8x8 tiles of 32x32 pixels; the pixel (x, y) is in tile
// (tx, ty) = (x / 32, y / 32) and has red 36 * tx, green 36 * ty, blue 0xFF if tx + ty is odd else 0x40, and
// alpha 0xFF. Nothing in it is symmetric, so a flipped or transposed frame does not match.
#ifndef _WIN32
#include <poll.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "check.h"
#include "presenter.h"
#include "progress.h"
#include "scenarios.h"
#include "wsi_device.h"
#include "test_window.h"

namespace anarchy::wsitest {

namespace {

constexpr VkExtent2D kSize{256, 256};
constexpr uint32_t kTile = 32;

void fill_pattern(uint8_t* bgra) {
    for (uint32_t y = 0; y < kSize.height; ++y)
        for (uint32_t x = 0; x < kSize.width; ++x) {
            const uint32_t tx = x / kTile, ty = y / kTile;
            uint8_t* pixel = bgra + (size_t(y) * kSize.width + x) * 4;
            pixel[0] = (tx + ty) % 2 ? 0xFF : 0x40;
            pixel[1] = uint8_t(36 * ty);
            pixel[2] = uint8_t(36 * tx);
            pixel[3] = 0xFF;
        }
}

/// Waits `seconds`, or less if a line arrives on stdin; stdin at its end (or closed) only stops the early exit.
void hold_window(Progress& progress, uint32_t seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    bool watch_stdin = true;
    while (std::chrono::steady_clock::now() < deadline) {
        progress.step("holding the window (--hold)");
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        const int wait_ms = int(std::min<long long>(left.count(), 500));
#ifdef _WIN32
        (void)watch_stdin;  // the Windows tests hold for the whole time
        std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
#else
        if (!watch_stdin) {
            poll(nullptr, 0, wait_ms);
            continue;
        }
        pollfd in{STDIN_FILENO, POLLIN, 0};
        if (poll(&in, 1, wait_ms) <= 0) continue;
        char buffer[256];
        const ssize_t got = read(STDIN_FILENO, buffer, sizeof buffer);
        if (got <= 0) {
            watch_stdin = false;
        } else if (std::memchr(buffer, '\n', size_t(got))) {
            progress.info("a line on stdin ended the hold");
            return;
        }
#endif
    }
}

}  // namespace

void run_readback(Progress& progress, const ScenarioOptions& options) {
    TestWindow window(kSize.width, kSize.height, "anarchy_wsi_test readback");
    announce_window(window);
    WsiDevice device(progress, window);
    check_current_extent(progress, device, kSize, "of the new window");
    Presenter presenter(progress, device, SwapchainConfig{VK_PRESENT_MODE_FIFO_KHR, 3});
    require(same_extent(presenter.extent(), kSize), "the swapchain is " + extent_text(presenter.extent()));

    const VkDeviceSize bytes = VkDeviceSize(kSize.width) * kSize.height * 4;
    HostBuffer pattern = device.create_host_buffer(bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
    try {
        fill_pattern(static_cast<uint8_t*>(pattern.mapped));
        const RecordContent copy_pattern = [buffer = pattern.buffer](VkCommandBuffer cmd, VkImage image,
                                                                     VkExtent2D extent) {
            VkBufferImageCopy region{};
            region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
            region.imageExtent = {extent.width, extent.height, 1};
            vkCmdCopyBufferToImage(cmd, buffer, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
        };
        present_frames(progress, presenter, options.frames, 0, OnStale::Fail, copy_pattern);
        presenter.wait_frames();
        progress.step("vkDeviceWaitIdle after the last present");
        VK_CHECK(vkDeviceWaitIdle(device.device()));
        progress.pass(strprintf("%u frames of the pattern presented (format %s), every result VK_SUCCESS",
                                options.frames, format_name(presenter.format()).c_str()));
        window.drain_events();
        std::printf("READY\n");
        std::fflush(stdout);
        hold_window(progress, options.hold_seconds);
    } catch (...) {
        device.destroy_buffer(pattern);
        throw;
    }
    device.destroy_buffer(pattern);
}

}  // namespace anarchy::wsitest
