#include "server/capture/frame_capturer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <ostream>
#include <thread>

#include "lavapipe_device.h"
#include "server/capture/color_convert_reference.h"

namespace anarchy::server::capture::test {
namespace {

using namespace std::chrono_literals;
constexpr uint64_t kLongWaitNs = 10'000'000'000;  // generous: lavapipe with validation on two cores

/// The captured plane must equal the expected one over its width x height samples. The GPU shader and the CPU
/// reference use the same integer arithmetic (shifts of negative ints round the same way in GLSL and C++20),
/// so no tolerance is needed, also for I420: the brief allowed +-1, exact equality is the stronger check.
::testing::AssertionResult planes_equal(const char* what, const CapturePlane& plane, const uint8_t* expected,
                                        size_t expected_stride, uint32_t bytes_per_sample) {
    const size_t row_bytes = size_t(plane.width) * bytes_per_sample;
    for (uint32_t y = 0; y < plane.height; ++y) {
        const uint8_t* got = plane.data + size_t(y) * plane.stride;
        const uint8_t* want = expected + y * expected_stride;
        if (std::memcmp(got, want, row_bytes) != 0) {
            for (size_t x = 0; x < row_bytes; ++x)
                if (got[x] != want[x])
                    return ::testing::AssertionFailure()
                           << what << " differs first at row " << y << " byte " << x << ": got " << int(got[x])
                           << ", expected " << int(want[x]);
        }
    }
    return ::testing::AssertionSuccess();
}

/// Checks a finished capture of `texels` (tightly packed, in `format`) against the CPU reference.
void expect_matches_reference(const CaptureView& view, VkFormat format, const std::vector<uint8_t>& texels,
                              VkExtent2D extent) {
    ASSERT_EQ(view.width, extent.width);
    ASSERT_EQ(view.height, extent.height);
    std::vector<uint8_t> bgra(size_t(extent.width) * extent.height * 4);
    ASSERT_TRUE(texels_to_bgra_reference(format, texels.data(), extent.width * 4, extent.width, extent.height,
                                         bgra.data(), extent.width * 4));
    if (view.format == OutputFormat::Bgra8) {
        ASSERT_EQ(view.plane_count, 1u);
        EXPECT_EQ(view.planes[0].width, extent.width);
        EXPECT_EQ(view.planes[0].stride, extent.width * 4);
        EXPECT_TRUE(planes_equal("BGRA", view.planes[0], bgra.data(), extent.width * 4, 4));
        return;
    }
    ASSERT_EQ(view.plane_count, 3u);
    const I420Layout layout = i420_layout(extent.width, extent.height);
    std::vector<uint8_t> expected(layout.total_bytes);
    bgra_to_i420_reference(bgra.data(), extent.width * 4, extent.width, extent.height,
                           {expected.data() + layout.y_offset, layout.y_stride, expected.data() + layout.u_offset,
                            layout.uv_stride, expected.data() + layout.v_offset, layout.uv_stride});
    EXPECT_EQ(view.planes[0].width, (extent.width + 1) / 2 * 2);
    EXPECT_EQ(view.planes[0].height, (extent.height + 1) / 2 * 2);
    EXPECT_EQ(view.planes[1].width, (extent.width + 1) / 2);
    EXPECT_EQ(view.planes[1].height, (extent.height + 1) / 2);
    EXPECT_EQ(view.planes[2].width, (extent.width + 1) / 2);
    EXPECT_EQ(view.planes[2].height, (extent.height + 1) / 2);
    EXPECT_TRUE(planes_equal("Y", view.planes[0], expected.data() + layout.y_offset, layout.y_stride, 1));
    EXPECT_TRUE(planes_equal("U", view.planes[1], expected.data() + layout.u_offset, layout.uv_stride, 1));
    EXPECT_TRUE(planes_equal("V", view.planes[2], expected.data() + layout.v_offset, layout.uv_stride, 1));
    // The planes lie one after another in the contiguous bytes.
    EXPECT_EQ(view.bytes, view.planes[0].data);
    EXPECT_EQ(view.size, layout.total_bytes);
}

// A loader that lacks one device function, as an old or partial driver might.
PFN_vkVoidFunction VKAPI_PTR device_proc_without_dispatch(VkDevice device, const char* name) {
    if (std::strcmp(name, "vkCmdDispatch") == 0) return nullptr;
    return vkGetDeviceProcAddr(device, name);
}
PFN_vkVoidFunction VKAPI_PTR instance_proc_without_dispatch(VkInstance instance, const char* name) {
    if (std::strcmp(name, "vkGetDeviceProcAddr") == 0)
        return reinterpret_cast<PFN_vkVoidFunction>(&device_proc_without_dispatch);
    return vkGetInstanceProcAddr(instance, name);
}
PFN_vkVoidFunction VKAPI_PTR instance_proc_resolving_nothing(VkInstance, const char*) { return nullptr; }

class FrameCapturerTest : public ::testing::Test {
protected:
    void SetUp() override {
        device_ = std::make_unique<LavapipeDevice>();
        std::string error;
        capturer_ = FrameCapturer::create(device_->capturer_info(), &error);
        ASSERT_TRUE(capturer_) << error;
    }

