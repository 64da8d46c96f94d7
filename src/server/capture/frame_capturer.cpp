#include "server/capture/frame_capturer.h"

#include <algorithm>

#include "common/log.h"
#include "convert_to_bgra_spv.h"
#include "convert_to_i420_spv.h"

namespace anarchy::server::capture {
namespace {

constexpr const char* kLogCategory = "capture";
constexpr uint32_t kMaxSlots = 8;

/// Mirrors `params` in shaders/capture_source.glsl.
struct CapturePushConstants {
    uint32_t width;
    uint32_t height;
    uint32_t source_layout;
    uint32_t y_stride;
    uint32_t uv_stride;
    uint32_t luma_height;
    uint32_t u_offset;
    uint32_t v_offset;
};
static_assert(sizeof(CapturePushConstants) == 32, "must match the shaders' push constant block");

constexpr uint32_t kBgraGroupWidth = 64;  // local_size_x of convert_to_bgra.comp
constexpr uint32_t kBgraTexelsPerInvocation = 8;
constexpr uint32_t kI420GroupSide = 8;    // local_size_x and _y of convert_to_i420.comp
constexpr uint32_t kI420ColumnsPerInvocation = 8;
constexpr uint32_t kI420RowsPerInvocation = 2;

uint32_t divide_round_up(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

/// Layouts vkCmdCopyImageToBuffer can read from directly; any other needs a transition there and back.
bool copyable_in_place(VkImageLayout layout) {
    return layout == VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL || layout == VK_IMAGE_LAYOUT_GENERAL;
}

CaptureStatus status_of(VkResult result) {
    return result == VK_ERROR_DEVICE_LOST ? CaptureStatus::DeviceLost : CaptureStatus::Error;
}

}  // namespace

const char* capture_status_name(CaptureStatus status) {
    switch (status) {
        case CaptureStatus::Ok: return "Ok";
        case CaptureStatus::Busy: return "Busy";
        case CaptureStatus::Timeout: return "Timeout";
        case CaptureStatus::UnsupportedFormat: return "UnsupportedFormat";
        case CaptureStatus::InvalidArgument: return "InvalidArgument";
        case CaptureStatus::DeviceLost: return "DeviceLost";
        case CaptureStatus::Error: return "Error";
    }
    return "unknown CaptureStatus";
}

// ---- creation and destruction ----

std::unique_ptr<FrameCapturer> FrameCapturer::create(const FrameCapturerCreateInfo& info, std::string* error) {
    auto fail = [&](const std::string& why) {
        LOG_ERROR("frame capture unavailable: %s", why.c_str());
        if (error) *error = why;
        return std::unique_ptr<FrameCapturer>();
    };
    if (!info.get_instance_proc_addr || !info.instance || !info.physical_device || !info.device)
        return fail("vkGetInstanceProcAddr, the instance, the physical device and the device are all required");
    if (info.slot_count < 1 || info.slot_count > kMaxSlots)
        return fail("slot_count " + std::to_string(info.slot_count) + " is outside 1.." + std::to_string(kMaxSlots));
    std::unique_ptr<FrameCapturer> capturer(new FrameCapturer(info));
    try {
        capturer->initialise();
    } catch (const std::exception& e) {
        return fail(e.what());  // the destructor frees what initialise() had created
    }
    return capturer;
}

FrameCapturer::FrameCapturer(const FrameCapturerCreateInfo& info) : info_(info) {}

void FrameCapturer::initialise() {
    std::string missing;
    if (!load_instance_functions(info_.get_instance_proc_addr, info_.instance, vki_, missing))
        throw VulkanCallError("vkGetInstanceProcAddr returned no " + missing);

    uint32_t family_count = 0;
    vki_.vkGetPhysicalDeviceQueueFamilyProperties(info_.physical_device, &family_count, nullptr);
    std::vector<VkQueueFamilyProperties> families(family_count);
    vki_.vkGetPhysicalDeviceQueueFamilyProperties(info_.physical_device, &family_count, families.data());
    if (info_.queue_family_index >= family_count)
        throw VulkanCallError("queue family " + std::to_string(info_.queue_family_index) + " does not exist (the device has " +
                              std::to_string(family_count) + ")");
    const VkQueueFamilyProperties& family = families[info_.queue_family_index];
    // Graphics and compute families can always transfer, whether or not they say so.
    constexpr VkQueueFlags kCanCopy = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT;
    if (!(family.queueFlags & kCanCopy))
        throw VulkanCallError("queue family " + std::to_string(info_.queue_family_index) +
                              " supports neither graphics, compute nor transfer: it cannot copy an image");
    compute_supported_ = (family.queueFlags & VK_QUEUE_COMPUTE_BIT) != 0;
    timestamp_valid_bits_ = info_.gpu_timestamps ? family.timestampValidBits : 0;

    VkPhysicalDeviceProperties properties{};
    vki_.vkGetPhysicalDeviceProperties(info_.physical_device, &properties);
    limits_ = properties.limits;
    vki_.vkGetPhysicalDeviceMemoryProperties(info_.physical_device, &memory_properties_);

    if (!load_device_functions(vki_, info_.device, vk_, missing))
        throw VulkanCallError("vkGetDeviceProcAddr returned no " + missing);
    if (!(family.queueFlags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) && timestamp_valid_bits_) {
        // A copy engine cannot reset its timestamp queries in a command buffer: on the host, or no timestamps.
        if (info_.host_query_reset) {
            reset_query_pool_ =
                reinterpret_cast<PFN_vkResetQueryPool>(vki_.vkGetDeviceProcAddr(info_.device, "vkResetQueryPool"));
            if (!reset_query_pool_)
                reset_query_pool_ = reinterpret_cast<PFN_vkResetQueryPool>(
                    vki_.vkGetDeviceProcAddr(info_.device, "vkResetQueryPoolEXT"));
        }
        if (!reset_query_pool_) timestamp_valid_bits_ = 0;
    }
    const VkDevice device = info_.device;

    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;  // each slot re-records its own buffer
    pool_info.queueFamilyIndex = info_.queue_family_index;
    VkCommandPool pool = VK_NULL_HANDLE;
    vk_check(vk_.vkCreateCommandPool(device, &pool_info, nullptr, &pool), "vkCreateCommandPool");
    command_pool_ = OwnedCommandPool(&vk_, device, pool);

    slots_ = std::vector<Slot>(info_.slot_count);
    std::vector<VkCommandBuffer> command_buffers(info_.slot_count);
    VkCommandBufferAllocateInfo allocate_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    allocate_info.commandPool = pool;
    allocate_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    allocate_info.commandBufferCount = info_.slot_count;
    vk_check(vk_.vkAllocateCommandBuffers(device, &allocate_info, command_buffers.data()), "vkAllocateCommandBuffers");
    for (uint32_t i = 0; i < info_.slot_count; ++i) {
        slots_[i].command_buffer = command_buffers[i];
        VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        VkFence fence = VK_NULL_HANDLE;
        vk_check(vk_.vkCreateFence(device, &fence_info, nullptr, &fence), "vkCreateFence");
        slots_[i].fence = OwnedFence(&vk_, device, fence);
    }

    if (timestamp_valid_bits_ != 0) {
        VkQueryPoolCreateInfo query_info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
        query_info.queryType = VK_QUERY_TYPE_TIMESTAMP;
        query_info.queryCount = 2 * info_.slot_count;
        VkQueryPool query_pool = VK_NULL_HANDLE;
        vk_check(vk_.vkCreateQueryPool(device, &query_info, nullptr, &query_pool), "vkCreateQueryPool");
        query_pool_ = OwnedQueryPool(&vk_, device, query_pool);
    }

    if (compute_supported_) {
        create_compute_pipelines();
    } else {
        // A copy engine's family (the server's own capture queue) is meant for plain copies; others are worth a word.
        if (family.queueFlags & VK_QUEUE_GRAPHICS_BIT)
            LOG_WARN("capture: queue family %u has no compute; only B8G8R8A8 images captured as Bgra8 are possible",
                     info_.queue_family_index);
        else
            LOG_INFO("capture: queue family %u copies B8G8R8A8 images as Bgra8 (no compute for conversions)",
                     info_.queue_family_index);
    }
    LOG_DEBUG(kLogCategory, "frame capturer ready: %u slots, queue family %u, %s, memory types %u", info_.slot_count,
              info_.queue_family_index, timestamp_valid_bits_ ? "GPU timestamps" : "host timing",
              memory_properties_.memoryTypeCount);
}

void FrameCapturer::create_compute_pipelines() {
    const VkDevice device = info_.device;
    VkDescriptorSetLayoutBinding bindings[2]{};
    for (uint32_t i = 0; i < 2; ++i) {
        bindings[i].binding = i;  // 0: the copied texels, 1: the output
        bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        bindings[i].descriptorCount = 1;
        bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo set_layout_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    set_layout_info.bindingCount = 2;
    set_layout_info.pBindings = bindings;
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    vk_check(vk_.vkCreateDescriptorSetLayout(device, &set_layout_info, nullptr, &set_layout),
             "vkCreateDescriptorSetLayout");
    set_layout_ = OwnedDescriptorSetLayout(&vk_, device, set_layout);

    VkPushConstantRange push_range{VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(CapturePushConstants)};
    VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout_info.setLayoutCount = 1;
    layout_info.pSetLayouts = &set_layout;
    layout_info.pushConstantRangeCount = 1;
    layout_info.pPushConstantRanges = &push_range;
    VkPipelineLayout pipeline_layout = VK_NULL_HANDLE;
    vk_check(vk_.vkCreatePipelineLayout(device, &layout_info, nullptr, &pipeline_layout), "vkCreatePipelineLayout");
    pipeline_layout_ = OwnedPipelineLayout(&vk_, device, pipeline_layout);

    auto build = [&](const uint32_t* code, size_t code_bytes, const char* what) {
        VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
        module_info.codeSize = code_bytes;
        module_info.pCode = code;
        VkShaderModule module = VK_NULL_HANDLE;
        vk_check(vk_.vkCreateShaderModule(device, &module_info, nullptr, &module), "vkCreateShaderModule");
        OwnedShaderModule owned_module(&vk_, device, module);  // needed only until the pipeline exists
        VkComputePipelineCreateInfo pipeline_info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
        pipeline_info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
        pipeline_info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
        pipeline_info.stage.module = module;
        pipeline_info.stage.pName = "main";
        pipeline_info.layout = pipeline_layout;
        VkPipeline pipeline = VK_NULL_HANDLE;
        vk_check(vk_.vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &pipeline_info, nullptr, &pipeline), what);
        return OwnedPipeline(&vk_, device, pipeline);
    };
    bgra_pipeline_ = build(convert_to_bgra_spv, sizeof convert_to_bgra_spv, "vkCreateComputePipelines (to BGRA)");
    i420_pipeline_ = build(convert_to_i420_spv, sizeof convert_to_i420_spv, "vkCreateComputePipelines (to I420)");

    const uint32_t set_count = info_.slot_count;
    VkDescriptorPoolSize pool_size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2 * set_count};
    VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pool_info.maxSets = set_count;
    pool_info.poolSizeCount = 1;
    pool_info.pPoolSizes = &pool_size;
    VkDescriptorPool pool = VK_NULL_HANDLE;
    vk_check(vk_.vkCreateDescriptorPool(device, &pool_info, nullptr, &pool), "vkCreateDescriptorPool");
    descriptor_pool_ = OwnedDescriptorPool(&vk_, device, pool);

