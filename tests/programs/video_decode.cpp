// video_decode: Vulkan Video H.264 decoding (VK_KHR_video_queue, VK_KHR_video_decode_queue,
// VK_KHR_video_decode_h264). The program writes its own stream (h264_pcm_stream.h: one IDR picture of I_PCM
// macroblocks, whose samples a correct decoder reproduces exactly), asks for the profile's capabilities and
// formats, creates the DPB/output image(s) and a mapped bitstream buffer for the profile, a video session with
// its memory bound, session parameters (created with the SPS, the PPS added by an update), and a result status
// query where the queue family has them; then decodes the picture on the decode queue (begin coding with the
// setup picture bound, reset, decode into DPB slot 0, end coding), hands the picture to the graphics queue
// (a queue family ownership transfer, synchronization2 barriers, a semaphore) and copies both planes out.
// Checks: the query says COMPLETE, and the decoded luma and interleaved CbCr equal the samples written.
// Exits 77 without an H.264 decode queue (lavapipe has none).
#include "h264_pcm_stream.h"
#include "programs.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <numeric>
#include <string>
#include <vector>

namespace anarchy::testprog {

namespace {

// The picture size asked for; grown to what the decoder's capabilities allow.
constexpr VkExtent2D kWantedExtent{128, 64};

uint32_t round_up(uint32_t value, uint32_t multiple) {
    return (value + multiple - 1) / multiple * multiple;
}

/// A sample value in 1..255 (never 0, which early H.264 versions forbade in PCM samples) from a hash of the
/// position and plane (0 Y, 1 Cb, 2 Cr), so that every macroblock differs.
uint8_t pattern_sample(uint32_t x, uint32_t y, uint32_t plane) {
    uint32_t h = x * 0x9E3779B1u ^ (y + 0x7F4A7C15u) * 0x85EBCA77u ^ (plane + 1) * 0xC2B2AE3Du;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    h *= 0x297A2D39u;
    h ^= h >> 15;
    return uint8_t(1 + h % 255);
}

Yuv420Picture pattern_picture(VkExtent2D extent) {
    Yuv420Picture picture;
    picture.width = extent.width;
    picture.height = extent.height;
    picture.y.resize(size_t(extent.width) * extent.height);
    picture.cb.resize(picture.y.size() / 4);
    picture.cr.resize(picture.y.size() / 4);
    for (uint32_t y = 0; y < extent.height; ++y)
        for (uint32_t x = 0; x < extent.width; ++x) picture.y[size_t(y) * extent.width + x] = pattern_sample(x, y, 0);
    for (uint32_t y = 0; y < extent.height / 2; ++y) {
        for (uint32_t x = 0; x < extent.width / 2; ++x) {
            picture.cb[size_t(y) * extent.width / 2 + x] = pattern_sample(x, y, 1);
            picture.cr[size_t(y) * extent.width / 2 + x] = pattern_sample(x, y, 2);
        }
    }
    return picture;
}

/// StdVideoH264LevelIdc for a level_idc syntax value (ten times the level).
StdVideoH264LevelIdc std_level(uint8_t level_idc) {
    static constexpr uint8_t kLevelIdcs[] = {10, 11, 12, 13, 20, 21, 22, 30, 31, 32,
                                             40, 41, 42, 50, 51, 52, 60, 61, 62};
    for (size_t i = 0; i < std::size(kLevelIdcs); ++i)
        if (kLevelIdcs[i] == level_idc) return StdVideoH264LevelIdc(STD_VIDEO_H264_LEVEL_IDC_1_0 + i);
    throw TestFailure("video_decode: no StdVideoH264LevelIdc for level_idc " + std::to_string(level_idc));
}

bool is_profile_unsupported(VkResult result) {
    return result == VK_ERROR_VIDEO_PROFILE_OPERATION_NOT_SUPPORTED_KHR ||
           result == VK_ERROR_VIDEO_PROFILE_FORMAT_NOT_SUPPORTED_KHR ||
           result == VK_ERROR_VIDEO_PROFILE_CODEC_NOT_SUPPORTED_KHR ||
           result == VK_ERROR_VIDEO_PICTURE_LAYOUT_NOT_SUPPORTED_KHR || result == VK_ERROR_FORMAT_NOT_SUPPORTED ||
           result == VK_ERROR_IMAGE_USAGE_NOT_SUPPORTED_KHR;
}

/// A video picture: an image for the profile with device-local memory and a view the decoder binds.
struct VideoImage {
    VkImage image = VK_NULL_HANDLE;
    VkImageView view = VK_NULL_HANDLE;
};

VideoImage create_video_image(TestContext& ctx, const VkVideoProfileListInfoKHR& profiles,
                              const VkVideoFormatPropertiesKHR& format, VkExtent2D extent, VkImageUsageFlags usage,
                              VkImageUsageFlags view_usage) {
    VkDevice device = ctx.device();
    VideoImage image;
    VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, &profiles};
    info.imageType = format.imageType;
    info.format = format.format;
    info.extent = {extent.width, extent.height, 1};
    info.mipLevels = 1;
    info.arrayLayers = 1;
    info.samples = VK_SAMPLE_COUNT_1_BIT;
    info.tiling = format.imageTiling;
    info.usage = usage;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    VK_CHECK(vkCreateImage(device, &info, nullptr, &image.image));
    ctx.own(image.image, vkDestroyImage);

