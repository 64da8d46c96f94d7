// Captures presented images on the GPU (DESIGN.md decision 8): copies a swapchain image into a buffer and,
// where needed, converts it with a compute shader (B,G,R,A bytes or I420) into persistently mapped host
// memory. A small fixed ring of slots bounds the frames in flight; when all are taken, submit says Busy and
// the caller drops the frame (decision 10: never a growing queue).
//
// Threads: submit(), wait() and release() may be called from any threads, concurrently, also on the same
// ticket (the server submits from its command stream and waits on a thread of its own). Concurrent submit()
// calls are serialised inside; each one must hold the VkQueue it is given externally synchronised, as
// vkQueueSubmit requires. The destructor must not overlap any other call.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include <vulkan/vulkan_core.h>

#include "server/capture/capture_format.h"
#include "server/capture/capture_memory.h"
#include "server/capture/capture_vulkan.h"

namespace anarchy::server::capture {

/// The outcome of a FrameCapturer call.
enum class CaptureStatus {
    Ok,
    Busy,               ///< submit: every slot is in flight or not yet released; drop the frame or retry later
    Timeout,            ///< wait: not finished within the timeout; wait again or release the ticket
    UnsupportedFormat,  ///< submit: this source format, or this conversion on this queue family, is not supported
    InvalidArgument,    ///< a null handle, a bad extent or layout, an unknown or already released ticket
    DeviceLost,         ///< the device is lost; every later submit and wait fails the same way
    Error,              ///< a Vulkan call failed (out of memory, ...); the message names it
};

/// "Busy", "DeviceLost", ...
const char* capture_status_name(CaptureStatus status);

/// Names one submitted capture until its release. The sequence makes a stale ticket detectable.
struct CaptureTicket {
    uint32_t slot = UINT32_MAX;
    uint64_t sequence = 0;
};

/// One plane of a captured frame.
struct CapturePlane {
    const uint8_t* data = nullptr;
    uint32_t stride = 0;  ///< bytes from one row to the next
    uint32_t width = 0;   ///< samples (Bgra8: pixels of 4 bytes) in a row that carry the image
    uint32_t height = 0;
};

/// A finished capture, in the capturer's mapped memory. Valid until the ticket is released.
struct CaptureView {
    OutputFormat format = OutputFormat::Bgra8;
    uint32_t width = 0;  ///< the captured image
    uint32_t height = 0;
    uint32_t plane_count = 0;  ///< 1 for Bgra8 (bytes B, G, R, A), 3 for I420 (Y, U, V; see I420Layout)
    std::array<CapturePlane, 3> planes{};
    const uint8_t* bytes = nullptr;  ///< all planes, contiguous, in plane order
    size_t size = 0;
    /// GPU time of the copy and conversion, from timestamp queries around the recorded commands (after the
    /// wait semaphores), in microseconds.
    double duration_us = 0;
    /// True when the queue family has no timestamps: duration_us is then host time from vkQueueSubmit to the
    /// moment wait() saw the fence signalled, which includes the semaphore waits and is an upper bound.
    bool duration_from_host_clock = false;
    uint64_t sequence = 0;
};

struct [[nodiscard]] SubmitResult {
    CaptureStatus status = CaptureStatus::Error;
    CaptureTicket ticket;  ///< valid when status is Ok
    std::string error;     ///< why, when status is not Ok
    bool ok() const { return status == CaptureStatus::Ok; }
};

struct [[nodiscard]] WaitResult {
    CaptureStatus status = CaptureStatus::Error;
    CaptureView view;  ///< valid when status is Ok
    std::string error;
    bool ok() const { return status == CaptureStatus::Ok; }
};

/// What a FrameCapturer is created for. The handles stay owned by the caller and must outlive the capturer.
struct FrameCapturerCreateInfo {
    PFN_vkGetInstanceProcAddr get_instance_proc_addr = nullptr;  ///< every function is loaded through it
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice physical_device = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    /// The family of the queues submit() will be given. It needs graphics, compute or transfer for the copy,
    /// and compute for any conversion (all but B8G8R8A8 to Bgra8).
    uint32_t queue_family_index = 0;
    uint32_t slot_count = 3;  ///< captures in flight at most, 1 to 8
    /// false: time captures on the host even where the family has timestamps (saves the two queries).
    bool gpu_timestamps = true;
    /// The device was created with hostQueryReset on. A family without graphics or compute (a copy engine) may
    /// not reset queries in a command buffer (VUID-vkCmdResetQueryPool-commandBuffer-cmdpool): with this its
    /// timestamps are reset by vkResetQueryPool on the host, without it its captures are timed on the host.
    bool host_query_reset = false;
    /// Where the compute pass (conversions) writes its result. Shader stores that cross PCIe into host memory are
    /// slow (2560x1600 to I420 on an NVIDIA H200: about 1.9 ms), a copy-engine transfer of the same bytes is not;
    /// where the read-back memory is the device's own (lavapipe, integrated GPUs) a second buffer only costs a copy.
    enum class ConvertTarget {
        Auto,            ///< DeviceMemory when the read-back memory is not device-local, else ReadbackMemory
        DeviceMemory,    ///< into a device-local buffer, then vkCmdCopyBuffer into the read-back buffer
        ReadbackMemory,  ///< straight into the read-back buffer
    };
    ConvertTarget convert_target = ConvertTarget::Auto;
    /// How long the destructor waits for captures still running before it gives up and leaks their objects
    /// (freeing memory a hung GPU may still write is worse than a leak).
    uint64_t destroy_timeout_ns = 2'000'000'000;
};

/// Captures images of one VkDevice on queues of one family.
class FrameCapturer {
public:
    /// Loads the functions and builds the pipelines; nullptr and `error` set when it cannot.
    static std::unique_ptr<FrameCapturer> create(const FrameCapturerCreateInfo& info, std::string* error);
    /// Waits (at most destroy_timeout_ns) for captures in flight, then frees everything.
    ~FrameCapturer();
    FrameCapturer(const FrameCapturer&) = delete;
    FrameCapturer& operator=(const FrameCapturer&) = delete;