    std::vector<VkDescriptorSetLayout> layouts(set_count, set_layout);
    std::vector<VkDescriptorSet> sets(set_count);
    VkDescriptorSetAllocateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    set_info.descriptorPool = pool;
    set_info.descriptorSetCount = set_count;
    set_info.pSetLayouts = layouts.data();
    vk_check(vk_.vkAllocateDescriptorSets(device, &set_info, sets.data()), "vkAllocateDescriptorSets");
    for (uint32_t i = 0; i < set_count; ++i) slots_[i].descriptor_set = sets[i];
    compute_pipelines_ready_ = true;
}

FrameCapturer::~FrameCapturer() {
    if (!vk_.vkWaitForFences) return;  // initialise() failed before anything device-level was created
    std::vector<VkFence> running;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (const Slot& slot : slots_)
            if (slot.state == SlotState::InFlight && slot.fence) running.push_back(slot.fence.get());
    }
    if (!running.empty()) {
        const VkResult r = vk_.vkWaitForFences(info_.device, static_cast<uint32_t>(running.size()), running.data(),
                                               VK_TRUE, info_.destroy_timeout_ns);
        // After device loss objects may be destroyed; after a timeout the GPU may still write into them.
        if (r != VK_SUCCESS && r != VK_ERROR_DEVICE_LOST) {
            LOG_ERROR("capture: %zu captures still running after %.0f ms (%s); leaking the capturer's Vulkan objects "
                      "rather than freeing memory the GPU may still write",
                      running.size(), info_.destroy_timeout_ns / 1e6, vk_result_name(r));
            leak_everything();
        }
    }
    // Members now destroy themselves: slots (buffers, memory, fences), then pipelines, pools and layouts.
    slots_.clear();
}

