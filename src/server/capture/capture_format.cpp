#include "server/capture/capture_format.h"

#include <cstdio>

namespace anarchy::server::capture {

std::optional<SourceLayout> source_layout_of(VkFormat format) {
    switch (format) {
        case VK_FORMAT_B8G8R8A8_UNORM:
        case VK_FORMAT_B8G8R8A8_SRGB: return SourceLayout::Bgra8;
        case VK_FORMAT_R8G8B8A8_UNORM:
        case VK_FORMAT_R8G8B8A8_SRGB: return SourceLayout::Rgba8;
        case VK_FORMAT_A2B10G10R10_UNORM_PACK32: return SourceLayout::A2B10G10R10;
        case VK_FORMAT_A2R10G10B10_UNORM_PACK32: return SourceLayout::A2R10G10B10;
        default: return std::nullopt;
    }
}

bool needs_compute(SourceLayout layout, OutputFormat want) {
    return !(layout == SourceLayout::Bgra8 && want == OutputFormat::Bgra8);
}

const char* format_name(VkFormat format) {
    switch (format) {
        case VK_FORMAT_B8G8R8A8_UNORM: return "VK_FORMAT_B8G8R8A8_UNORM";
        case VK_FORMAT_B8G8R8A8_SRGB: return "VK_FORMAT_B8G8R8A8_SRGB";
        case VK_FORMAT_R8G8B8A8_UNORM: return "VK_FORMAT_R8G8B8A8_UNORM";
        case VK_FORMAT_R8G8B8A8_SRGB: return "VK_FORMAT_R8G8B8A8_SRGB";
        case VK_FORMAT_A2B10G10R10_UNORM_PACK32: return "VK_FORMAT_A2B10G10R10_UNORM_PACK32";
        case VK_FORMAT_A2R10G10B10_UNORM_PACK32: return "VK_FORMAT_A2R10G10B10_UNORM_PACK32";
        case VK_FORMAT_R16G16B16A16_SFLOAT: return "VK_FORMAT_R16G16B16A16_SFLOAT";
        case VK_FORMAT_R5G6B5_UNORM_PACK16: return "VK_FORMAT_R5G6B5_UNORM_PACK16";
        case VK_FORMAT_UNDEFINED: return "VK_FORMAT_UNDEFINED";
        default: {
            // Other formats are only ever named in error messages; one buffer per thread keeps this reentrant.
            thread_local char buffer[32];
            std::snprintf(buffer, sizeof buffer, "VkFormat %d", static_cast<int>(format));
            return buffer;
        }
    }
}

const char* output_format_name(OutputFormat format) {
    switch (format) {
        case OutputFormat::Bgra8: return "Bgra8";
        case OutputFormat::I420: return "I420";
    }
    return "unknown output format";
}

I420Layout i420_layout(uint32_t width, uint32_t height) {
    I420Layout l;
    l.width = width;
    l.height = height;
    l.luma_width = width + (width & 1u);
    l.luma_height = height + (height & 1u);
    l.chroma_width = l.luma_width / 2;
    l.chroma_height = l.luma_height / 2;
    l.uv_stride = (l.chroma_width + 3u) & ~3u;
    l.y_stride = l.uv_stride * 2;
    l.y_offset = 0;
    l.u_offset = size_t(l.y_stride) * l.luma_height;
    l.v_offset = l.u_offset + size_t(l.uv_stride) * l.chroma_height;
    l.total_bytes = l.v_offset + size_t(l.uv_stride) * l.chroma_height;
    return l;
}

}  // namespace anarchy::server::capture