    void TearDown() override {
        capturer_.reset();
        if (!device_) return;  // SetUp failed before making one (the failure is reported already)
        for (TestImage& image : images_) device_->destroy_image(image);
        for (VkSemaphore s : semaphores_) device_->destroy_semaphore(s);
        for (VkEvent e : events_) vkDestroyEvent(device_->device(), e, nullptr);
        device_->destroy_device();
        const std::vector<std::string> errors = device_->validation_errors();
        EXPECT_TRUE(errors.empty()) << errors.size() << " validation errors, first: " << errors.front();
        device_.reset();
    }

    /// A test image filled with `texels` (or a pattern) and left in `layout`.
    TestImage& make_image(VkFormat format, VkExtent2D extent, std::vector<uint8_t>* texels_out = nullptr,
                          VkImageLayout layout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, uint32_t seed = 1) {
        images_.push_back(device_->create_image(format, extent));
        const size_t texel_bytes = format == VK_FORMAT_R16G16B16A16_SFLOAT ? 8 : 4;  // the one unsupported format used
        std::vector<uint8_t> texels = pattern_bytes(size_t(extent.width) * extent.height * texel_bytes, seed);
        device_->upload(images_.back(), texels, layout);
        if (texels_out) *texels_out = std::move(texels);
        return images_.back();
    }

    VkSemaphore binary_semaphore() { return semaphores_.emplace_back(device_->create_binary_semaphore()); }

    /// Submits a batch that waits until the host sets `gate`. A capture submitted after it on the queue waits
    /// too: the capture's first barrier depends on all earlier work on the queue (it must, for rendering the
    /// application submitted without a semaphore). That is how the tests hold captures in flight; a semaphore
    /// would not do on lavapipe, whose vkQueueSubmit blocks until a waited binary semaphore is signalled.
    void submit_gate(VkEvent gate) {
        device_->submit_commands(
            [&](VkCommandBuffer cb) {
                vkCmdWaitEvents(cb, 1, &gate, VK_PIPELINE_STAGE_HOST_BIT, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0,
                                nullptr, 0, nullptr, 0, nullptr);
            },
            {}, {}, {}, /*wait=*/false);
    }