void FrameCapturer::leak_everything() {
    for (Slot& slot : slots_) {
        (void)slot.fence.release();
        (void)slot.staging.buffer.release();
        (void)slot.staging.memory.release();
        (void)slot.output.buffer.release();
        (void)slot.output.memory.release();
        (void)slot.converted.buffer.release();
        (void)slot.converted.memory.release();
    }
    (void)command_pool_.release();
    (void)query_pool_.release();
    (void)descriptor_pool_.release();
    (void)bgra_pipeline_.release();
    (void)i420_pipeline_.release();
    (void)pipeline_layout_.release();
    (void)set_layout_.release();
}

// ---- submit ----

SubmitResult FrameCapturer::submit(VkQueue queue, std::span<const VkSemaphore> wait_semaphores, VkImage image,
                                   VkFormat format, VkExtent2D extent, VkImageLayout layout, OutputFormat want,
                                   std::span<const VkSemaphore> signal_semaphores) {
    std::lock_guard<std::mutex> submit_lock(submit_mu_);
    SubmitResult result;
    try {
        result = submit_unguarded(queue, wait_semaphores, image, format, extent, layout, want, signal_semaphores);
    } catch (const VulkanCallError& e) {
        result.status = status_of(e.result());
        result.error = e.what();
    } catch (const std::exception& e) {
        result.status = CaptureStatus::Error;
        result.error = e.what();
    }
    // Refusals repeat every frame and the caller reports them; only failures of the device are worth a warning.
    const bool newly_lost = result.status == CaptureStatus::DeviceLost && !device_lost_.exchange(true);
    if (newly_lost || result.status == CaptureStatus::Error) {
        LOG_WARN("capture: submit failed (%s): %s", capture_status_name(result.status), result.error.c_str());
    } else if (!result.ok()) {
        LOG_DEBUG(kLogCategory, "capture: submit refused (%s): %s", capture_status_name(result.status),
                  result.error.c_str());
    }
    return result;
}

