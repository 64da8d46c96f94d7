// libFuzzer target: the frame packets a client's decoder takes from the video channel, for every codec, whole
// frames and banded ones alike (video/banded_codec.h). The input picks a codec and then holds packets:
//   u8 codec index (kVideoFuzzCodecs), then any number of { u32 little-endian length, that many bytes }.
// Each packet goes to one decoder of kWidth x kHeight through decode_into, as the client decodes into a window's
// buffer; every result is allowed except a crash, a hang or a sanitizer report. The seeds are streams of the real
// encoders (fuzz/video_seeds.cpp writes them), so the fuzzer starts from packets that decode.
#include <cstdint>
#include <memory>
#include <vector>

#include "common/log.h"
#include "video_fuzz_format.h"
#include "video/codec_factory.h"

namespace {

using namespace anarchy::video;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    anarchy::log_set_default_level(anarchy::LogLevel::Error);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace anarchy::fuzz;
    if (size < 1) return 0;
    DecoderSettings s;
    s.codec = kVideoFuzzCodecs[data[0] % kVideoFuzzCodecCount];
    s.width = kVideoFuzzWidth;
    s.height = kVideoFuzzHeight;
    s.prefer_hardware = false;
    s.threads = 2;  // band decoders side by side, as on a client
    DecoderCreation c = create_decoder(s);
    if (!c.decoder) return 0;
    std::vector<uint8_t> picture(size_t(kVideoFuzzWidth) * kVideoFuzzHeight * 4);
    const PictureTarget target{picture.data(), size_t(kVideoFuzzWidth) * 4};
    size_t at = 1;
    while (at + 4 <= size) {
        const size_t length = size_t(data[at]) | size_t(data[at + 1]) << 8 | size_t(data[at + 2]) << 16 |
                              size_t(data[at + 3]) << 24;
        at += 4;
        if (length > size - at) break;
        // A copy of just the packet's bytes, so that a read past its end is the sanitizer's to see.
        std::vector<uint8_t> packet(data + at, data + at + length);
        DecodedFrame out;
        (void)c.decoder->decode_into(packet.data(), packet.size(), target, out);
        at += length;
    }
    return 0;
}