    VkEvent gate_event() {
        VkEventCreateInfo info{VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
        VkEvent event = VK_NULL_HANDLE;
        TEST_VK(vkCreateEvent(device_->device(), &info, nullptr, &event));
        return events_.emplace_back(event);
    }
    void open_gate(VkEvent gate) { TEST_VK(vkSetEvent(device_->device(), gate)); }

    SubmitResult capture(const TestImage& image, OutputFormat want, std::span<const VkSemaphore> waits = {},
                         VkImageLayout layout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR,
                         std::span<const VkSemaphore> signals = {}) {
        return capturer_->submit(device_->queue(), waits, image.image, image.format, image.extent, layout, want,
                                 signals);
    }

    std::unique_ptr<LavapipeDevice> device_;
    std::unique_ptr<FrameCapturer> capturer_;
    std::deque<TestImage> images_;  // a deque: make_image hands out references that must stay valid
    std::vector<VkSemaphore> semaphores_;
    std::vector<VkEvent> events_;
};

// ---- conversions, parameterised over source format, size and output ----

struct ConversionCase {
    VkFormat format;
    OutputFormat want;
    std::vector<VkExtent2D> sizes;
};

// gtest shows the parameter in test listings, hence in ctest's names: keep it short and stable.
void PrintTo(const ConversionCase& c, std::ostream* os) {
    *os << format_name(c.format) << " to " << output_format_name(c.want);
}

std::string case_name(const ::testing::TestParamInfo<ConversionCase>& info) {
    std::string format = format_name(info.param.format);
    format = format.substr(std::strlen("VK_FORMAT_"));
    const std::string large = info.param.sizes.size() == 1 ? "_" + std::to_string(info.param.sizes[0].width) + "x" +
                                                                 std::to_string(info.param.sizes[0].height)
                                                           : "";
    return format + large + "_to_" + output_format_name(info.param.want);
}

// One test per format and output covers several sizes: each test is a process under ctest, and creating a
// Vulkan instance with validation costs more than the captures.
class CaptureConversion : public FrameCapturerTest, public ::testing::WithParamInterface<ConversionCase> {};

TEST_P(CaptureConversion, MatchesReferenceAndLeavesImageUntouched) {
    const ConversionCase& c = GetParam();
    if (!device_->supports_transfer_image(c.format)) GTEST_SKIP() << format_name(c.format) << " not supported here";
    uint32_t seed = 1;
    for (const VkExtent2D extent : c.sizes) {
        SCOPED_TRACE(std::to_string(extent.width) + "x" + std::to_string(extent.height));
        std::vector<uint8_t> texels;
        const TestImage& image = make_image(c.format, extent, &texels, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, ++seed);

        const SubmitResult submitted = capture(image, c.want);
        ASSERT_TRUE(submitted.ok()) << submitted.error;
        const WaitResult done = capturer_->wait(submitted.ticket, kLongWaitNs);
        ASSERT_TRUE(done.ok()) << done.error;
        expect_matches_reference(done.view, c.format, texels, extent);
        EXPECT_EQ(done.view.format, c.want);
        EXPECT_FALSE(done.view.duration_from_host_clock);  // lavapipe has timestamps
        EXPECT_GT(done.view.duration_us, 0.0);
        EXPECT_EQ(capturer_->release(submitted.ticket), CaptureStatus::Ok);

        // Reading it back names PRESENT_SRC_KHR as the old layout: validation (checked in TearDown) reports an
        // error if the capture left the image in another one; the bytes must be those uploaded.
        EXPECT_TRUE(device_->read_back(image, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR) == texels);
    }
}

std::vector<ConversionCase> conversion_cases() {
    std::vector<ConversionCase> cases;
    const VkFormat formats[] = {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_B8G8R8A8_SRGB, VK_FORMAT_R8G8B8A8_UNORM,
                                VK_FORMAT_R8G8B8A8_SRGB, VK_FORMAT_A2B10G10R10_UNORM_PACK32,
                                VK_FORMAT_A2R10G10B10_UNORM_PACK32};
    for (OutputFormat want : {OutputFormat::Bgra8, OutputFormat::I420}) {
        // Even, odd, single-pixel and narrower-than-a-shader-word sizes.
        for (VkFormat format : formats) cases.push_back({format, want, {{64, 48}, {97, 61}, {1, 1}, {3, 5}}});
        // One large size per output and byte order keeps the run short.
        cases.push_back({VK_FORMAT_B8G8R8A8_UNORM, want, {{1280, 720}}});
        cases.push_back({VK_FORMAT_R8G8B8A8_SRGB, want, {{1280, 720}}});
    }
    return cases;
}

INSTANTIATE_TEST_SUITE_P(Formats, CaptureConversion, ::testing::ValuesIn(conversion_cases()), case_name);

// ---- layouts ----

TEST_F(FrameCapturerTest, CapturesInPlaceFromGeneralAndTransferSrcLayouts) {
    for (VkImageLayout layout : {VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL}) {
        std::vector<uint8_t> texels;
        const TestImage& image = make_image(VK_FORMAT_R8G8B8A8_UNORM, {33, 17}, &texels, layout);
        const SubmitResult submitted = capture(image, OutputFormat::I420, {}, layout);
        ASSERT_TRUE(submitted.ok()) << submitted.error;
        const WaitResult done = capturer_->wait(submitted.ticket, kLongWaitNs);
        ASSERT_TRUE(done.ok()) << done.error;
        expect_matches_reference(done.view, image.format, texels, image.extent);
        EXPECT_EQ(capturer_->release(submitted.ticket), CaptureStatus::Ok);
        EXPECT_TRUE(device_->read_back(image, layout) == texels);
    }
}

TEST_F(FrameCapturerTest, ValidationNoticesAWrongLayout) {
    // Guards the layout checks above: they rely on the layer comparing a barrier's old layout with the tracked one.
    if (!device_->validation_enabled()) GTEST_SKIP() << "validation layer not installed";
    const TestImage& image = make_image(VK_FORMAT_B8G8R8A8_UNORM, {8, 8});
    (void)device_->read_back(image, VK_IMAGE_LAYOUT_GENERAL);  // it is in PRESENT_SRC_KHR
    EXPECT_FALSE(device_->validation_errors().empty());
    device_->clear_validation_errors();
}

TEST_F(FrameCapturerTest, RepeatedCapturesReuseSlotsAndFollowSizeChanges) {
    // More captures than slots, growing and shrinking, both outputs: buffers are reallocated or reused.
    const VkExtent2D sizes[] = {{16, 16}, {200, 100}, {7, 3}, {200, 100}, {320, 240}, {16, 16}, {97, 61}};
    uint32_t seed = 10;
    for (VkExtent2D size : sizes) {
        for (OutputFormat want : {OutputFormat::I420, OutputFormat::Bgra8}) {
            std::vector<uint8_t> texels;
            const TestImage& image = make_image(VK_FORMAT_R8G8B8A8_UNORM, size, &texels,
                                                VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, ++seed);
            const SubmitResult submitted = capture(image, want);
            ASSERT_TRUE(submitted.ok()) << submitted.error;
            const WaitResult done = capturer_->wait(submitted.ticket, kLongWaitNs);
            ASSERT_TRUE(done.ok()) << done.error;
            expect_matches_reference(done.view, image.format, texels, size);
            EXPECT_EQ(capturer_->release(submitted.ticket), CaptureStatus::Ok);
        }
    }
}

// ---- semaphores ----

TEST_F(FrameCapturerTest, WaitsForASemaphoreAndSignalsOne) {
    std::vector<uint8_t> old_texels;
    const TestImage& image = make_image(VK_FORMAT_B8G8R8A8_UNORM, {64, 48}, &old_texels);
    // Another submission paints the image red and signals `painted`, as an application's last render before
    // present does; the capture waits on it and signals `captured`, which the next use of the image waits on.
    const VkSemaphore painted = binary_semaphore();
    const VkSemaphore captured = binary_semaphore();
    VkClearColorValue red{};
    red.float32[0] = 1.0f;
    red.float32[3] = 1.0f;
    device_->submit_commands(
        [&](VkCommandBuffer cb) {
            VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
            barrier.srcAccessMask = 0;
            barrier.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
            barrier.oldLayout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
            barrier.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
            barrier.srcQueueFamilyIndex = barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
            barrier.image = image.image;
            barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
            vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                                 nullptr, 0, nullptr, 1, &barrier);
            const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
            vkCmdClearColorImage(cb, image.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &red, 1, &range);
            // Made available by the semaphore signal; no access scope needed after the transition.
            barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
            barrier.dstAccessMask = 0;
            barrier.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
            barrier.newLayout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
            vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0,
                                 nullptr, 0, nullptr, 1, &barrier);
        },
        {}, {}, {painted}, /*wait=*/false);