SubmitResult FrameCapturer::submit_unguarded(VkQueue queue, std::span<const VkSemaphore> wait_semaphores,
                                             VkImage image, VkFormat format, VkExtent2D extent, VkImageLayout layout,
                                             OutputFormat want, std::span<const VkSemaphore> signal_semaphores) {
    auto refuse = [](CaptureStatus status, std::string why) {
        SubmitResult r;
        r.status = status;
        r.error = std::move(why);
        return r;
    };
    if (device_lost_) return refuse(CaptureStatus::DeviceLost, "the device was lost earlier");
    if (queue == VK_NULL_HANDLE || image == VK_NULL_HANDLE)
        return refuse(CaptureStatus::InvalidArgument, "null queue or image");
    if (want != OutputFormat::Bgra8 && want != OutputFormat::I420)
        return refuse(CaptureStatus::InvalidArgument, "unknown output format");
    const uint32_t max_side = limits_.maxImageDimension2D;
    if (extent.width == 0 || extent.height == 0 || extent.width > max_side || extent.height > max_side)
        return refuse(CaptureStatus::InvalidArgument, "extent " + std::to_string(extent.width) + "x" +
                                                          std::to_string(extent.height) + " is outside 1.." +
                                                          std::to_string(max_side));
    if (layout == VK_IMAGE_LAYOUT_UNDEFINED || layout == VK_IMAGE_LAYOUT_PREINITIALIZED)
        return refuse(CaptureStatus::InvalidArgument, "an image in layout UNDEFINED or PREINITIALIZED holds nothing to capture");
    const std::optional<SourceLayout> source = source_layout_of(format);
    if (!source)
        return refuse(CaptureStatus::UnsupportedFormat,
                      std::string("cannot capture images of ") + format_name(format) +
                          "; supported are B8G8R8A8_UNORM/SRGB, R8G8B8A8_UNORM/SRGB, A2B10G10R10_UNORM_PACK32 and "
                          "A2R10G10B10_UNORM_PACK32");
    const bool compute = needs_compute(*source, want);
    if (compute && !compute_pipelines_ready_)
        return refuse(CaptureStatus::UnsupportedFormat,
                      std::string("converting ") + format_name(format) + " to " + output_format_name(want) +
                          " needs compute, which queue family " + std::to_string(info_.queue_family_index) + " lacks");

    const I420Layout i420 = i420_layout(extent.width, extent.height);
    const VkDeviceSize texel_bytes = VkDeviceSize(extent.width) * extent.height * 4;
    const VkDeviceSize output_bytes = want == OutputFormat::I420 ? VkDeviceSize(i420.total_bytes) : texel_bytes;
    if (compute) {
        // The shaders index 32-bit words with 32-bit integers, through descriptors capped at maxStorageBufferRange.
        const VkDeviceSize largest = std::max(texel_bytes, output_bytes);
        if (largest > limits_.maxStorageBufferRange || largest > 0xffffffffull)
            return refuse(CaptureStatus::UnsupportedFormat,
                          "a " + std::to_string(extent.width) + "x" + std::to_string(extent.height) +
                              " conversion needs a storage buffer of " + std::to_string(largest) +
                              " bytes, over the device's maxStorageBufferRange of " +
                              std::to_string(limits_.maxStorageBufferRange));
        const uint32_t groups_x = want == OutputFormat::I420
                                      ? divide_round_up(i420.y_stride / kI420ColumnsPerInvocation, kI420GroupSide)
                                      : divide_round_up(extent.width, kBgraGroupWidth * kBgraTexelsPerInvocation);
        const uint32_t groups_y = want == OutputFormat::I420
                                      ? divide_round_up(i420.luma_height / kI420RowsPerInvocation, kI420GroupSide)
                                      : extent.height;
        if (groups_x > limits_.maxComputeWorkGroupCount[0] || groups_y > limits_.maxComputeWorkGroupCount[1])
            return refuse(CaptureStatus::UnsupportedFormat, "the image is too large for one dispatch on this device");
    }

    Slot* slot_ptr = nullptr;
    uint64_t sequence = 0;
    {
        std::lock_guard<std::mutex> lock(mu_);
        slot_ptr = take_free_slot_locked();
        if (!slot_ptr) return refuse(CaptureStatus::Busy, "all capture slots are in flight or not yet released");
        sequence = slot_ptr->sequence = next_sequence_++;
    }
    Slot& slot = *slot_ptr;
    const uint32_t index = static_cast<uint32_t>(slot_ptr - slots_.data());
    // From here the slot is ours (Recording); any failure must hand it back as Free.
    try {
        ensure_buffers(slot, compute ? texel_bytes : 0, output_bytes);
        record(index, slot, image, extent, layout, *source, want, i420, output_bytes);

        const VkFence fence = slot.fence.get();
        vk_check(vk_.vkResetFences(info_.device, 1, &fence), "vkResetFences");
        // The capture is the first work of its batch, so waiting in every stage delays nothing, and it keeps the
        // first timestamp after the wait: the measured time is the capture's own.
        std::vector<VkPipelineStageFlags> wait_stages(wait_semaphores.size(), VK_PIPELINE_STAGE_ALL_COMMANDS_BIT);
        VkSubmitInfo submit_info{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit_info.waitSemaphoreCount = static_cast<uint32_t>(wait_semaphores.size());
        submit_info.pWaitSemaphores = wait_semaphores.data();
        submit_info.pWaitDstStageMask = wait_stages.data();
        submit_info.commandBufferCount = 1;
        submit_info.pCommandBuffers = &slot.command_buffer;
        submit_info.signalSemaphoreCount = static_cast<uint32_t>(signal_semaphores.size());
        submit_info.pSignalSemaphores = signal_semaphores.data();
        const auto submitted_at = std::chrono::steady_clock::now();
        vk_check(vk_.vkQueueSubmit(queue, 1, &submit_info, fence), "vkQueueSubmit");

        std::lock_guard<std::mutex> lock(mu_);
        slot.state = SlotState::InFlight;
        slot.submitted_at = submitted_at;
        CaptureView& view = slot.view;
        view = CaptureView{};
        view.format = want;
        view.width = extent.width;
        view.height = extent.height;
        view.sequence = sequence;
        view.bytes = slot.output.mapped;
        view.size = static_cast<size_t>(output_bytes);
        view.duration_from_host_clock = timestamp_valid_bits_ == 0;
        if (want == OutputFormat::Bgra8) {
            view.plane_count = 1;
            view.planes[0] = {slot.output.mapped, extent.width * 4, extent.width, extent.height};
        } else {
            view.plane_count = 3;
            view.planes[0] = {slot.output.mapped + i420.y_offset, i420.y_stride, i420.luma_width, i420.luma_height};
            view.planes[1] = {slot.output.mapped + i420.u_offset, i420.uv_stride, i420.chroma_width, i420.chroma_height};
            view.planes[2] = {slot.output.mapped + i420.v_offset, i420.uv_stride, i420.chroma_width, i420.chroma_height};
        }
    } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        slot.state = SlotState::Free;  // never submitted: its fence is unsignalled but nothing will wait on it
        throw;
    }
    LOG_TRACE(kLogCategory, "capture %llu submitted on slot %u: %ux%u %s -> %s", static_cast<unsigned long long>(sequence),
              index, extent.width, extent.height, format_name(format), output_format_name(want));
    SubmitResult ok;
    ok.status = CaptureStatus::Ok;
    ok.ticket = {index, sequence};
    return ok;
}

