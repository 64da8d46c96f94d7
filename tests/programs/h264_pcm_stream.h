// An H.264 stream whose decoded picture is known exactly, for testing decoders: one IDR picture of I_PCM
// macroblocks only, whose samples go into the stream as they are (no prediction, no transform, no deblocking),
// so a correct decoder outputs exactly the samples written.
//
// What it produces (ITU-T H.264 Annex B byte stream, 8-bit 4:2:0, progressive):
//   00 00 00 01 SPS: profile_idc and level_idc from H264PcmParameters, all constraint flags 0,
//                    log2_max_frame_num_minus4, pic_order_cnt_type 2, max_num_ref_frames, no frame-num gaps,
//                    the picture size in macroblocks, frame_mbs_only_flag 1, direct_8x8_inference_flag 1,
//                    no cropping, no VUI;
//   00 00 00 01 PPS: CAVLC (entropy_coding_mode_flag 0), one slice group, 1 default reference index per list,
//                    no weighted prediction, QP 26 (pic_init_qp/qs_minus26 0), chroma_qp_index_offset 0,
//                    deblocking_filter_control_present_flag 1, no constrained intra, no redundant_pic_cnt,
//                    no 8x8 transform or scaling matrices (the Main-profile PPS ends there);
//   00 00 01    IDR slice (nal_ref_idc 3): first_mb_in_slice 0, slice_type 7 (I, every slice of the picture),
//                    frame_num 0, idr_pic_id, no_output_of_prior_pics_flag 0, long_term_reference_flag 0,
//                    slice_qp_delta 0, disable_deblocking_filter_idc 1; then every macroblock in raster order as
//                    mb_type 25 (I_PCM), alignment zero bits, 256 luma then 64 Cb then 64 Cr samples.
// Each NAL unit's payload has its emulation prevention bytes (00 00 0x -> 00 00 03 0x for x <= 3).
#pragma once

#include <cstdint>
#include <vector>

namespace anarchy::testprog {

/// The syntax values the stream is written with that a decoder API also needs to be told (for Vulkan Video:
/// StdVideoH264SequenceParameterSet, StdVideoH264PictureParameterSet, StdVideoDecodeH264PictureInfo); the
/// others are fixed, as listed at the top of this file.
struct H264PcmParameters {
    uint8_t profile_idc = 77;  // Main
    uint8_t level_idc = 41;    // level 4.1
    uint8_t seq_parameter_set_id = 0;
    uint8_t pic_parameter_set_id = 0;
    uint8_t log2_max_frame_num_minus4 = 0;  // frame_num is 4 bits, and 0
    uint8_t max_num_ref_frames = 1;
    uint16_t idr_pic_id = 0;
    uint32_t width_in_mbs = 0;
    uint32_t height_in_mbs = 0;
};

/// An 8-bit 4:2:0 picture, planar: y is width x height, cb and cr (width/2) x (height/2), rows top to bottom.
/// Width and height are whole macroblocks (multiples of 16).
struct Yuv420Picture {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<uint8_t> y, cb, cr;
};

/// The three NAL units, each behind its start code.
struct H264PcmStream {
    std::vector<uint8_t> sps;    // 00 00 00 01 67 ...
    std::vector<uint8_t> pps;    // 00 00 00 01 68 ...
    std::vector<uint8_t> slice;  // 00 00 01 65 ...

    /// SPS, PPS and slice one after the other: a stream any H.264 decoder plays.
    std::vector<uint8_t> annex_b() const;
};

/// Writes `picture` as an I_PCM IDR picture. `parameters.width_in_mbs` and `height_in_mbs` must describe the
/// picture's size. Sample values of 0 are written as they are, though early decoders reject them in PCM
/// macroblocks; callers that want to be safe keep samples in 1..255.
H264PcmStream write_h264_pcm_stream(const Yuv420Picture& picture, const H264PcmParameters& parameters);

}  // namespace anarchy::testprog