    const VkSemaphore waits[] = {painted};
    const VkSemaphore signals[] = {captured};
    const SubmitResult submitted = capture(image, OutputFormat::Bgra8, waits, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, signals);
    ASSERT_TRUE(submitted.ok()) << submitted.error;
    const WaitResult done = capturer_->wait(submitted.ticket, kLongWaitNs);
    ASSERT_TRUE(done.ok()) << done.error;
    const CapturePlane& plane = done.view.planes[0];
    for (uint32_t y = 0; y < plane.height; ++y)
        for (uint32_t x = 0; x < plane.width; ++x) {
            const uint8_t* p = plane.data + size_t(y) * plane.stride + x * 4;
            ASSERT_TRUE(p[0] == 0 && p[1] == 0 && p[2] == 255 && p[3] == 255)
                << "pixel " << x << "," << y << " is not the painted red";
        }
    EXPECT_EQ(capturer_->release(submitted.ticket), CaptureStatus::Ok);
    const std::vector<uint8_t> after = device_->read_back(image, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, {captured});
    EXPECT_EQ(after[0], 0);
    EXPECT_EQ(after[2], 255);
}

TEST_F(FrameCapturerTest, WaitTimesOutWhileTheCaptureIsHeldBack) {
    std::vector<uint8_t> texels;
    const TestImage& image = make_image(VK_FORMAT_B8G8R8A8_UNORM, {64, 48}, &texels);
    const VkEvent gate = gate_event();
    submit_gate(gate);
    const SubmitResult submitted = capture(image, OutputFormat::I420);
    ASSERT_TRUE(submitted.ok()) << submitted.error;
    const auto start = std::chrono::steady_clock::now();
    const WaitResult early = capturer_->wait(submitted.ticket, 50'000'000);
    EXPECT_EQ(early.status, CaptureStatus::Timeout) << early.error;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_EQ(capturer_->wait(submitted.ticket, 0).status, CaptureStatus::Timeout);

    open_gate(gate);
    const WaitResult done = capturer_->wait(submitted.ticket, kLongWaitNs);
    ASSERT_TRUE(done.ok()) << done.error;
    expect_matches_reference(done.view, image.format, texels, image.extent);
    EXPECT_EQ(capturer_->release(submitted.ticket), CaptureStatus::Ok);
}

// ---- the ring ----

TEST_F(FrameCapturerTest, FullRingReturnsBusyAtOnce) {
    const TestImage& image = make_image(VK_FORMAT_B8G8R8A8_UNORM, {64, 48});
    ASSERT_EQ(capturer_->slot_count(), 3u);
    // Two finished captures not yet released, and a third held in flight behind a gate the host opens.
    std::vector<CaptureTicket> tickets;
    for (int i = 0; i < 2; ++i) {
        const SubmitResult r = capture(image, OutputFormat::I420);
        ASSERT_TRUE(r.ok()) << r.error;
        ASSERT_TRUE(capturer_->wait(r.ticket, kLongWaitNs).ok());
        tickets.push_back(r.ticket);
    }
    const VkEvent gate = gate_event();
    submit_gate(gate);
    const SubmitResult gated = capture(image, OutputFormat::I420);
    ASSERT_TRUE(gated.ok()) << gated.error;

    const auto start = std::chrono::steady_clock::now();
    const SubmitResult busy = capture(image, OutputFormat::I420);
    EXPECT_EQ(busy.status, CaptureStatus::Busy);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);

