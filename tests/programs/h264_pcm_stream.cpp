#include "h264_pcm_stream.h"

#include <stdexcept>

namespace anarchy::testprog {

namespace {

/// Writes an RBSP bit by bit, most significant bit first (H.264 7.2).
class BitWriter {
public:
    /// u(n): the low `count` bits of `value`.
    void bits(uint64_t value, int count) {
        for (int i = count - 1; i >= 0; --i) bit(uint32_t(value >> i) & 1);
    }
    void flag(bool value) { bit(value ? 1 : 0); }
    /// ue(v): Exp-Golomb, value + 1 in binary behind as many zeros as it has bits after the first.
    void ue(uint32_t value) {
        const uint64_t code = uint64_t(value) + 1;
        int length = 0;
        while ((code >> length) > 1) ++length;
        bits(0, length);
        bits(code, length + 1);
    }
    /// se(v): k > 0 as ue(2k - 1), k <= 0 as ue(-2k).
    void se(int32_t value) {
        ue(value > 0 ? uint32_t(2 * int64_t(value) - 1) : uint32_t(-2 * int64_t(value)));
    }
    void align_with_zeros() {
        while (used_ != 0) bit(0);
    }
    /// rbsp_trailing_bits(): a stop bit, then zeros to the byte boundary.
    void trailing_bits() {
        bit(1);
        align_with_zeros();
    }
    bool byte_aligned() const { return used_ == 0; }
    /// The bytes written; only whole bytes, so call once aligned.
    const std::vector<uint8_t>& bytes() const {
        if (used_ != 0) throw std::logic_error("BitWriter: the RBSP does not end on a byte boundary");
        return bytes_;
    }

private:
    void bit(uint32_t value) {
        current_ = uint8_t(current_ << 1 | value);
        if (++used_ == 8) {
            bytes_.push_back(current_);
            current_ = 0;
            used_ = 0;
        }
    }

