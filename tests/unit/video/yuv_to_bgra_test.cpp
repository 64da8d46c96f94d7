// YuvToBgra's banded conversion on several threads gives the bytes one converter gives, at every size it splits
// and at those it does not.
#include "video/yuv_to_bgra.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace anarchy::video {
namespace {

struct Picture {
    std::vector<uint8_t> y, u, v;
    PlaneRefs refs;
};

/// Random 4:2:0 planes of w x h (chroma rounded up), rows padded as a decoder's are, with readable slack.
Picture random_picture(int w, int h, uint32_t seed) {
    std::mt19937 rng(seed);
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    const int y_stride = int(sws_aligned(size_t(w))) + 64, c_stride = int(sws_aligned(size_t(cw))) + 32;
    Picture p;
    p.y.resize(size_t(y_stride) * h + kSwsSlack);
    p.u.resize(size_t(c_stride) * ch + kSwsSlack);
    p.v.resize(size_t(c_stride) * ch + kSwsSlack);
    for (auto* plane : {&p.y, &p.u, &p.v})
        for (uint8_t& b : *plane) b = uint8_t(rng());
    p.refs.format = AV_PIX_FMT_YUV420P;
    p.refs.data[0] = p.y.data();
    p.refs.data[1] = p.u.data();
    p.refs.data[2] = p.v.data();
    p.refs.strides[0] = y_stride;
    p.refs.strides[1] = p.refs.strides[2] = c_stride;
    return p;
}

void expect_same(const std::vector<uint8_t>& one, const std::vector<uint8_t>& many, size_t stride) {
    ASSERT_EQ(one.size(), many.size());
    for (size_t i = 0; i < one.size(); ++i)
        if (one[i] != many[i]) {
            ADD_FAILURE() << "first difference at row " << i / stride << ", byte " << i % stride << ": "
                          << int(one[i]) << " (one converter) against " << int(many[i]) << " (bands)";
            return;
        }
}

TEST(YuvToBgra, BandsOnThreadsGiveTheBytesOfOneConverter) {
    struct Size {
        int w, h;
    };
    // Split sizes (the handheld's, 1080p coded, an even width that is no multiple of 32) and ones kept whole (odd,
    // small); a window stride wider than the picture as well as a packed one.
    for (const Size s : {Size{2560, 1600}, Size{1920, 1088}, Size{1282, 722}, Size{640, 480}, Size{97, 61}, Size{2, 2}}) {
        for (size_t extra_stride : {size_t(0), size_t(256)}) {
            SCOPED_TRACE(std::to_string(s.w) + "x" + std::to_string(s.h) + " stride +" + std::to_string(extra_stride));
            const Picture p = random_picture(s.w, s.h, uint32_t(s.w * 7 + s.h));
            const size_t stride = size_t(s.w) * 4 + extra_stride;
            std::vector<uint8_t> one(stride * s.h, 0x5a), many(stride * s.h, 0x5a);
            YuvToBgra single(1), banded(8);
            ASSERT_TRUE(single.convert(p.refs, s.w, s.h, YuvEncoding{}, one.data(), s.w, s.h, stride));
            ASSERT_TRUE(banded.convert(p.refs, s.w, s.h, YuvEncoding{}, many.data(), s.w, s.h, stride));
            expect_same(one, many, stride);
            // Again with the same converters (their contexts are kept), and BT.709 full range.
            YuvEncoding full{AVCOL_SPC_BT709, true};
            ASSERT_TRUE(single.convert(p.refs, s.w, s.h, full, one.data(), s.w, s.h, stride));
            ASSERT_TRUE(banded.convert(p.refs, s.w, s.h, full, many.data(), s.w, s.h, stride));
            expect_same(one, many, stride);
        }
    }
}

}  // namespace
}  // namespace anarchy::video