    VkMemoryRequirements requirements;
    vkGetImageMemoryRequirements(device, image.image, &requirements);
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = ctx.find_memory_type(requirements.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    VkDeviceMemory memory;
    VK_CHECK(vkAllocateMemory(device, &alloc, nullptr, &memory));
    ctx.own(memory, vkFreeMemory);
    VK_CHECK(vkBindImageMemory(device, image.image, memory, 0));

    // The view is for the decoder only; without SAMPLED usage a 2-plane view needs no Y'CbCr conversion.
    VkImageViewUsageCreateInfo usage_info{VK_STRUCTURE_TYPE_IMAGE_VIEW_USAGE_CREATE_INFO};
    usage_info.usage = view_usage;
    VkImageViewCreateInfo view{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO, &usage_info};
    view.image = image.image;
    view.viewType = VK_IMAGE_VIEW_TYPE_2D;
    view.format = format.format;
    view.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    VK_CHECK(vkCreateImageView(device, &view, nullptr, &image.view));
    ctx.own(image.view, vkDestroyImageView);
    return image;
}

/// A synchronization2 barrier over the whole image: a layout transition, and a queue family ownership release
/// or acquire when the families differ.
void video_image_barrier(VkCommandBuffer cmd, VkImage image, VkImageLayout old_layout, VkImageLayout new_layout,
                         VkPipelineStageFlags2 src_stage, VkAccessFlags2 src_access, VkPipelineStageFlags2 dst_stage,
                         VkAccessFlags2 dst_access, uint32_t src_family = VK_QUEUE_FAMILY_IGNORED,
                         uint32_t dst_family = VK_QUEUE_FAMILY_IGNORED) {
    VkImageMemoryBarrier2 barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2};
    barrier.srcStageMask = src_stage;
    barrier.srcAccessMask = src_access;
    barrier.dstStageMask = dst_stage;
    barrier.dstAccessMask = dst_access;
    barrier.oldLayout = old_layout;
    barrier.newLayout = new_layout;
    barrier.srcQueueFamilyIndex = src_family;
    barrier.dstQueueFamilyIndex = dst_family;
    barrier.image = image;
    barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    VkDependencyInfo dependency{VK_STRUCTURE_TYPE_DEPENDENCY_INFO};
    dependency.imageMemoryBarrierCount = 1;
    dependency.pImageMemoryBarriers = &barrier;
    vkCmdPipelineBarrier2(cmd, &dependency);
}

const char* query_status_name(int32_t status) {
    switch (status) {
        case VK_QUERY_RESULT_STATUS_COMPLETE_KHR:
            return "COMPLETE";
        case VK_QUERY_RESULT_STATUS_NOT_READY_KHR:
            return "NOT_READY";
        case VK_QUERY_RESULT_STATUS_ERROR_KHR:
            return "ERROR";
        case VK_QUERY_RESULT_STATUS_INSUFFICIENT_BITSTREAM_BUFFER_RANGE_KHR:
            return "INSUFFICIENT_BITSTREAM_BUFFER_RANGE";
        default:
            return "unknown";
    }
}

}  // namespace