    // Releasing the held capture before it ran does not free its slot while the GPU may still write to it...
    EXPECT_EQ(capturer_->release(gated.ticket), CaptureStatus::Ok);
    EXPECT_EQ(capture(image, OutputFormat::I420).status, CaptureStatus::Busy);
    // ...but releasing a finished one does.
    EXPECT_EQ(capturer_->release(tickets[1]), CaptureStatus::Ok);
    const SubmitResult next = capture(image, OutputFormat::Bgra8);
    ASSERT_TRUE(next.ok()) << next.error;
    EXPECT_EQ(next.ticket.slot, tickets[1].slot);
    EXPECT_EQ(capture(image, OutputFormat::I420).status, CaptureStatus::Busy);

    // Once the held capture has run, its released slot is taken again.
    open_gate(gate);
    ASSERT_TRUE(capturer_->wait(next.ticket, kLongWaitNs).ok());
    EXPECT_EQ(capturer_->release(next.ticket), CaptureStatus::Ok);
    EXPECT_EQ(capturer_->release(tickets[0]), CaptureStatus::Ok);
    vkQueueWaitIdle(device_->queue());
    std::vector<CaptureTicket> all;
    for (uint32_t i = 0; i < capturer_->slot_count(); ++i) {
        const SubmitResult r = capture(image, OutputFormat::Bgra8);
        ASSERT_TRUE(r.ok()) << "slot " << i << ": " << r.error;
        all.push_back(r.ticket);
    }
    EXPECT_EQ(capture(image, OutputFormat::Bgra8).status, CaptureStatus::Busy);
    for (const CaptureTicket& t : all) {
        ASSERT_TRUE(capturer_->wait(t, kLongWaitNs).ok());
        EXPECT_EQ(capturer_->release(t), CaptureStatus::Ok);
    }
}

TEST_F(FrameCapturerTest, StaleAndUnknownTicketsAreRejected) {
    const TestImage& image = make_image(VK_FORMAT_B8G8R8A8_UNORM, {8, 8});
    const SubmitResult r = capture(image, OutputFormat::Bgra8);
    ASSERT_TRUE(r.ok()) << r.error;
    ASSERT_TRUE(capturer_->wait(r.ticket, kLongWaitNs).ok());
    // A second wait returns the same view.
    const WaitResult again = capturer_->wait(r.ticket, 0);
    ASSERT_TRUE(again.ok()) << again.error;
    EXPECT_EQ(again.view.sequence, r.ticket.sequence);
    EXPECT_EQ(capturer_->release(r.ticket), CaptureStatus::Ok);
    EXPECT_EQ(capturer_->release(r.ticket), CaptureStatus::InvalidArgument);
    EXPECT_EQ(capturer_->wait(r.ticket, 0).status, CaptureStatus::InvalidArgument);
    EXPECT_EQ(capturer_->wait({99, 1}, 0).status, CaptureStatus::InvalidArgument);
    EXPECT_EQ(capturer_->release({0, 12345}), CaptureStatus::InvalidArgument);
    EXPECT_EQ(capturer_->wait(CaptureTicket{}, 0).status, CaptureStatus::InvalidArgument);
}