FrameCapturer::Slot* FrameCapturer::take_free_slot_locked() {
    for (Slot& slot : slots_) {
        if (slot.waiters != 0) continue;
        bool usable = slot.state == SlotState::Free;
        if (!usable && slot.state == SlotState::InFlight && slot.released) {
            const VkResult r = vk_.vkGetFenceStatus(info_.device, slot.fence.get());
            if (r == VK_ERROR_DEVICE_LOST) throw VulkanCallError("vkGetFenceStatus", r);
            usable = r == VK_SUCCESS;
        }
        if (usable) {
            slot.state = SlotState::Recording;
            slot.released = false;
            return &slot;
        }
    }
    return nullptr;
}

void FrameCapturer::ensure_buffers(Slot& slot, VkDeviceSize staging_size, VkDeviceSize output_size) {
    constexpr VkBufferUsageFlags kUsage = VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    // Buffers only grow: a swapchain keeps its size for many frames, and shrinking would reallocate on resizes.
    // A new buffer may get the handle of the one it replaces, so a flag, not a handle comparison, says the
    // descriptor set is stale.
    if (staging_size > slot.staging.size) {
        slot.descriptors_current = false;
        slot.staging = CaptureBuffer{};
        slot.staging = create_capture_buffer(vk_, info_.device, memory_properties_, staging_size, kUsage,
                                             MemoryUse::GpuOnly);
    }
    if (output_size > slot.output.size) {
        slot.descriptors_current = false;
        slot.output = CaptureBuffer{};
        slot.output = create_capture_buffer(vk_, info_.device, memory_properties_, output_size, kUsage,
                                            MemoryUse::Readback);
    }
    if (staging_size == 0) return;  // no compute pass
    if (converts_via_device_memory(slot.output.flags) && output_size > slot.converted.size) {
        slot.descriptors_current = false;
        slot.converted = CaptureBuffer{};
        slot.converted = create_capture_buffer(vk_, info_.device, memory_properties_, output_size,
                                               VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                               MemoryUse::GpuOnly);
    }
    if (!slot.descriptor_set || slot.descriptors_current) return;
    // The slot's previous submission has finished (it is Recording), so its descriptor set may be rewritten.
    const CaptureBuffer& result = slot.converted.buffer ? slot.converted : slot.output;
    VkDescriptorBufferInfo buffers[2] = {
        {slot.staging.buffer.get(), 0, std::min<VkDeviceSize>(slot.staging.size, limits_.maxStorageBufferRange)},
        {result.buffer.get(), 0, std::min<VkDeviceSize>(result.size, limits_.maxStorageBufferRange)},
    };
    VkWriteDescriptorSet write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    write.dstSet = slot.descriptor_set;
    write.dstBinding = 0;
    write.descriptorCount = 2;  // bindings 0 and 1 are consecutive and of one type
    write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    write.pBufferInfo = buffers;
    vk_.vkUpdateDescriptorSets(info_.device, 1, &write, 0, nullptr);
    slot.descriptors_current = true;
}