    /// Records and submits one capture of mip 0, layer 0 of `image` on `queue` (externally synchronised by the
    /// caller). The submission waits on `wait_semaphores` (binary, each with a pending signal, e.g. those the
    /// present waits on; may be empty), reads the image, leaves it in `layout` (its layout before the call:
    /// normally PRESENT_SRC_KHR) and signals `signal_semaphores` (binary, optional) once the image is no longer
    /// read, and the slot's fence once the output is ready. The image needs TRANSFER_SRC usage and must be
    /// owned by this queue family (or be VK_SHARING_MODE_CONCURRENT including it). Returns Busy at once when
    /// no slot is free.
    SubmitResult submit(VkQueue queue, std::span<const VkSemaphore> wait_semaphores, VkImage image,
                        VkFormat format, VkExtent2D extent, VkImageLayout layout, OutputFormat want,
                        std::span<const VkSemaphore> signal_semaphores = {});

    /// Waits up to timeout_ns for the capture and returns a view of its output (again on a repeated call).
    WaitResult wait(CaptureTicket ticket, uint64_t timeout_ns);

    /// Returns the ticket's slot to the ring; its view becomes invalid. A capture released before it finished
    /// is reused only once its fence has signalled. InvalidArgument for an unknown or released ticket.
    CaptureStatus release(CaptureTicket ticket);

    uint32_t slot_count() const { return static_cast<uint32_t>(slots_.size()); }
    /// True when durations come from GPU timestamps rather than the host clock.
    bool has_gpu_timestamps() const { return timestamp_valid_bits_ != 0; }
    /// False when the queue family lacks compute: only B8G8R8A8 sources captured as Bgra8 are possible.
    bool can_convert() const { return compute_pipelines_ready_; }

private:
    enum class SlotState {
        Free,       ///< unused; its fence is signalled or was never submitted
        Recording,  ///< taken by a submit() in progress
        InFlight,   ///< submitted; the fence tells when it is done
        Ready,      ///< finished and seen by wait(); holds a view until release()
    };