// ---- threads ----

TEST_F(FrameCapturerTest, AnotherThreadWaitsAndReleases) {
    // Four images of different content; the submitting thread captures them round robin while a second thread
    // waits, checks and releases, as the server's frame thread will.
    constexpr int kFrames = 40;
    std::vector<const TestImage*> sources;
    std::vector<std::vector<uint8_t>> contents(4);
    for (uint32_t i = 0; i < 4; ++i)
        sources.push_back(&make_image(VK_FORMAT_R8G8B8A8_UNORM, {64, 48}, &contents[i],
                                      VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, 100 + i));

    struct Pending {
        CaptureTicket ticket;
        int source;
    };
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Pending> queue;
    bool done_submitting = false;
    std::atomic<int> checked{0};
    std::atomic<int> failures{0};
    std::thread waiter([&] {
        for (;;) {
            Pending p;
            {
                std::unique_lock<std::mutex> lock(mu);
                cv.wait(lock, [&] { return !queue.empty() || done_submitting; });
                if (queue.empty()) return;
                p = queue.front();
                queue.pop_front();
            }
            const WaitResult r = capturer_->wait(p.ticket, kLongWaitNs);
            if (!r.ok()) {
                ++failures;
                ADD_FAILURE() << "wait failed: " << r.error;
            } else {
                expect_matches_reference(r.view, VK_FORMAT_R8G8B8A8_UNORM, contents[p.source], {64, 48});
                ++checked;
            }
            if (capturer_->release(p.ticket) != CaptureStatus::Ok) ++failures;
        }
    });

    int busy = 0;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (int frame = 0; frame < kFrames && std::chrono::steady_clock::now() < deadline;) {
        const int source = frame % 4;
        const SubmitResult r =
            capture(*sources[source], frame % 3 == 0 ? OutputFormat::Bgra8 : OutputFormat::I420);
        if (r.status == CaptureStatus::Busy) {  // the waiter is behind: a real server would drop this frame
            ++busy;
            std::this_thread::sleep_for(200us);
            continue;
        }
        ASSERT_TRUE(r.ok()) << r.error;
        {
            std::lock_guard<std::mutex> lock(mu);
            queue.push_back({r.ticket, source});
        }
        cv.notify_one();
        ++frame;
    }
    {
        std::lock_guard<std::mutex> lock(mu);
        done_submitting = true;
    }
    cv.notify_one();
    waiter.join();
    EXPECT_EQ(checked.load(), kFrames);
    EXPECT_EQ(failures.load(), 0);
    std::printf("%d frames captured, submit found the ring full %d times\n", kFrames, busy);
}

TEST_F(FrameCapturerTest, TwoThreadsWaitOnOneTicket) {
    std::vector<uint8_t> texels;
    const TestImage& image = make_image(VK_FORMAT_B8G8R8A8_UNORM, {97, 61}, &texels);
    const VkEvent gate = gate_event();
    submit_gate(gate);
    const SubmitResult r = capture(image, OutputFormat::I420);
    ASSERT_TRUE(r.ok()) << r.error;
    std::atomic<int> ok{0};
    auto wait_once = [&] {
        const WaitResult w = capturer_->wait(r.ticket, kLongWaitNs);
        if (w.ok()) {
            expect_matches_reference(w.view, image.format, texels, image.extent);
            ++ok;
        }
    };
    std::thread a(wait_once), b(wait_once);
    std::this_thread::sleep_for(20ms);
    open_gate(gate);
    a.join();
    b.join();
    EXPECT_EQ(ok.load(), 2);
    EXPECT_EQ(capturer_->release(r.ticket), CaptureStatus::Ok);
}

// ---- errors ----