    std::vector<uint8_t> bytes_;
    uint8_t current_ = 0;
    int used_ = 0;  // bits in current_
};

enum NalType : uint8_t { kNalIdrSlice = 5, kNalSps = 7, kNalPps = 8 };

/// A start code of `start_code_size` bytes (3 or 4), the NAL header, then `rbsp` with emulation prevention:
/// wherever two zero bytes would be followed by a byte <= 3, a 03 goes between (H.264 7.4.1).
std::vector<uint8_t> nal_unit(int start_code_size, uint8_t nal_ref_idc, NalType type,
                              const std::vector<uint8_t>& rbsp) {
    std::vector<uint8_t> out(size_t(start_code_size - 1), 0);
    out.push_back(1);
    out.push_back(uint8_t(nal_ref_idc << 5 | type));
    int zeros = 0;
    for (uint8_t byte : rbsp) {
        if (zeros >= 2 && byte <= 3) {
            out.push_back(3);
            zeros = 0;
        }
        out.push_back(byte);
        zeros = byte == 0 ? zeros + 1 : 0;
    }
    if (!rbsp.empty() && rbsp.back() == 0) out.push_back(3);  // never with trailing bits, kept for completeness
    return out;
}

std::vector<uint8_t> sequence_parameter_set(const H264PcmParameters& p) {
    // Profiles 66, 77 and 88 carry no chroma_format_idc or bit depths (4:2:0, 8-bit); the others would.
    if (p.profile_idc != 66 && p.profile_idc != 77 && p.profile_idc != 88)
        throw std::invalid_argument("write_h264_pcm_stream: only profiles 66, 77 and 88 are written");
    BitWriter w;
    w.bits(p.profile_idc, 8);
    w.bits(0, 6);  // constraint_set0..5_flag
    w.bits(0, 2);  // reserved_zero_2bits
    w.bits(p.level_idc, 8);
    w.ue(p.seq_parameter_set_id);
    w.ue(p.log2_max_frame_num_minus4);
    w.ue(2);  // pic_order_cnt_type: output order is decoding order, nothing more to send
    w.ue(p.max_num_ref_frames);
    w.flag(false);  // gaps_in_frame_num_value_allowed_flag
    w.ue(p.width_in_mbs - 1);
    w.ue(p.height_in_mbs - 1);  // pic_height_in_map_units_minus1 (frames only)
    w.flag(true);               // frame_mbs_only_flag
    w.flag(true);               // direct_8x8_inference_flag
    w.flag(false);              // frame_cropping_flag
    w.flag(false);              // vui_parameters_present_flag
    w.trailing_bits();
    return w.bytes();
}

std::vector<uint8_t> picture_parameter_set(const H264PcmParameters& p) {
    BitWriter w;
    w.ue(p.pic_parameter_set_id);
    w.ue(p.seq_parameter_set_id);
    w.flag(false);  // entropy_coding_mode_flag: CAVLC
    w.flag(false);  // bottom_field_pic_order_in_frame_present_flag
    w.ue(0);        // num_slice_groups_minus1
    w.ue(0);        // num_ref_idx_l0_default_active_minus1
    w.ue(0);        // num_ref_idx_l1_default_active_minus1
    w.flag(false);  // weighted_pred_flag
    w.bits(0, 2);   // weighted_bipred_idc
    w.se(0);        // pic_init_qp_minus26
    w.se(0);        // pic_init_qs_minus26
    w.se(0);        // chroma_qp_index_offset
    w.flag(true);   // deblocking_filter_control_present_flag: the slice turns deblocking off
    w.flag(false);  // constrained_intra_pred_flag
    w.flag(false);  // redundant_pic_cnt_present_flag
    w.trailing_bits();
    return w.bytes();
}

std::vector<uint8_t> idr_slice(const Yuv420Picture& picture, const H264PcmParameters& p) {
    BitWriter w;
    // slice_header()
    w.ue(0);  // first_mb_in_slice
    w.ue(7);  // slice_type: I, and so is every other slice of the picture
    w.ue(p.pic_parameter_set_id);
    w.bits(0, p.log2_max_frame_num_minus4 + 4);  // frame_num: 0 in an IDR picture
    w.ue(p.idr_pic_id);
    // pic_order_cnt_type 2: no picture order count syntax. An I slice: no reference list syntax.
    w.flag(false);  // dec_ref_pic_marking(): no_output_of_prior_pics_flag
    w.flag(false);  //                     long_term_reference_flag
    w.se(0);        // slice_qp_delta
    w.ue(1);        // disable_deblocking_filter_idc: the filter is off, the PCM samples stay as written

    // slice_data(): CAVLC, every macroblock I_PCM.
    const uint32_t chroma_width = picture.width / 2;
    for (uint32_t mb_y = 0; mb_y < p.height_in_mbs; ++mb_y) {
        for (uint32_t mb_x = 0; mb_x < p.width_in_mbs; ++mb_x) {
            w.ue(25);  // mb_type I_PCM
            w.align_with_zeros();  // pcm_alignment_zero_bit
            for (uint32_t y = mb_y * 16; y < mb_y * 16 + 16; ++y)
                for (uint32_t x = mb_x * 16; x < mb_x * 16 + 16; ++x)
                    w.bits(picture.y[size_t(y) * picture.width + x], 8);
            for (const std::vector<uint8_t>* plane : {&picture.cb, &picture.cr})
                for (uint32_t y = mb_y * 8; y < mb_y * 8 + 8; ++y)
                    for (uint32_t x = mb_x * 8; x < mb_x * 8 + 8; ++x)
                        w.bits((*plane)[size_t(y) * chroma_width + x], 8);
        }
    }
    w.trailing_bits();  // rbsp_slice_trailing_bits(), no cabac_zero_words with CAVLC
    return w.bytes();
}

}  // namespace

std::vector<uint8_t> H264PcmStream::annex_b() const {
    std::vector<uint8_t> out(sps);
    out.insert(out.end(), pps.begin(), pps.end());
    out.insert(out.end(), slice.begin(), slice.end());
    return out;
}

H264PcmStream write_h264_pcm_stream(const Yuv420Picture& picture, const H264PcmParameters& parameters) {
    const size_t luma = size_t(picture.width) * picture.height;
    if (parameters.width_in_mbs == 0 || parameters.height_in_mbs == 0 ||
        picture.width != parameters.width_in_mbs * 16 || picture.height != parameters.height_in_mbs * 16 ||
        picture.y.size() != luma || picture.cb.size() != luma / 4 || picture.cr.size() != luma / 4)
        throw std::invalid_argument("write_h264_pcm_stream: the picture does not match its size in macroblocks");
    H264PcmStream stream;
    // The SPS and PPS start the access unit, so they take the 4-byte start code (zero_byte + 00 00 01).
    stream.sps = nal_unit(4, 3, kNalSps, sequence_parameter_set(parameters));
    stream.pps = nal_unit(4, 3, kNalPps, picture_parameter_set(parameters));
    stream.slice = nal_unit(3, 3, kNalIdrSlice, idr_slice(picture, parameters));
    return stream;
}

}  // namespace anarchy::testprog