Output run_video_decode(TestContext& ctx) {
    VkDevice device = ctx.device();
    VkPhysicalDevice physical = ctx.physical_device();
    auto get_capabilities = instance_proc<PFN_vkGetPhysicalDeviceVideoCapabilitiesKHR>(
        ctx.instance(), "vkGetPhysicalDeviceVideoCapabilitiesKHR");
    auto get_formats = instance_proc<PFN_vkGetPhysicalDeviceVideoFormatPropertiesKHR>(
        ctx.instance(), "vkGetPhysicalDeviceVideoFormatPropertiesKHR");
    auto create_session = device_proc<PFN_vkCreateVideoSessionKHR>(device, "vkCreateVideoSessionKHR");
    auto destroy_session = device_proc<PFN_vkDestroyVideoSessionKHR>(device, "vkDestroyVideoSessionKHR");
    auto session_requirements =
        device_proc<PFN_vkGetVideoSessionMemoryRequirementsKHR>(device, "vkGetVideoSessionMemoryRequirementsKHR");
    auto bind_session_memory = device_proc<PFN_vkBindVideoSessionMemoryKHR>(device, "vkBindVideoSessionMemoryKHR");
    auto create_parameters =
        device_proc<PFN_vkCreateVideoSessionParametersKHR>(device, "vkCreateVideoSessionParametersKHR");
    auto update_parameters =
        device_proc<PFN_vkUpdateVideoSessionParametersKHR>(device, "vkUpdateVideoSessionParametersKHR");
    auto destroy_parameters =
        device_proc<PFN_vkDestroyVideoSessionParametersKHR>(device, "vkDestroyVideoSessionParametersKHR");
    auto begin_coding = device_proc<PFN_vkCmdBeginVideoCodingKHR>(device, "vkCmdBeginVideoCodingKHR");
    auto control_coding = device_proc<PFN_vkCmdControlVideoCodingKHR>(device, "vkCmdControlVideoCodingKHR");
    auto decode_video = device_proc<PFN_vkCmdDecodeVideoKHR>(device, "vkCmdDecodeVideoKHR");
    auto end_coding = device_proc<PFN_vkCmdEndVideoCodingKHR>(device, "vkCmdEndVideoCodingKHR");
    TextReport report;

    // The profile: H.264 Main, progressive, 4:2:0, 8-bit; the stream's syntax values match it.
    H264PcmParameters syntax;
    VkVideoDecodeH264ProfileInfoKHR h264_profile{VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_PROFILE_INFO_KHR};
    h264_profile.stdProfileIdc = StdVideoH264ProfileIdc(syntax.profile_idc);
    h264_profile.pictureLayout = VK_VIDEO_DECODE_H264_PICTURE_LAYOUT_PROGRESSIVE_KHR;
    VkVideoProfileInfoKHR profile{VK_STRUCTURE_TYPE_VIDEO_PROFILE_INFO_KHR, &h264_profile};
    profile.videoCodecOperation = VK_VIDEO_CODEC_OPERATION_DECODE_H264_BIT_KHR;
    profile.chromaSubsampling = VK_VIDEO_CHROMA_SUBSAMPLING_420_BIT_KHR;
    profile.lumaBitDepth = VK_VIDEO_COMPONENT_BIT_DEPTH_8_BIT_KHR;
    profile.chromaBitDepth = VK_VIDEO_COMPONENT_BIT_DEPTH_8_BIT_KHR;
    VkVideoProfileListInfoKHR profile_list{VK_STRUCTURE_TYPE_VIDEO_PROFILE_LIST_INFO_KHR};
    profile_list.profileCount = 1;
    profile_list.pProfiles = &profile;

    VkVideoDecodeH264CapabilitiesKHR h264_caps{VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_CAPABILITIES_KHR};
    VkVideoDecodeCapabilitiesKHR decode_caps{VK_STRUCTURE_TYPE_VIDEO_DECODE_CAPABILITIES_KHR, &h264_caps};
    VkVideoCapabilitiesKHR caps{VK_STRUCTURE_TYPE_VIDEO_CAPABILITIES_KHR, &decode_caps};
    VkResult result = get_capabilities(physical, &profile, &caps);
    if (is_profile_unsupported(result))
        throw Unsupported("vkGetPhysicalDeviceVideoCapabilitiesKHR: H.264 Main progressive 4:2:0 8-bit: " +
                          result_name(result));
    VK_CHECK(result);
    report.line("capabilities: flags 0x%x, minCodedExtent %ux%u, maxCodedExtent %ux%u, pictureAccessGranularity %ux%u",
                caps.flags, caps.minCodedExtent.width, caps.minCodedExtent.height, caps.maxCodedExtent.width,
                caps.maxCodedExtent.height, caps.pictureAccessGranularity.width, caps.pictureAccessGranularity.height);
    report.line("capabilities: maxDpbSlots %u, maxActiveReferencePictures %u, bitstream offset alignment %llu, "
                "size alignment %llu, %s %u.%u.%u",
                caps.maxDpbSlots, caps.maxActiveReferencePictures,
                (unsigned long long)caps.minBitstreamBufferOffsetAlignment,
                (unsigned long long)caps.minBitstreamBufferSizeAlignment, caps.stdHeaderVersion.extensionName,
                VK_API_VERSION_MAJOR(caps.stdHeaderVersion.specVersion),
                VK_API_VERSION_MINOR(caps.stdHeaderVersion.specVersion),
                VK_API_VERSION_PATCH(caps.stdHeaderVersion.specVersion));
    report.line("decode capabilities: flags 0x%x; H.264 maxLevelIdc %d, fieldOffsetGranularity %d,%d",
                decode_caps.flags, int(h264_caps.maxLevelIdc), h264_caps.fieldOffsetGranularity.x,
                h264_caps.fieldOffsetGranularity.y);

    const StdVideoH264LevelIdc level = std_level(syntax.level_idc);
    if (h264_caps.maxLevelIdc < level)
        throw Unsupported("H.264 decoding stops at StdVideoH264LevelIdc " + std::to_string(h264_caps.maxLevelIdc) +
                          ", below level 4.1");
    if (caps.maxDpbSlots < 1) throw Unsupported("the H.264 decode profile has no DPB slots");
    // Coincide: the decoded picture is written to the DPB picture itself. Distinct: to an output image of its own.
    const bool coincide = decode_caps.flags & VK_VIDEO_DECODE_CAPABILITY_DPB_AND_OUTPUT_COINCIDE_BIT_KHR;
    require(coincide || (decode_caps.flags & VK_VIDEO_DECODE_CAPABILITY_DPB_AND_OUTPUT_DISTINCT_BIT_KHR),
            "VkVideoDecodeCapabilitiesKHR has neither DPB_AND_OUTPUT_COINCIDE nor DPB_AND_OUTPUT_DISTINCT");

    // The picture size: whole macroblocks, at least the minimum, in steps of the access granularity.
    auto fit = [](uint32_t wanted, uint32_t minimum, uint32_t granularity) {
        return round_up(std::max(wanted, minimum), std::lcm(16u, std::max(granularity, 1u)));
    };
    const VkExtent2D& granularity = caps.pictureAccessGranularity;
    const VkExtent2D extent{fit(kWantedExtent.width, caps.minCodedExtent.width, granularity.width),
                            fit(kWantedExtent.height, caps.minCodedExtent.height, granularity.height)};
    if (extent.width > caps.maxCodedExtent.width || extent.height > caps.maxCodedExtent.height)
        throw Unsupported("no picture size of whole macroblocks fits the H.264 decode capabilities");
    syntax.width_in_mbs = extent.width / 16;
    syntax.height_in_mbs = extent.height / 16;

    // The formats: NV12 for the DPB (and output) picture, which must also be copyable to a buffer.
    auto pick_format = [&](VkImageUsageFlags usage, const char* what) {
        VkPhysicalDeviceVideoFormatInfoKHR info{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VIDEO_FORMAT_INFO_KHR, &profile_list};
        info.imageUsage = usage;
        uint32_t count = 0;
        VkResult r = get_formats(physical, &info, &count, nullptr);
        if (is_profile_unsupported(r))
            throw Unsupported(std::string("vkGetPhysicalDeviceVideoFormatPropertiesKHR (") + what +
                              "): " + result_name(r));
        VK_CHECK(r);
        std::vector<VkVideoFormatPropertiesKHR> formats(count, {VK_STRUCTURE_TYPE_VIDEO_FORMAT_PROPERTIES_KHR});
        VK_CHECK(get_formats(physical, &info, &count, formats.data()));
        formats.resize(count);
        const VkVideoFormatPropertiesKHR* chosen = nullptr;
        for (const auto& f : formats) {
            if (f.format != VK_FORMAT_G8_B8R8_2PLANE_420_UNORM) continue;
            if (!chosen || (f.imageTiling == VK_IMAGE_TILING_OPTIMAL && chosen->imageTiling != VK_IMAGE_TILING_OPTIMAL))
                chosen = &f;
        }
        if (!chosen)
            throw Unsupported(std::string("the H.264 decode profile offers no G8_B8R8_2PLANE_420_UNORM ") + what +
                              " image (" + std::to_string(count) + " other formats)");
        return *chosen;
    };
    const VkImageUsageFlags dpb_usage =
        VK_IMAGE_USAGE_VIDEO_DECODE_DPB_BIT_KHR | (coincide ? VK_IMAGE_USAGE_VIDEO_DECODE_DST_BIT_KHR : 0);
    const VkVideoFormatPropertiesKHR dpb_format = pick_format(dpb_usage, coincide ? "DPB and output" : "DPB");
    const VkVideoFormatPropertiesKHR output_format =
        coincide ? dpb_format : pick_format(VK_IMAGE_USAGE_VIDEO_DECODE_DST_BIT_KHR, "output");
    if (!(output_format.imageUsageFlags & VK_IMAGE_USAGE_TRANSFER_SRC_BIT))
        throw Unsupported("decoded pictures cannot be copied from (no TRANSFER_SRC usage for the output format)");
    report.line("picture %ux%u, G8_B8R8_2PLANE_420_UNORM, %s tiling; DPB and output %s", extent.width, extent.height,
                output_format.imageTiling == VK_IMAGE_TILING_OPTIMAL ? "optimal" : "linear",
                coincide ? "coincide (one image)" : "distinct (two images)");

    const VkImageUsageFlags output_usage = VK_IMAGE_USAGE_VIDEO_DECODE_DST_BIT_KHR;
    const VideoImage dpb = create_video_image(ctx, profile_list, dpb_format, extent,
                                              dpb_usage | (coincide ? VK_IMAGE_USAGE_TRANSFER_SRC_BIT : 0), dpb_usage);
    const VideoImage output =
        coincide ? dpb
                 : create_video_image(ctx, profile_list, output_format, extent,
                                      output_usage | VK_IMAGE_USAGE_TRANSFER_SRC_BIT, output_usage);

    // The stream, and the slice NAL (with its start code, where the slice offset points) in a mapped buffer.
    const Yuv420Picture picture = pattern_picture(extent);
    const H264PcmStream stream = write_h264_pcm_stream(picture, syntax);
    const VkDeviceSize size_alignment = std::max<VkDeviceSize>(caps.minBitstreamBufferSizeAlignment, 1);
    const VkDeviceSize bitstream_range = (stream.slice.size() + size_alignment - 1) / size_alignment * size_alignment;
    VkBufferCreateInfo bitstream_info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, &profile_list};
    bitstream_info.size = bitstream_range;
    bitstream_info.usage = VK_BUFFER_USAGE_VIDEO_DECODE_SRC_BIT_KHR;
    bitstream_info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkBuffer bitstream;
    VK_CHECK(vkCreateBuffer(device, &bitstream_info, nullptr, &bitstream));
    ctx.own(bitstream, vkDestroyBuffer);
    VkMemoryRequirements bitstream_requirements;
    vkGetBufferMemoryRequirements(device, bitstream, &bitstream_requirements);
    VkMemoryAllocateInfo bitstream_alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    bitstream_alloc.allocationSize = bitstream_requirements.size;
    bitstream_alloc.memoryTypeIndex =
        ctx.find_memory_type(bitstream_requirements.memoryTypeBits,
                             VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VkDeviceMemory bitstream_memory;
    VK_CHECK(vkAllocateMemory(device, &bitstream_alloc, nullptr, &bitstream_memory));
    ctx.own(bitstream_memory, vkFreeMemory);  // freeing also unmaps
    VK_CHECK(vkBindBufferMemory(device, bitstream, bitstream_memory, 0));
    void* mapped = nullptr;
    VK_CHECK(vkMapMemory(device, bitstream_memory, 0, VK_WHOLE_SIZE, 0, &mapped));
    std::memset(mapped, 0, bitstream_range);  // trailing zero bytes after the NAL unit are allowed
    std::memcpy(mapped, stream.slice.data(), stream.slice.size());
    report.line("stream: SPS %llu bytes, PPS %llu bytes, IDR slice %llu bytes in a bitstream range of %llu",
                (unsigned long long)stream.sps.size(), (unsigned long long)stream.pps.size(),
                (unsigned long long)stream.slice.size(), (unsigned long long)bitstream_range);

    // The session, with its memory.
    VkVideoSessionCreateInfoKHR session_info{VK_STRUCTURE_TYPE_VIDEO_SESSION_CREATE_INFO_KHR};
    session_info.queueFamilyIndex = ctx.video_decode_queue_family();
    session_info.pVideoProfile = &profile;
    session_info.pictureFormat = output_format.format;
    session_info.maxCodedExtent = extent;
    session_info.referencePictureFormat = dpb_format.format;
    session_info.maxDpbSlots = 1;
    session_info.maxActiveReferencePictures = std::min(1u, caps.maxActiveReferencePictures);
    session_info.pStdHeaderVersion = &caps.stdHeaderVersion;
    VkVideoSessionKHR session;
    VK_CHECK(create_session(device, &session_info, nullptr, &session));
    ctx.own(session, destroy_session);
    uint32_t requirement_count = 0;
    VK_CHECK(session_requirements(device, session, &requirement_count, nullptr));
    std::vector<VkVideoSessionMemoryRequirementsKHR> requirements(
        requirement_count, {VK_STRUCTURE_TYPE_VIDEO_SESSION_MEMORY_REQUIREMENTS_KHR});
    VK_CHECK(session_requirements(device, session, &requirement_count, requirements.data()));
    std::vector<VkBindVideoSessionMemoryInfoKHR> binds;
    for (uint32_t i = 0; i < requirement_count; ++i) {
        const VkMemoryRequirements& r = requirements[i].memoryRequirements;
        require(r.memoryTypeBits != 0, "vkGetVideoSessionMemoryRequirementsKHR: no memory type for binding " +
                                           std::to_string(requirements[i].memoryBindIndex));
        // Device-local where the binding allows it, else the first type it allows.
        uint32_t type = 0;
        while (!(r.memoryTypeBits & (1u << type))) ++type;
        for (uint32_t t = 0; t < ctx.memory_properties().memoryTypeCount; ++t) {
            if ((r.memoryTypeBits & (1u << t)) &&
                (ctx.memory_properties().memoryTypes[t].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)) {
                type = t;
                break;
            }
        }
        VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
        alloc.allocationSize = r.size;
        alloc.memoryTypeIndex = type;
        VkDeviceMemory memory;
        VK_CHECK(vkAllocateMemory(device, &alloc, nullptr, &memory));
        ctx.own(memory, vkFreeMemory);
        VkBindVideoSessionMemoryInfoKHR bind{VK_STRUCTURE_TYPE_BIND_VIDEO_SESSION_MEMORY_INFO_KHR};
        bind.memoryBindIndex = requirements[i].memoryBindIndex;
        bind.memory = memory;
        bind.memoryOffset = 0;
        bind.memorySize = r.size;
        binds.push_back(bind);
    }
    if (!binds.empty()) VK_CHECK(bind_session_memory(device, session, uint32_t(binds.size()), binds.data()));
    report.line("session: %u memory bindings", requirement_count);

    // The parameters, exactly what the SPS and PPS NAL units carry (h264_pcm_stream.h lists the fixed values):
    // created with the SPS alone, the PPS added by update 1.
    StdVideoH264SequenceParameterSet sps{};
    sps.flags.direct_8x8_inference_flag = 1;
    sps.flags.frame_mbs_only_flag = 1;
    sps.profile_idc = StdVideoH264ProfileIdc(syntax.profile_idc);
    sps.level_idc = level;
    sps.chroma_format_idc = STD_VIDEO_H264_CHROMA_FORMAT_IDC_420;
    sps.seq_parameter_set_id = syntax.seq_parameter_set_id;
    sps.bit_depth_luma_minus8 = 0;
    sps.bit_depth_chroma_minus8 = 0;
    sps.log2_max_frame_num_minus4 = syntax.log2_max_frame_num_minus4;
    sps.pic_order_cnt_type = STD_VIDEO_H264_POC_TYPE_2;
    sps.max_num_ref_frames = syntax.max_num_ref_frames;
    sps.pic_width_in_mbs_minus1 = syntax.width_in_mbs - 1;
    sps.pic_height_in_map_units_minus1 = syntax.height_in_mbs - 1;
    StdVideoH264PictureParameterSet pps{};
    pps.flags.deblocking_filter_control_present_flag = 1;
    pps.seq_parameter_set_id = syntax.seq_parameter_set_id;
    pps.pic_parameter_set_id = syntax.pic_parameter_set_id;
    pps.weighted_bipred_idc = STD_VIDEO_H264_WEIGHTED_BIPRED_IDC_DEFAULT;

    VkVideoDecodeH264SessionParametersAddInfoKHR sps_add{
        VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_SESSION_PARAMETERS_ADD_INFO_KHR};
    sps_add.stdSPSCount = 1;
    sps_add.pStdSPSs = &sps;
    VkVideoDecodeH264SessionParametersCreateInfoKHR h264_parameters{
        VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_SESSION_PARAMETERS_CREATE_INFO_KHR};
    h264_parameters.maxStdSPSCount = 1;
    h264_parameters.maxStdPPSCount = 1;
    h264_parameters.pParametersAddInfo = &sps_add;
    VkVideoSessionParametersCreateInfoKHR parameters_info{VK_STRUCTURE_TYPE_VIDEO_SESSION_PARAMETERS_CREATE_INFO_KHR,
                                                          &h264_parameters};
    parameters_info.videoSession = session;
    VkVideoSessionParametersKHR parameters;
    VK_CHECK(create_parameters(device, &parameters_info, nullptr, &parameters));
    ctx.own(parameters, destroy_parameters);
    VkVideoDecodeH264SessionParametersAddInfoKHR pps_add{
        VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_SESSION_PARAMETERS_ADD_INFO_KHR};
    pps_add.stdPPSCount = 1;
    pps_add.pStdPPSs = &pps;
    VkVideoSessionParametersUpdateInfoKHR update{VK_STRUCTURE_TYPE_VIDEO_SESSION_PARAMETERS_UPDATE_INFO_KHR, &pps_add};
    update.updateSequenceCount = 1;
    VK_CHECK(update_parameters(device, parameters, &update));
    report.line("parameters: created with the SPS, the PPS added by update 1");

    // The result status query, where the decode queue family has them (created for the same profile).
    VkQueryPool query_pool = VK_NULL_HANDLE;
    if (ctx.video_decode_result_status_queries()) {
        VkQueryPoolCreateInfo query_info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO, &profile};
        query_info.queryType = VK_QUERY_TYPE_RESULT_STATUS_ONLY_KHR;
        query_info.queryCount = 1;
        VK_CHECK(vkCreateQueryPool(device, &query_info, nullptr, &query_pool));
        ctx.own(query_pool, vkDestroyQueryPool);
    }

    // The decode: one IDR frame into DPB slot 0 (the setup picture, bound by the begin as slot -1).
    VkVideoPictureResourceInfoKHR dpb_resource{VK_STRUCTURE_TYPE_VIDEO_PICTURE_RESOURCE_INFO_KHR};
    dpb_resource.codedOffset = {0, 0};
    dpb_resource.codedExtent = extent;
    dpb_resource.baseArrayLayer = 0;
    dpb_resource.imageViewBinding = dpb.view;
    VkVideoPictureResourceInfoKHR output_resource = dpb_resource;
    output_resource.imageViewBinding = output.view;
    StdVideoDecodeH264ReferenceInfo std_reference{};  // a frame (neither field flag), frame_num 0, POC 0
    VkVideoDecodeH264DpbSlotInfoKHR h264_slot{VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_DPB_SLOT_INFO_KHR};
    h264_slot.pStdReferenceInfo = &std_reference;
    VkVideoReferenceSlotInfoKHR setup_slot{VK_STRUCTURE_TYPE_VIDEO_REFERENCE_SLOT_INFO_KHR, &h264_slot};
    setup_slot.slotIndex = 0;
    setup_slot.pPictureResource = &dpb_resource;
    VkVideoReferenceSlotInfoKHR bound_slot{VK_STRUCTURE_TYPE_VIDEO_REFERENCE_SLOT_INFO_KHR};
    bound_slot.slotIndex = -1;  // bound for the decode to set up, not yet an active reference
    bound_slot.pPictureResource = &dpb_resource;
    VkVideoBeginCodingInfoKHR begin_info{VK_STRUCTURE_TYPE_VIDEO_BEGIN_CODING_INFO_KHR};
    begin_info.videoSession = session;
    begin_info.videoSessionParameters = parameters;
    begin_info.referenceSlotCount = 1;
    begin_info.pReferenceSlots = &bound_slot;
    VkVideoCodingControlInfoKHR control{VK_STRUCTURE_TYPE_VIDEO_CODING_CONTROL_INFO_KHR};
    control.flags = VK_VIDEO_CODING_CONTROL_RESET_BIT_KHR;  // a new session must be reset before its first decode

    StdVideoDecodeH264PictureInfo std_picture{};
    std_picture.flags.IdrPicFlag = 1;
    std_picture.flags.is_intra = 1;
    std_picture.flags.is_reference = 1;  // nal_ref_idc 3: the decode sets up DPB slot 0
    std_picture.seq_parameter_set_id = syntax.seq_parameter_set_id;
    std_picture.pic_parameter_set_id = syntax.pic_parameter_set_id;
    std_picture.frame_num = 0;
    std_picture.idr_pic_id = syntax.idr_pic_id;
    std_picture.PicOrderCnt[0] = 0;  // pic_order_cnt_type 2: an IDR picture's order counts are 0
    std_picture.PicOrderCnt[1] = 0;
    const uint32_t slice_offset = 0;  // the slice's start code, at the start of the bitstream range
    VkVideoDecodeH264PictureInfoKHR h264_picture{VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_PICTURE_INFO_KHR};
    h264_picture.pStdPictureInfo = &std_picture;
    h264_picture.sliceCount = 1;
    h264_picture.pSliceOffsets = &slice_offset;
    VkVideoDecodeInfoKHR decode_info{VK_STRUCTURE_TYPE_VIDEO_DECODE_INFO_KHR, &h264_picture};
    decode_info.srcBuffer = bitstream;
    decode_info.srcBufferOffset = 0;
    decode_info.srcBufferRange = bitstream_range;
    decode_info.dstPictureResource = output_resource;
    decode_info.pSetupReferenceSlot = &setup_slot;
    decode_info.referenceSlotCount = 0;

    // Where the decoded picture goes: the other queue copies it out after an ownership transfer.
    const uint32_t decode_family = ctx.video_decode_queue_family();
    const bool transfer = decode_family != ctx.queue_family();
    const uint32_t release_family = transfer ? decode_family : VK_QUEUE_FAMILY_IGNORED;
    const uint32_t acquire_family = transfer ? ctx.queue_family() : VK_QUEUE_FAMILY_IGNORED;
    const VkImageLayout decoded_layout =
        coincide ? VK_IMAGE_LAYOUT_VIDEO_DECODE_DPB_KHR : VK_IMAGE_LAYOUT_VIDEO_DECODE_DST_KHR;
    report.line("queues: decode family %u, copy family %u (%s)", decode_family, ctx.queue_family(),
                transfer ? "ownership transferred" : "the same family");

    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
    pool_info.queueFamilyIndex = decode_family;
    VkCommandPool decode_pool;
    VK_CHECK(vkCreateCommandPool(device, &pool_info, nullptr, &decode_pool));
    ctx.own(decode_pool, vkDestroyCommandPool);
    VkCommandBuffer decode_cmd = ctx.allocate_command_buffer(decode_pool);
    begin_command_buffer(decode_cmd);
    video_image_barrier(decode_cmd, dpb.image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_VIDEO_DECODE_DPB_KHR,
                        VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, VK_PIPELINE_STAGE_2_VIDEO_DECODE_BIT_KHR,
                        VK_ACCESS_2_VIDEO_DECODE_READ_BIT_KHR | VK_ACCESS_2_VIDEO_DECODE_WRITE_BIT_KHR);
    if (!coincide)
        video_image_barrier(decode_cmd, output.image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_VIDEO_DECODE_DST_KHR,
                            VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, VK_PIPELINE_STAGE_2_VIDEO_DECODE_BIT_KHR,
                            VK_ACCESS_2_VIDEO_DECODE_WRITE_BIT_KHR);
    if (query_pool) vkCmdResetQueryPool(decode_cmd, query_pool, 0, 1);
    begin_coding(decode_cmd, &begin_info);
    control_coding(decode_cmd, &control);
    if (query_pool) vkCmdBeginQuery(decode_cmd, query_pool, 0, 0);
    decode_video(decode_cmd, &decode_info);
    if (query_pool) vkCmdEndQuery(decode_cmd, query_pool, 0);
    VkVideoEndCodingInfoKHR end_info{VK_STRUCTURE_TYPE_VIDEO_END_CODING_INFO_KHR};
    end_coding(decode_cmd, &end_info);
    // The release half of the transfer (its destination stage is the acquire's), or the whole barrier.
    video_image_barrier(decode_cmd, output.image, decoded_layout, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                        VK_PIPELINE_STAGE_2_VIDEO_DECODE_BIT_KHR, VK_ACCESS_2_VIDEO_DECODE_WRITE_BIT_KHR,
                        transfer ? VK_PIPELINE_STAGE_2_NONE : VK_PIPELINE_STAGE_2_COPY_BIT,
                        transfer ? VK_ACCESS_2_NONE : VK_ACCESS_2_TRANSFER_READ_BIT, release_family, acquire_family);
    VK_CHECK(vkEndCommandBuffer(decode_cmd));

    VkSemaphore decoded = ctx.create_binary_semaphore();
    VkFence decode_fence = ctx.create_fence();
    VkCommandBufferSubmitInfo decode_cmd_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO};
    decode_cmd_info.commandBuffer = decode_cmd;
    VkSemaphoreSubmitInfo decoded_signal{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
    decoded_signal.semaphore = decoded;
    decoded_signal.stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
    VkSubmitInfo2 decode_submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
    decode_submit.commandBufferInfoCount = 1;
    decode_submit.pCommandBufferInfos = &decode_cmd_info;
    decode_submit.signalSemaphoreInfoCount = 1;
    decode_submit.pSignalSemaphoreInfos = &decoded_signal;
    VK_CHECK(vkQueueSubmit2(ctx.video_decode_queue(), 1, &decode_submit, decode_fence));
    VK_CHECK(vkWaitForFences(device, 1, &decode_fence, VK_TRUE, UINT64_MAX));

    if (query_pool) {
        int32_t status = 0;
        VK_CHECK(vkGetQueryPoolResults(device, query_pool, 0, 1, sizeof status, &status, sizeof status,
                                       VK_QUERY_RESULT_WITH_STATUS_BIT_KHR | VK_QUERY_RESULT_WAIT_BIT));
        report.line("result status query: %s (%d)", query_status_name(status), status);
        require(status == VK_QUERY_RESULT_STATUS_COMPLETE_KHR,
                std::string("video_decode: the decode's result status is ") + query_status_name(status) + " (" +
                    std::to_string(status) + "), not COMPLETE");
    } else {
        report.line("result status query: the decode queue family has none");
    }

    // The copy: Y (PLANE_0) then interleaved CbCr (PLANE_1), tightly packed: NV12.
    const VkDeviceSize luma_bytes = VkDeviceSize(extent.width) * extent.height;
    const VkDeviceSize nv12_bytes = luma_bytes + luma_bytes / 2;
    Buffer readback = ctx.create_buffer(nv12_bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VkCommandPool copy_pool = ctx.create_command_pool(VK_COMMAND_POOL_CREATE_TRANSIENT_BIT);
    VkCommandBuffer copy_cmd = ctx.allocate_command_buffer(copy_pool);
    begin_command_buffer(copy_cmd);
    if (transfer)
        video_image_barrier(copy_cmd, output.image, decoded_layout, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                            VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, VK_PIPELINE_STAGE_2_COPY_BIT,
                            VK_ACCESS_2_TRANSFER_READ_BIT, release_family, acquire_family);
    VkBufferImageCopy regions[2] = {};
    regions[0].bufferOffset = 0;
    regions[0].imageSubresource = {VK_IMAGE_ASPECT_PLANE_0_BIT, 0, 0, 1};
    regions[0].imageExtent = {extent.width, extent.height, 1};
    regions[1].bufferOffset = luma_bytes;
    regions[1].imageSubresource = {VK_IMAGE_ASPECT_PLANE_1_BIT, 0, 0, 1};
    regions[1].imageExtent = {extent.width / 2, extent.height / 2, 1};
    vkCmdCopyImageToBuffer(copy_cmd, output.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback.buffer, 2, regions);
    memory_barrier(copy_cmd, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                   VK_ACCESS_2_HOST_READ_BIT);
    VK_CHECK(vkEndCommandBuffer(copy_cmd));

    VkFence copy_fence = ctx.create_fence();
    VkCommandBufferSubmitInfo copy_cmd_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO};
    copy_cmd_info.commandBuffer = copy_cmd;
    VkSemaphoreSubmitInfo decoded_wait{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
    decoded_wait.semaphore = decoded;
    decoded_wait.stageMask = VK_PIPELINE_STAGE_2_COPY_BIT;
    VkSubmitInfo2 copy_submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
    copy_submit.waitSemaphoreInfoCount = 1;
    copy_submit.pWaitSemaphoreInfos = &decoded_wait;
    copy_submit.commandBufferInfoCount = 1;
    copy_submit.pCommandBufferInfos = &copy_cmd_info;
    VK_CHECK(vkQueueSubmit2(ctx.queue(), 1, &copy_submit, copy_fence));
    VK_CHECK(vkWaitForFences(device, 1, &copy_fence, VK_TRUE, UINT64_MAX));

    // The check: every sample as written.
    const uint8_t* nv12 = readback.as<const uint8_t>();
    const uint32_t chroma_width = extent.width / 2;
    size_t luma_wrong = 0, chroma_wrong = 0;
    std::string first_wrong;
    auto compare = [&](size_t& wrong, const char* what, uint32_t x, uint32_t y, uint8_t got, uint8_t written) {
        if (got == written) return;
        ++wrong;
        if (first_wrong.empty())
            first_wrong = std::string(what) + " (" + std::to_string(x) + "," + std::to_string(y) + ") decoded as " +
                          std::to_string(got) + ", written " + std::to_string(written);
    };
    for (uint32_t y = 0; y < extent.height; ++y)
        for (uint32_t x = 0; x < extent.width; ++x)
            compare(luma_wrong, "Y", x, y, nv12[size_t(y) * extent.width + x], picture.y[size_t(y) * extent.width + x]);
    for (uint32_t y = 0; y < extent.height / 2; ++y) {
        for (uint32_t x = 0; x < chroma_width; ++x) {
            const uint8_t* pair = nv12 + luma_bytes + (size_t(y) * chroma_width + x) * 2;
            compare(chroma_wrong, "Cb", x, y, pair[0], picture.cb[size_t(y) * chroma_width + x]);
            compare(chroma_wrong, "Cr", x, y, pair[1], picture.cr[size_t(y) * chroma_width + x]);
        }
    }
    require(luma_wrong == 0 && chroma_wrong == 0,
            "video_decode: " + std::to_string(luma_wrong) + " of " + std::to_string(luma_bytes) + " Y and " +
                std::to_string(chroma_wrong) + " of " + std::to_string(luma_bytes / 2) +
                " Cb/Cr samples differ from the I_PCM samples; first: " + first_wrong);
    report.line("decoded: the %ux%u Y and interleaved CbCr samples equal the I_PCM samples written", extent.width,
                extent.height);
    report.line("NV12 follows: %llu bytes of Y rows, then %llu of CbCr rows", (unsigned long long)luma_bytes,
                (unsigned long long)(luma_bytes / 2));
    Output out = report.bytes();
    out.insert(out.end(), nv12, nv12 + nv12_bytes);
    return out;
}

}  // namespace anarchy::testprog
