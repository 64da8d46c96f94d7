// The factory's choice and its explanation.
#include "video/codec_factory.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "video/av_encoder_backend.h"

namespace anarchy::video {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

EncoderSettings settings(CodecKind kind) {
    EncoderSettings s;
    s.codec = kind;
    s.width = 320;
    s.height = 240;
    return s;
}

TEST(CodecFactory, LosslessEncodersNameThemselves) {
    for (CodecKind k : {CodecKind::Raw, CodecKind::Lz4, CodecKind::Lz4Delta, CodecKind::Lz4Tiles}) {
        EncoderCreation c = create_encoder(settings(k));
        ASSERT_TRUE(c.encoder) << c.reason;
        EXPECT_EQ(std::string(c.encoder->name()), to_string(k));
        EXPECT_TRUE(contains(c.reason, to_string(k))) << c.reason;
        EXPECT_FALSE(c.encoder->is_hardware());
    }
}

// On a machine with a working NVENC the first choice is NVENC; everywhere else the reason must say why NVENC was
// not used, with the error it gave, and name the software encoder chosen.
TEST(CodecFactory, ReasonNamesTheChoiceAndEveryFailureBeforeIt) {
    struct Case {
        CodecKind kind;
        const char* nvenc;
        std::vector<const char*> software;
    };
    for (const Case& k : {Case{CodecKind::H264, "h264_nvenc", {"libx264"}}, Case{CodecKind::Hevc, "hevc_nvenc", {"libx265"}},
                          Case{CodecKind::Av1, "av1_nvenc", {"libsvtav1", "libaom-av1"}}}) {
        EncoderCreation c = create_encoder(settings(k.kind));
        ASSERT_TRUE(c.encoder) << c.reason;
        const std::string chosen = c.encoder->name();
        EXPECT_TRUE(contains(c.reason, "using " + chosen)) << c.reason;
        if (c.encoder->is_hardware()) {
            EXPECT_EQ(chosen, k.nvenc);
            continue;
        }
        EXPECT_TRUE(contains(c.reason, std::string(k.nvenc) + " unavailable (")) << c.reason;
        EXPECT_TRUE(contains(c.reason, "(software)")) << c.reason;
        // Nothing between NVENC and the chosen backend is left out of the reason.
        for (const char* sw : k.software) {
            if (chosen == sw) break;
            EXPECT_TRUE(contains(c.reason, sw)) << c.reason;
        }
    }
}

TEST(CodecFactory, NvencFailureTextComesFromFfmpeg) {
    EncoderSettings s = settings(CodecKind::H264);
    s.backends = {"h264_nvenc"};
    EncoderCreation c = create_encoder(s);
    if (c.encoder) {  // a GPU with NVENC: then it must be the encoder chosen, and say so
        EXPECT_EQ(std::string(c.encoder->name()), "h264_nvenc") << c.reason;
        EXPECT_TRUE(c.encoder->is_hardware());
        return;
    }
    // The reason carries libavcodec's own explanation, e.g. "Cannot load libcuda.so.1 (Operation not permitted)"
    // or "not built into this libavcodec", not just a generic error code.
    EXPECT_TRUE(contains(c.reason, "h264_nvenc unavailable (")) << c.reason;
    EXPECT_TRUE(contains(c.reason, "no encoder works")) << c.reason;
    EXPECT_GT(c.reason.size(), std::string("h264: no encoder works: h264_nvenc unavailable ()").size() + 8) << c.reason;
}

// Finding out that there is no NVENC loads CUDA (0.6 s on an H200, on the first frame's path before the encoder
// was opened ahead of it): a second encoder in the same process must not pay that again.
TEST(CodecFactory, AnAbsentHardwareEncoderIsRememberedWithItsReason) {
    EncoderCreation first = create_encoder(settings(CodecKind::H264));
    ASSERT_TRUE(first.encoder) << first.reason;
    if (first.encoder->is_hardware()) return;  // NVENC is there
    const bool absent = contains(first.reason, "Cannot load") || contains(first.reason, "unsupported device") ||
                        contains(first.reason, "No capable devices") || contains(first.reason, "not built into");
    if (!absent) return;  // a failure that may pass is not remembered
    EncoderCreation second = create_encoder(settings(CodecKind::H264));
    ASSERT_TRUE(second.encoder) << second.reason;
    EXPECT_TRUE(contains(second.reason, "h264_nvenc unavailable (")) << second.reason;
    EXPECT_TRUE(contains(second.reason, "found at an earlier try")) << second.reason;
}

TEST(CodecFactory, PreferHardwareOffSkipsNvencAndSaysSo) {
    EncoderSettings s = settings(CodecKind::H264);
    s.prefer_hardware = false;
    EncoderCreation c = create_encoder(s);
    ASSERT_TRUE(c.encoder) << c.reason;
    EXPECT_EQ(std::string(c.encoder->name()), "libx264");
    EXPECT_TRUE(contains(c.reason, "h264_nvenc skipped (prefer_hardware is off)")) << c.reason;
}

TEST(CodecFactory, X264PresetFollowsTheFrameSizeAndIsNamed) {
    EXPECT_STREQ(x264_preset_for(1920, 1088), "superfast");
    EXPECT_STREQ(x264_preset_for(1280, 720), "superfast");
    EXPECT_STREQ(x264_preset_for(2560, 1600), "ultrafast");
    EXPECT_STREQ(x264_preset_for(2560, 1440), "ultrafast");
    for (auto [w, h, preset] : {std::tuple{320u, 240u, "superfast"}, std::tuple{2560u, 1600u, "ultrafast"}}) {
        EncoderSettings s = settings(CodecKind::H264);
        s.width = w;
        s.height = h;
        s.prefer_hardware = false;
        EncoderCreation c = create_encoder(s);
        ASSERT_TRUE(c.encoder) << c.reason;
        EXPECT_TRUE(contains(c.reason, std::string("using libx264 (software), preset ") + preset)) << c.reason;
    }
}

TEST(CodecFactory, BackendOverrideIsHonouredAndFailuresNameEveryBackend) {
    EncoderSettings s = settings(CodecKind::Hevc);
    s.backends = {"libx265"};
    EncoderCreation c = create_encoder(s);
    ASSERT_TRUE(c.encoder) << c.reason;
    EXPECT_EQ(std::string(c.encoder->name()), "libx265");

    s.backends = {"hevc_nvenc", "libx264", "no_such_encoder"};
    c = create_encoder(s);
    if (c.encoder) {  // a GPU with NVENC: the first backend listed wins
        EXPECT_EQ(std::string(c.encoder->name()), "hevc_nvenc") << c.reason;
        return;
    }
    EXPECT_TRUE(contains(c.reason, "no encoder works")) << c.reason;
    EXPECT_TRUE(contains(c.reason, "hevc_nvenc unavailable")) << c.reason;
    EXPECT_TRUE(contains(c.reason, "libx264 is not a backend of this codec")) << c.reason;
    EXPECT_TRUE(contains(c.reason, "no_such_encoder is not a backend of this codec")) << c.reason;
}

TEST(CodecFactory, SvtAv1IsOnlyUsedWhenItReturnsAPacketPerFrame) {
    EncoderSettings s = settings(CodecKind::Av1);
    s.backends = {"libsvtav1", "libaom-av1"};
    EncoderCreation c = create_encoder(s);
    ASSERT_TRUE(c.encoder) << c.reason;
    // Either SVT-AV1 passed the probe, or the reason says why it did not.
    if (std::string(c.encoder->name()) != "libsvtav1") {
        EXPECT_TRUE(contains(c.reason, "libsvtav1 unsuitable (") || contains(c.reason, "libsvtav1 unavailable ("))
            << c.reason;
    }
}

TEST(CodecFactory, BadSizesAreRefused) {
    EncoderSettings s = settings(CodecKind::H264);
    s.width = 0;
    EncoderCreation c = create_encoder(s);
    EXPECT_FALSE(c.encoder);
    EXPECT_TRUE(contains(c.reason, "outside")) << c.reason;
    DecoderCreation d = create_decoder(CodecKind::Lz4, 20000, 10);
    EXPECT_FALSE(d.decoder);
}

TEST(CodecFactory, DecoderReasonNamesTheDecoderAndTheHardwareTried) {
    for (CodecKind k : {CodecKind::H264, CodecKind::Hevc, CodecKind::Av1}) {
        DecoderCreation c = create_decoder(k, 320, 240);
        ASSERT_TRUE(c.decoder) << c.reason;
        EXPECT_TRUE(contains(c.reason, "using ")) << c.reason;
        if (std::string(c.decoder->hardware_name()).empty()) {
            // Every hardware path tried is named with its failure.
            for (const char* hw : {"cuda", "vaapi", "vdpau"}) EXPECT_TRUE(contains(c.reason, hw)) << c.reason;
            EXPECT_TRUE(contains(c.reason, "(software)")) << c.reason;
        }
    }
    DecoderSettings s;
    s.codec = CodecKind::Av1;
    s.width = 64;
    s.height = 64;
    s.prefer_hardware = false;
    DecoderCreation c = create_decoder(s);
    ASSERT_TRUE(c.decoder) << c.reason;
    EXPECT_STREQ(c.decoder->hardware_name(), "");
    // The hardware decoders passed over are named once, with why.
    EXPECT_TRUE(contains(c.reason, "cuda, vaapi, vdpau not tried (software first)")) << c.reason;
}

TEST(CodecFactory, LosslessBackendOverrideThatExcludesItFails) {
    EncoderSettings s = settings(CodecKind::Lz4);
    s.backends = {"raw"};
    EncoderCreation c = create_encoder(s);
    EXPECT_FALSE(c.encoder);
    EXPECT_TRUE(contains(c.reason, "excludes lz4")) << c.reason;
}

}  // namespace
}  // namespace anarchy::video