TEST_F(FrameCapturerTest, UnsupportedFormatIsAClearError) {
    const TestImage& image = make_image(VK_FORMAT_R16G16B16A16_SFLOAT, {8, 8});
    for (OutputFormat want : {OutputFormat::Bgra8, OutputFormat::I420}) {
        const SubmitResult r = capture(image, want);
        EXPECT_EQ(r.status, CaptureStatus::UnsupportedFormat);
        EXPECT_NE(r.error.find("VK_FORMAT_R16G16B16A16_SFLOAT"), std::string::npos) << r.error;
        EXPECT_NE(r.error.find("supported are"), std::string::npos) << r.error;
    }
    // Nothing was taken from the ring.
    std::vector<CaptureTicket> tickets;
    const TestImage& good = make_image(VK_FORMAT_B8G8R8A8_UNORM, {8, 8});
    for (uint32_t i = 0; i < capturer_->slot_count(); ++i) {
        const SubmitResult r = capture(good, OutputFormat::Bgra8);
        ASSERT_TRUE(r.ok()) << r.error;
        tickets.push_back(r.ticket);
    }
    for (const CaptureTicket& t : tickets) {
        ASSERT_TRUE(capturer_->wait(t, kLongWaitNs).ok());
        EXPECT_EQ(capturer_->release(t), CaptureStatus::Ok);
    }
}

TEST_F(FrameCapturerTest, BadArgumentsAreRejected) {
    const TestImage& image = make_image(VK_FORMAT_B8G8R8A8_UNORM, {8, 8});
    const VkQueue queue = device_->queue();
    auto status = [&](VkQueue q, VkImage i, VkExtent2D e, VkImageLayout l) {
        return capturer_->submit(q, {}, i, image.format, e, l, OutputFormat::I420).status;
    };
    EXPECT_EQ(status(VK_NULL_HANDLE, image.image, {8, 8}, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR), CaptureStatus::InvalidArgument);
    EXPECT_EQ(status(queue, VK_NULL_HANDLE, {8, 8}, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR), CaptureStatus::InvalidArgument);
    EXPECT_EQ(status(queue, image.image, {0, 8}, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR), CaptureStatus::InvalidArgument);
    EXPECT_EQ(status(queue, image.image, {8, 1u << 30}, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR), CaptureStatus::InvalidArgument);
    EXPECT_EQ(status(queue, image.image, {8, 8}, VK_IMAGE_LAYOUT_UNDEFINED), CaptureStatus::InvalidArgument);
    const SubmitResult unknown = capturer_->submit(queue, {}, image.image, image.format, {8, 8},
                                                   VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, static_cast<OutputFormat>(7));
    EXPECT_EQ(unknown.status, CaptureStatus::InvalidArgument);
}

TEST_F(FrameCapturerTest, CreationReportsWhatIsWrong) {
    std::string error;
    FrameCapturerCreateInfo info = device_->capturer_info();
    info.queue_family_index = 99;
    EXPECT_FALSE(FrameCapturer::create(info, &error));
    EXPECT_NE(error.find("queue family 99"), std::string::npos) << error;

    info = device_->capturer_info();
    info.slot_count = 0;
    EXPECT_FALSE(FrameCapturer::create(info, &error));
    EXPECT_NE(error.find("slot_count"), std::string::npos) << error;

    info = device_->capturer_info();
    info.device = VK_NULL_HANDLE;
    EXPECT_FALSE(FrameCapturer::create(info, &error));

    info = device_->capturer_info();
    info.get_instance_proc_addr = &instance_proc_resolving_nothing;
    EXPECT_FALSE(FrameCapturer::create(info, &error));
    EXPECT_NE(error.find("vkGetDeviceProcAddr"), std::string::npos) << error;

    info = device_->capturer_info();
    info.get_instance_proc_addr = &instance_proc_without_dispatch;
    EXPECT_FALSE(FrameCapturer::create(info, &error));
    EXPECT_NE(error.find("vkCmdDispatch"), std::string::npos) << error;

    EXPECT_TRUE(capturer_->has_gpu_timestamps());
    EXPECT_TRUE(capturer_->can_convert());
    EXPECT_EQ(capturer_->slot_count(), 3u);
}