    struct Slot {
        // Created once, then constant.
        VkCommandBuffer command_buffer = VK_NULL_HANDLE;
        VkDescriptorSet descriptor_set = VK_NULL_HANDLE;
        OwnedFence fence;
        // Changed only by the submit() holding the slot in Recording; read by wait() once InFlight.
        CaptureBuffer staging;  ///< the copied image for the compute pass (device-local)
        CaptureBuffer output;   ///< the result, host-visible and mapped
        CaptureBuffer converted;  ///< the compute pass's result before its copy into output (ConvertTarget), or none
        bool descriptors_current = false;  ///< descriptor_set points at the current staging and output (or converted)
        // Guarded by FrameCapturer::mu_.
        SlotState state = SlotState::Free;
        uint64_t sequence = 0;
        bool released = false;  ///< released while InFlight: free once the fence has signalled
        int waiters = 0;        ///< wait() calls blocked on the fence; the slot is not reused while any are
        CaptureView view;       ///< planes set at submit, duration filled in when wait() first sees it done
        std::chrono::steady_clock::time_point submitted_at;
    };

    explicit FrameCapturer(const FrameCapturerCreateInfo& info);
    void initialise();
    void create_compute_pipelines();
    SubmitResult submit_unguarded(VkQueue queue, std::span<const VkSemaphore> wait_semaphores, VkImage image,
                                  VkFormat format, VkExtent2D extent, VkImageLayout layout, OutputFormat want,
                                  std::span<const VkSemaphore> signal_semaphores);
    /// A Free slot (or a released one whose fence has signalled), marked Recording; nullptr if none. Needs mu_.
    Slot* take_free_slot_locked();
    /// Reads the timestamps, makes the output visible to the host and marks the slot Ready. Needs mu_.
    void complete_locked(uint32_t index, Slot& slot);
    void ensure_buffers(Slot& slot, VkDeviceSize staging_size, VkDeviceSize output_size);
    void record(uint32_t index, Slot& slot, VkImage image, VkExtent2D extent, VkImageLayout layout,
                SourceLayout source, OutputFormat want, const I420Layout& i420, VkDeviceSize output_bytes);
    /// Whether the compute pass writes into Slot::converted for an output buffer in memory of `output_flags`.
    bool converts_via_device_memory(VkMemoryPropertyFlags output_flags) const;
    /// Drops ownership of every object without destroying it: the GPU may still be using them.
    void leak_everything();

    const FrameCapturerCreateInfo info_;
    InstanceFunctions vki_{};
    DeviceFunctions vk_{};
    VkPhysicalDeviceMemoryProperties memory_properties_{};
    VkPhysicalDeviceLimits limits_{};
    uint32_t timestamp_valid_bits_ = 0;  ///< 0: the family has no timestamps
    PFN_vkResetQueryPool reset_query_pool_ = nullptr;  ///< set where queries are reset on the host
    bool compute_supported_ = false;
    bool compute_pipelines_ready_ = false;

    OwnedCommandPool command_pool_;  ///< used only under submit_mu_ (and by the destructor)
    OwnedQueryPool query_pool_;      ///< two timestamps per slot; null without timestamps
    OwnedDescriptorSetLayout set_layout_;
    OwnedPipelineLayout pipeline_layout_;
    OwnedDescriptorPool descriptor_pool_;
    OwnedPipeline bgra_pipeline_;
    OwnedPipeline i420_pipeline_;
    std::vector<Slot> slots_;  ///< sized once by initialise()

    std::mutex submit_mu_;  ///< serialises submit(): the command pool, descriptor sets and slot buffers
    std::mutex mu_;         ///< guards the mu_-guarded fields of every slot and next_sequence_
    uint64_t next_sequence_ = 1;
    std::atomic<bool> device_lost_{false};
};

}  // namespace anarchy::server::capture