bool FrameCapturer::converts_via_device_memory(VkMemoryPropertyFlags output_flags) const {
    switch (info_.convert_target) {
        case FrameCapturerCreateInfo::ConvertTarget::DeviceMemory: return true;
        case FrameCapturerCreateInfo::ConvertTarget::ReadbackMemory: return false;
        case FrameCapturerCreateInfo::ConvertTarget::Auto: break;
    }
    return (output_flags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) == 0;
}

void FrameCapturer::record(uint32_t index, Slot& slot, VkImage image, VkExtent2D extent, VkImageLayout layout,
                           SourceLayout source, OutputFormat want, const I420Layout& i420, VkDeviceSize output_bytes) {
    const VkCommandBuffer cb = slot.command_buffer;
    const bool compute = needs_compute(source, want);
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    vk_check(vk_.vkBeginCommandBuffer(cb, &begin), "vkBeginCommandBuffer");  // implicitly resets it

    if (query_pool_) {
        // The slot is free, so its queries are not in use: a reset on the host takes effect at once.
        if (reset_query_pool_)
            reset_query_pool_(info_.device, query_pool_.get(), 2 * index, 2);
        else
            vk_.vkCmdResetQueryPool(cb, query_pool_.get(), 2 * index, 2);
        vk_.vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, query_pool_.get(), 2 * index);
    }

    // Before the copy: everything earlier on the queue (the application's rendering when no semaphore is given)
    // and the semaphore waits; move the image to a layout the copy can read. The queue family indices stay
    // IGNORED: the caller guarantees this family owns the image, so no ownership transfer happens here.
    const bool transition = !copyable_in_place(layout);
    const VkImageLayout copy_layout = transition ? VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL : layout;
    VkImageMemoryBarrier to_copy{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    to_copy.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT;
    to_copy.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
    to_copy.oldLayout = layout;
    to_copy.newLayout = copy_layout;
    to_copy.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_copy.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_copy.image = image;
    to_copy.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vk_.vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0,
                             nullptr, 1, &to_copy);

    const VkBuffer copy_target = compute ? slot.staging.buffer.get() : slot.output.buffer.get();
    VkBufferImageCopy region{};
    region.bufferOffset = 0;
    region.bufferRowLength = 0;  // tightly packed: rows of extent.width texels
    region.bufferImageHeight = 0;
    region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.imageExtent = {extent.width, extent.height, 1};
    vk_.vkCmdCopyImageToBuffer(cb, image, copy_layout, copy_target, 1, &region);

    if (transition) {
        // Back to the caller's layout once the copy has read it; what uses the image next is ordered after this
        // submission by its fence or signal semaphores.
        VkImageMemoryBarrier back = to_copy;
        back.srcAccessMask = 0;
        back.dstAccessMask = 0;
        back.oldLayout = copy_layout;
        back.newLayout = layout;
        vk_.vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0,
                                 nullptr, 0, nullptr, 1, &back);
    }

    VkBufferMemoryBarrier to_host{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
    to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    to_host.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_host.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_host.buffer = slot.output.buffer.get();
    to_host.offset = 0;
    to_host.size = VK_WHOLE_SIZE;
    if (compute) {
        VkBufferMemoryBarrier to_shader{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
        to_shader.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
        to_shader.dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
        to_shader.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        to_shader.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        to_shader.buffer = slot.staging.buffer.get();
        to_shader.offset = 0;
        to_shader.size = VK_WHOLE_SIZE;
        vk_.vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 0,
                                 nullptr, 1, &to_shader, 0, nullptr);

        CapturePushConstants params{};
        params.width = extent.width;
        params.height = extent.height;
        params.source_layout = static_cast<uint32_t>(source);
        params.y_stride = i420.y_stride;
        params.uv_stride = i420.uv_stride;
        params.luma_height = i420.luma_height;
        params.u_offset = static_cast<uint32_t>(i420.u_offset);
        params.v_offset = static_cast<uint32_t>(i420.v_offset);
        const bool to_i420 = want == OutputFormat::I420;
        vk_.vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, to_i420 ? i420_pipeline_.get() : bgra_pipeline_.get());
        vk_.vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_layout_.get(), 0, 1,
                                    &slot.descriptor_set, 0, nullptr);
        vk_.vkCmdPushConstants(cb, pipeline_layout_.get(), VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof params, &params);
        if (to_i420)
            vk_.vkCmdDispatch(cb, divide_round_up(i420.y_stride / kI420ColumnsPerInvocation, kI420GroupSide),
                              divide_round_up(i420.luma_height / kI420RowsPerInvocation, kI420GroupSide), 1);
        else
            vk_.vkCmdDispatch(cb, divide_round_up(extent.width, kBgraGroupWidth * kBgraTexelsPerInvocation),
                              extent.height, 1);
        if (slot.converted.buffer) {
            // Written in device memory; the copy engine moves it to the read-back buffer in large transfers.
            VkBufferMemoryBarrier to_copy_out = to_shader;
            to_copy_out.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
            to_copy_out.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
            to_copy_out.buffer = slot.converted.buffer.get();
            vk_.vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                                     nullptr, 1, &to_copy_out, 0, nullptr);
            const VkBufferCopy region{0, 0, output_bytes};
            vk_.vkCmdCopyBuffer(cb, slot.converted.buffer.get(), slot.output.buffer.get(), 1, &region);
            to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
            vk_.vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1,
                                     &to_host, 0, nullptr);
        } else {
            to_host.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
            vk_.vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0,
                                     nullptr, 1, &to_host, 0, nullptr);
        }
    } else {
        to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
        vk_.vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1,
                                 &to_host, 0, nullptr);
    }

    if (query_pool_)
        vk_.vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, query_pool_.get(), 2 * index + 1);
    vk_check(vk_.vkEndCommandBuffer(cb), "vkEndCommandBuffer");
}