TEST_F(FrameCapturerTest, TimesOnTheHostWithoutTimestamps) {
    // The path taken on queue families without timestamps (timestampValidBits 0), forced here.
    FrameCapturerCreateInfo info = device_->capturer_info();
    info.gpu_timestamps = false;
    info.slot_count = 1;
    std::string error;
    capturer_ = FrameCapturer::create(info, &error);
    ASSERT_TRUE(capturer_) << error;
    EXPECT_FALSE(capturer_->has_gpu_timestamps());
    std::vector<uint8_t> texels;
    const TestImage& image = make_image(VK_FORMAT_R8G8B8A8_SRGB, {97, 61}, &texels);
    for (OutputFormat want : {OutputFormat::I420, OutputFormat::Bgra8}) {
        const SubmitResult r = capture(image, want);
        ASSERT_TRUE(r.ok()) << r.error;
        EXPECT_EQ(capture(image, want).status, CaptureStatus::Busy);  // a ring of one
        const WaitResult done = capturer_->wait(r.ticket, kLongWaitNs);
        ASSERT_TRUE(done.ok()) << done.error;
        EXPECT_TRUE(done.view.duration_from_host_clock);
        EXPECT_GT(done.view.duration_us, 0.0);
        expect_matches_reference(done.view, image.format, texels, image.extent);
        EXPECT_EQ(capturer_->release(r.ticket), CaptureStatus::Ok);
    }
}

TEST_F(FrameCapturerTest, ConvertsThroughDeviceMemoryOrStraightIntoReadback) {
    // Auto picks by memory type (lavapipe's read-back memory is device-local: straight); both ways are forced here,
    // across growing and shrinking sizes and both outputs, and must match the reference alike.
    using Target = FrameCapturerCreateInfo::ConvertTarget;
    for (Target target : {Target::DeviceMemory, Target::ReadbackMemory}) {
        SCOPED_TRACE(target == Target::DeviceMemory ? "through device memory" : "straight into read-back memory");
        FrameCapturerCreateInfo info = device_->capturer_info();
        info.convert_target = target;
        info.slot_count = 2;
        std::string error;
        capturer_ = FrameCapturer::create(info, &error);
        ASSERT_TRUE(capturer_) << error;
        uint32_t seed = 10;
        for (const VkExtent2D extent : {VkExtent2D{97, 61}, VkExtent2D{640, 360}, VkExtent2D{3, 5}, VkExtent2D{64, 48}}) {
            for (VkFormat format : {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_SRGB}) {
                std::vector<uint8_t> texels;
                const TestImage& image = make_image(format, extent, &texels, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, ++seed);
                for (OutputFormat want : {OutputFormat::I420, OutputFormat::Bgra8}) {
                    SCOPED_TRACE(std::string(format_name(format)) + " " + std::to_string(extent.width) + "x" +
                                 std::to_string(extent.height) + " to " + output_format_name(want));
                    const SubmitResult r = capture(image, want);
                    ASSERT_TRUE(r.ok()) << r.error;
                    const WaitResult done = capturer_->wait(r.ticket, kLongWaitNs);
                    ASSERT_TRUE(done.ok()) << done.error;
                    expect_matches_reference(done.view, format, texels, extent);
                    EXPECT_EQ(capturer_->release(r.ticket), CaptureStatus::Ok);
                }
            }
        }
    }
}

// ---- destruction ----

TEST_F(FrameCapturerTest, DestructionWaitsForCapturesInFlight) {
    const TestImage& image = make_image(VK_FORMAT_R8G8B8A8_UNORM, {1280, 720});
    for (uint32_t i = 0; i < capturer_->slot_count(); ++i) {
        const SubmitResult r = capture(image, OutputFormat::I420);
        ASSERT_TRUE(r.ok()) << r.error;
    }
    // Never waited nor released: the destructor must wait before freeing (validation would report freeing
    // objects in use) and return.
    capturer_.reset();
}

TEST_F(FrameCapturerTest, DestructionGivesUpOnAHungCapture) {
    // A capture that cannot finish (held behind a gate) must not hang the destructor: it waits for the
    // configured time, then leaks rather than frees what the GPU may still write.
    FrameCapturerCreateInfo info = device_->capturer_info();
    info.destroy_timeout_ns = 100'000'000;
    std::string error;
    capturer_ = FrameCapturer::create(info, &error);
    ASSERT_TRUE(capturer_) << error;
    const TestImage& image = make_image(VK_FORMAT_B8G8R8A8_UNORM, {64, 48});
    const VkEvent gate = gate_event();
    submit_gate(gate);
    const SubmitResult r = capture(image, OutputFormat::I420);
    ASSERT_TRUE(r.ok()) << r.error;

    const auto start = std::chrono::steady_clock::now();
    capturer_.reset();
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 90ms);
    EXPECT_LT(took, 5s);
    open_gate(gate);
    vkQueueWaitIdle(device_->queue());  // the leaked capture has read the image before TearDown frees it
    // The deliberately leaked objects are reported when the device is destroyed.
    device_->ignore_validation_id("VUID-vkDestroyDevice-device-00378");
}

}  // namespace
}  // namespace anarchy::server::capture::test
