#include "server/capture/capture_format.h"

#include <gtest/gtest.h>

#include <string>

namespace anarchy::server::capture::test {
namespace {

TEST(CaptureFormat, SupportedSourceFormats) {
    EXPECT_EQ(source_layout_of(VK_FORMAT_B8G8R8A8_UNORM), SourceLayout::Bgra8);
    EXPECT_EQ(source_layout_of(VK_FORMAT_B8G8R8A8_SRGB), SourceLayout::Bgra8);
    EXPECT_EQ(source_layout_of(VK_FORMAT_R8G8B8A8_UNORM), SourceLayout::Rgba8);
    EXPECT_EQ(source_layout_of(VK_FORMAT_R8G8B8A8_SRGB), SourceLayout::Rgba8);
    EXPECT_EQ(source_layout_of(VK_FORMAT_A2B10G10R10_UNORM_PACK32), SourceLayout::A2B10G10R10);
    EXPECT_EQ(source_layout_of(VK_FORMAT_A2R10G10B10_UNORM_PACK32), SourceLayout::A2R10G10B10);
    EXPECT_FALSE(source_layout_of(VK_FORMAT_R16G16B16A16_SFLOAT));
    EXPECT_FALSE(source_layout_of(VK_FORMAT_B8G8R8_UNORM));
    EXPECT_FALSE(source_layout_of(VK_FORMAT_UNDEFINED));
}

TEST(CaptureFormat, OnlyBgraToBgraSkipsTheComputePass) {
    EXPECT_FALSE(needs_compute(SourceLayout::Bgra8, OutputFormat::Bgra8));
    EXPECT_TRUE(needs_compute(SourceLayout::Bgra8, OutputFormat::I420));
    EXPECT_TRUE(needs_compute(SourceLayout::Rgba8, OutputFormat::Bgra8));
    EXPECT_TRUE(needs_compute(SourceLayout::A2B10G10R10, OutputFormat::Bgra8));
}

TEST(CaptureFormat, NamesFormatsForErrors) {
    EXPECT_STREQ(format_name(VK_FORMAT_R8G8B8A8_SRGB), "VK_FORMAT_R8G8B8A8_SRGB");
    EXPECT_EQ(std::string(format_name(VK_FORMAT_BC1_RGB_UNORM_BLOCK)), "VkFormat 131");
}

TEST(CaptureFormat, I420LayoutOfEvenSize) {
    const I420Layout l = i420_layout(1280, 720);
    EXPECT_EQ(l.luma_width, 1280u);
    EXPECT_EQ(l.luma_height, 720u);
    EXPECT_EQ(l.chroma_width, 640u);
    EXPECT_EQ(l.chroma_height, 360u);
    EXPECT_EQ(l.y_stride, 1280u);  // no padding when the width is a multiple of 8
    EXPECT_EQ(l.uv_stride, 640u);
    EXPECT_EQ(l.u_offset, 1280u * 720u);
    EXPECT_EQ(l.v_offset, 1280u * 720u + 640u * 360u);
    EXPECT_EQ(l.total_bytes, 1280u * 720u * 3 / 2);
}

TEST(CaptureFormat, I420LayoutOfOddSizes) {
    for (uint32_t w = 1; w < 40; ++w)
        for (uint32_t h = 1; h < 6; ++h) {
            const I420Layout l = i420_layout(w, h);
            EXPECT_EQ(l.luma_width, (w + 1) / 2 * 2);
            EXPECT_EQ(l.luma_height, (h + 1) / 2 * 2);
            EXPECT_EQ(l.chroma_width, (w + 1) / 2);
            EXPECT_EQ(l.chroma_height, (h + 1) / 2);
            // What the shader relies on: whole words everywhere.
            EXPECT_GE(l.y_stride, l.luma_width);
            EXPECT_EQ(l.y_stride % 8, 0u);
            EXPECT_EQ(l.uv_stride * 2, l.y_stride);
            EXPECT_EQ(l.u_offset % 4, 0u);
            EXPECT_EQ(l.v_offset % 4, 0u);
            EXPECT_LT(l.y_stride, l.luma_width + 8);
        }
    const I420Layout l = i420_layout(97, 61);
    EXPECT_EQ(l.luma_width, 98u);
    EXPECT_EQ(l.luma_height, 62u);
    EXPECT_EQ(l.chroma_width, 49u);
    EXPECT_EQ(l.chroma_height, 31u);
    EXPECT_EQ(l.y_stride, 104u);
    EXPECT_EQ(l.uv_stride, 52u);
}

}  // namespace
}  // namespace anarchy::server::capture::test
