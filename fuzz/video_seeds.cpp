// Writes the seed inputs of fuzz/video_fuzzer.cpp into a folder: for each codec a short stream of the real encoder
// (a key frame, then frames that build on it), H.264 both in bands and whole. The fuzz_replay_video test replays
// them (they must decode without a report) and the fuzzer starts from them.
//   anarchy_fuzz_video_seeds OUT_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/log.h"
#include "video/codec_factory.h"
#include "video_fuzz_format.h"

using namespace anarchy;
using namespace anarchy::video;

namespace {

// A BGRA picture that moves with t: blocks of colour and a bright square, so every codec has something to predict
// and the lossless ones something to compress.
std::vector<uint8_t> scene(uint32_t w, uint32_t h, uint32_t t) {
    std::vector<uint8_t> px(size_t(w) * h * 4);
    for (uint32_t y = 0; y < h; ++y)
        for (uint32_t x = 0; x < w; ++x) {
            uint8_t* p = &px[(size_t(y) * w + x) * 4];
            const bool square = x >= 20 + 7 * t && x < 60 + 7 * t && y >= 30 + 5 * t && y < 90 + 5 * t;
            p[0] = uint8_t(x / 16 * 25 + t * 3);
            p[1] = uint8_t(y / 8 * 13 + t * 5);
            p[2] = square ? 250 : uint8_t((x / 16 + y / 16) * 11);
            p[3] = 255;
        }
    return px;
}

bool write_seed(const std::filesystem::path& dir, const std::string& name, size_t codec_index, uint32_t bands) {
    EncoderSettings s;
    s.codec = fuzz::kVideoFuzzCodecs[codec_index];
    s.width = fuzz::kVideoFuzzWidth;
    s.height = fuzz::kVideoFuzzHeight;
    s.prefer_hardware = false;
    s.threads = 1;
    s.bands = bands;
    EncoderCreation c = create_encoder(s);
    if (!c.encoder) {
        std::fprintf(stderr, "%s: no encoder: %s\n", name.c_str(), c.reason.c_str());
        return false;
    }
    // Each packet is decoded as the fuzzer's decoder would, so that a seed is a stream that decodes.
    DecoderSettings ds;
    ds.codec = s.codec;
    ds.width = s.width;
    ds.height = s.height;
    ds.prefer_hardware = false;
    ds.threads = 2;
    DecoderCreation d = create_decoder(ds);
    if (!d.decoder) {
        std::fprintf(stderr, "%s: no decoder: %s\n", name.c_str(), d.reason.c_str());
        return false;
    }
    std::vector<uint8_t> picture(size_t(s.width) * s.height * 4);
    const PictureTarget target{picture.data(), size_t(s.width) * 4};
    std::string decode_error;
    std::vector<uint8_t> out{uint8_t(codec_index)};
    for (uint32_t t = 0; t < 4; ++t) {
        const std::vector<uint8_t> bgra = scene(s.width, s.height, t);
        const CodecStatus st = c.encoder->encode_slices(
            FrameView::packed(PixelFormat::Bgra8, bgra.data(), s.width, s.height), [&](EncodedFrame& p, bool) {
                for (int b = 0; b < 4; ++b) out.push_back(uint8_t(p.bytes.size() >> (8 * b)));
                out.insert(out.end(), p.bytes.begin(), p.bytes.end());
                DecodedFrame decoded;
                if (CodecStatus ds = d.decoder->decode_into(p.bytes.data(), p.bytes.size(), target, decoded); !ds)
                    decode_error = ds.message();
                return decode_error.empty();
            });
        if (!st) {
            std::fprintf(stderr, "%s: frame %u: %s\n", name.c_str(), t,
                         decode_error.empty() ? st.message().c_str() : ("decoding: " + decode_error).c_str());
            return false;
        }
    }
    std::ofstream f(dir / (name + ".bin"), std::ios::binary);
    f.write(reinterpret_cast<const char*>(out.data()), std::streamsize(out.size()));
    std::printf("%s: %zu bytes (%s)\n", name.c_str(), out.size(), c.reason.c_str());
    return bool(f);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    log_set_default_level(LogLevel::Error);
    const std::filesystem::path dir(argv[1]);
    std::filesystem::create_directories(dir);
    bool ok = true;
    for (size_t i = 0; i < fuzz::kVideoFuzzCodecCount; ++i)
        ok = write_seed(dir, to_string(fuzz::kVideoFuzzCodecs[i]), i, 1) && ok;
    static_assert(fuzz::kVideoFuzzCodecs[4] == CodecKind::H264);
    ok = write_seed(dir, "h264-bands", 4, 2) && ok;
    return ok ? 0 : 1;
}