// ---- wait and release ----

WaitResult FrameCapturer::wait(CaptureTicket ticket, uint64_t timeout_ns) {
    WaitResult result;
    auto refuse = [&](CaptureStatus status, std::string why) {
        result.status = status;
        result.error = std::move(why);
        return result;
    };
    VkFence fence = VK_NULL_HANDLE;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (ticket.slot >= slots_.size() || slots_[ticket.slot].sequence != ticket.sequence ||
            slots_[ticket.slot].released ||
            (slots_[ticket.slot].state != SlotState::InFlight && slots_[ticket.slot].state != SlotState::Ready))
            return refuse(CaptureStatus::InvalidArgument, "unknown or released capture ticket");
        Slot& slot = slots_[ticket.slot];
        if (slot.state == SlotState::Ready) {
            result.status = CaptureStatus::Ok;
            result.view = slot.view;
            return result;
        }
        if (device_lost_) return refuse(CaptureStatus::DeviceLost, "the device was lost");
        ++slot.waiters;  // keeps the slot from being reused while the fence is waited on without the lock
        fence = slot.fence.get();
    }
    const VkResult r = vk_.vkWaitForFences(info_.device, 1, &fence, VK_TRUE, timeout_ns);

    std::lock_guard<std::mutex> lock(mu_);
    Slot& slot = slots_[ticket.slot];
    --slot.waiters;
    if (slot.released || (slot.state != SlotState::InFlight && slot.state != SlotState::Ready))
        return refuse(CaptureStatus::InvalidArgument, "the capture was released while waiting for it");
    if (r == VK_TIMEOUT)
        return refuse(CaptureStatus::Timeout, "the capture did not finish within " + std::to_string(timeout_ns) + " ns");
    if (r != VK_SUCCESS) {
        if (r == VK_ERROR_DEVICE_LOST) {
            device_lost_ = true;
            LOG_ERROR("capture: device lost while waiting for capture %llu",
                      static_cast<unsigned long long>(ticket.sequence));
        }
        return refuse(status_of(r), std::string("vkWaitForFences failed: ") + vk_result_name(r));
    }
    if (slot.state == SlotState::InFlight) {
        try {
            complete_locked(ticket.slot, slot);
        } catch (const VulkanCallError& e) {
            if (e.result() == VK_ERROR_DEVICE_LOST) device_lost_ = true;
            return refuse(status_of(e.result()), e.what());
        }
    }
    result.status = CaptureStatus::Ok;
    result.view = slot.view;
    return result;
}

