// The video codec standards' structures (video.xml) travel like Vulkan's own: an H.264 sequence parameter set with
// its arrays and VUI, and H.265's HRD parameters, whose sub-layer arrays take their length from the VPS or SPS
// that holds them (overrides.json context_lengths).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "protocol/arena.h"
#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"
#include "vk_structs_autogen.h"

namespace anarchy::protocol {
namespace {

TEST(VideoStructs, H264SequenceParameterSetKeepsItsArraysAndFlags) {
    StdVideoH264ScalingLists lists{};
    lists.scaling_list_present_mask = 0x5;
    for (int i = 0; i < STD_VIDEO_H264_SCALING_LIST_4X4_NUM_LISTS; ++i)
        for (int j = 0; j < STD_VIDEO_H264_SCALING_LIST_4X4_NUM_ELEMENTS; ++j) lists.ScalingList4x4[i][j] = uint8_t(i * 16 + j);
    StdVideoH264HrdParameters hrd{};
    hrd.cpb_cnt_minus1 = 2;
    hrd.bit_rate_value_minus1[1] = 123456;
    StdVideoH264SequenceParameterSetVui vui{};
    vui.flags.nal_hrd_parameters_present_flag = 1;
    vui.sar_width = 16;
    vui.pHrdParameters = &hrd;
    const int32_t offsets[3] = {-4, 7, 100};
    StdVideoH264SequenceParameterSet sps{};
    sps.flags.frame_mbs_only_flag = 1;
    sps.flags.vui_parameters_present_flag = 1;
    sps.flags.seq_scaling_matrix_present_flag = 1;
    sps.profile_idc = STD_VIDEO_H264_PROFILE_IDC_HIGH;
    sps.pic_order_cnt_type = STD_VIDEO_H264_POC_TYPE_1;
    sps.pic_width_in_mbs_minus1 = 119;
    sps.num_ref_frames_in_pic_order_cnt_cycle = 3;
    sps.pOffsetForRefFrame = offsets;
    sps.pScalingLists = &lists;
    sps.pSequenceParameterSetVui = &vui;

    WireEncoder e;
    gen::enc_StdVideoH264SequenceParameterSet(e, sps);
    Arena arena;
    WireDecoder d(e.bytes().data(), e.bytes().size(), &arena);
    StdVideoH264SequenceParameterSet got{};
    ASSERT_TRUE(gen::dec_StdVideoH264SequenceParameterSet(d, got)) << d.error();
    EXPECT_EQ(d.remaining(), 0u);
    EXPECT_EQ(got.flags.frame_mbs_only_flag, 1u);
    EXPECT_EQ(got.flags.vui_parameters_present_flag, 1u);
    EXPECT_EQ(got.profile_idc, STD_VIDEO_H264_PROFILE_IDC_HIGH);
    EXPECT_EQ(got.pic_width_in_mbs_minus1, 119u);
    ASSERT_NE(got.pOffsetForRefFrame, nullptr);
    EXPECT_EQ(std::memcmp(got.pOffsetForRefFrame, offsets, sizeof offsets), 0);
    ASSERT_NE(got.pScalingLists, nullptr);
    EXPECT_EQ(std::memcmp(got.pScalingLists, &lists, sizeof lists), 0);
    ASSERT_NE(got.pSequenceParameterSetVui, nullptr);
    EXPECT_EQ(got.pSequenceParameterSetVui->sar_width, 16u);
    ASSERT_NE(got.pSequenceParameterSetVui->pHrdParameters, nullptr);
    EXPECT_EQ(got.pSequenceParameterSetVui->pHrdParameters->bit_rate_value_minus1[1], 123456u);
}

/// An H.265 SPS whose VUI's HRD parameters have per-sub-layer arrays of sps_max_sub_layers_minus1 + 1 elements.
struct H265Sps {
    StdVideoH265SubLayerHrdParameters nal[3]{};
    StdVideoH265HrdParameters hrd{};
    StdVideoH265SequenceParameterSetVui vui{};
    StdVideoH265SequenceParameterSet sps{};
    H265Sps() {
        for (int i = 0; i < 3; ++i) nal[i].bit_rate_value_minus1[0] = 1000u * (i + 1);
        hrd.pSubLayerHrdParametersNal = nal;
        vui.pHrdParameters = &hrd;
        sps.sps_max_sub_layers_minus1 = 2;
        sps.pSequenceParameterSetVui = &vui;
    }
};

TEST(VideoStructs, H265SubLayerArraysTakeTheirLengthFromTheEnclosingParameterSet) {
    H265Sps in;
    WireEncoder e;
    gen::enc_StdVideoH265SequenceParameterSet(e, in.sps);
    Arena arena;
    WireDecoder d(e.bytes().data(), e.bytes().size(), &arena);
    StdVideoH265SequenceParameterSet got{};
    ASSERT_TRUE(gen::dec_StdVideoH265SequenceParameterSet(d, got)) << d.error();
    EXPECT_EQ(d.remaining(), 0u);
    ASSERT_NE(got.pSequenceParameterSetVui, nullptr);
    const StdVideoH265HrdParameters* hrd = got.pSequenceParameterSetVui->pHrdParameters;
    ASSERT_NE(hrd, nullptr);
    ASSERT_NE(hrd->pSubLayerHrdParametersNal, nullptr);
    EXPECT_EQ(hrd->pSubLayerHrdParametersVcl, nullptr);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(hrd->pSubLayerHrdParametersNal[i].bit_rate_value_minus1[0], 1000u * (i + 1));
    // The context is the encoder's alone and ends with the parameter set.
    EXPECT_EQ(gen::length_context_h265_sub_layers, 0u);
}

TEST(VideoStructs, H265SubLayerCountAboveTheStandardsLimitIsRefused) {
    H265Sps in;
    WireEncoder e;
    gen::enc_StdVideoH265HrdParameters(e, in.hrd);  // no enclosing parameter set: no sub-layer array travels
    {
        Arena arena;
        WireDecoder d(e.bytes().data(), e.bytes().size(), &arena);
        StdVideoH265HrdParameters got{};
        ASSERT_TRUE(gen::dec_StdVideoH265HrdParameters(d, got)) << d.error();
        EXPECT_EQ(got.pSubLayerHrdParametersNal, nullptr);
    }
    // A count the standard does not allow, as a misbehaving client could send it.
    WireEncoder bad;
    {
        const gen::LengthContext context(gen::length_context_h265_sub_layers, 3);
        gen::enc_StdVideoH265HrdParameters(bad, in.hrd);
    }
    std::vector<uint8_t> bytes = bad.bytes();
    const uint64_t three = 3, eight = 8;
    auto at = std::search(bytes.begin(), bytes.end(), reinterpret_cast<const uint8_t*>(&three),
                          reinterpret_cast<const uint8_t*>(&three) + 8);
    ASSERT_NE(at, bytes.end());
    std::memcpy(&*at, &eight, 8);
    Arena arena;
    WireDecoder d(bytes.data(), bytes.size(), &arena);
    StdVideoH265HrdParameters got{};
    EXPECT_FALSE(gen::dec_StdVideoH265HrdParameters(d, got));
    EXPECT_NE(d.error().find("pSubLayerHrdParametersNal"), std::string::npos) << d.error();
}

}  // namespace
}  // namespace anarchy::protocol