void FrameCapturer::complete_locked(uint32_t index, Slot& slot) {
    if (query_pool_) {
        uint64_t ticks[2] = {0, 0};
        const VkResult r = vk_.vkGetQueryPoolResults(info_.device, query_pool_.get(), 2 * index, 2, sizeof ticks, ticks,
                                                     sizeof(uint64_t), VK_QUERY_RESULT_64_BIT);
        if (r == VK_ERROR_DEVICE_LOST) vk_check(r, "vkGetQueryPoolResults");
        if (r == VK_SUCCESS) {
            const uint64_t mask = timestamp_valid_bits_ >= 64 ? ~0ull : (1ull << timestamp_valid_bits_) - 1;
            const uint64_t elapsed = (ticks[1] - ticks[0]) & mask;  // masking keeps a wrapped counter right
            slot.view.duration_us = double(elapsed) * limits_.timestampPeriod / 1000.0;
        } else {
            LOG_WARN("capture: timestamps unavailable after the fence signalled (%s)", vk_result_name(r));
        }
    } else {
        slot.view.duration_us =
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - slot.submitted_at).count();
    }
    if (!slot.output.coherent) {
        VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE};
        range.memory = slot.output.memory.get();
        range.offset = 0;
        range.size = VK_WHOLE_SIZE;
        vk_check(vk_.vkInvalidateMappedMemoryRanges(info_.device, 1, &range), "vkInvalidateMappedMemoryRanges");
    }
    slot.state = SlotState::Ready;
}

CaptureStatus FrameCapturer::release(CaptureTicket ticket) {
    std::lock_guard<std::mutex> lock(mu_);
    if (ticket.slot >= slots_.size()) return CaptureStatus::InvalidArgument;
    Slot& slot = slots_[ticket.slot];
    if (slot.sequence != ticket.sequence || slot.released ||
        (slot.state != SlotState::InFlight && slot.state != SlotState::Ready))
        return CaptureStatus::InvalidArgument;
    if (slot.state == SlotState::Ready || device_lost_) {
        slot.state = SlotState::Free;
    } else {
        slot.released = true;  // still running: take_free_slot_locked() reuses it once the fence has signalled
    }
    return CaptureStatus::Ok;
}

}  // namespace anarchy::server::capture
