// anarchy_video_check: a video stream made by the server's encoder on Linux, decoded by another build's decoder
// (the Windows client's Media Foundation decoder under Wine) and compared with what the Linux client shows.
//
//   anarchy_video_check encode --codec h264 --size 1280x720 --frames 30 --dir DIR     (Linux build only)
//     DIR/stream.bin: the packets, each a u32 little-endian length and the bytes decode() takes; encoded as the
//       server does (software encoder, intra refresh instead of periodic key frames).
//     DIR/reference.bgra: each frame as the Linux client decodes it (libavcodec, libswscale).
//     DIR/reference_nv12.bgra: each frame decoded by libavcodec and converted by Nv12ToBgra, what a bit-exact
//       decoder followed by the Windows client's converter must produce exactly.
//   anarchy_video_check decode --codec h264 --size 1280x720 --dir DIR [--backends mf,...] [--min-psnr 40]
//     Decodes the stream with this build's decoder, compares every picture with the references, times each decode,
//     then feeds damaged packets (cut short, garbage, a frame without its reference) that must be refused, and
//     checks that the stream decodes again from its key frame. Exit 0 when everything holds.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/log.h"
#include "video/codec_factory.h"
#include "video/frame_packet_header.h"

#if ANARCHY_HAVE_LIBAV
extern "C" {
#include <libavcodec/avcodec.h>
}
#include "../unit/video/test_scene.h"
#include "video/nv12_to_bgra.h"
#endif

using namespace anarchy;
using namespace anarchy::video;

namespace {

struct Options {
    std::string command;
    CodecKind codec = CodecKind::H264;
    uint32_t width = 1280, height = 720, frames = 30;
    std::string dir = ".";
    std::vector<std::string> backends;
    double min_psnr = 40.0;
    bool hardware = true;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr, "anarchy_video_check: %s\nusage: anarchy_video_check encode|decode --codec C --size WxH "
                         "[--frames N] --dir DIR [--backends a,b] [--min-psnr DB] [--software]\n", why);
    std::exit(2);
}

Options parse(int argc, char** argv) {
    if (argc < 2) usage("no command");
    Options o;
    o.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("no value for " + a).c_str());
            return argv[++i];
        };
        if (a == "--codec") {
            auto k = parse_codec_kind(value());
            if (!k) usage("unknown codec");
            o.codec = *k;
        } else if (a == "--size") {
            if (std::sscanf(value().c_str(), "%ux%u", &o.width, &o.height) != 2) usage("--size wants WxH");
        } else if (a == "--frames") {
            o.frames = uint32_t(std::strtoul(value().c_str(), nullptr, 10));
        } else if (a == "--dir") {
            o.dir = value();
        } else if (a == "--backends") {
            std::string list = value();
            for (size_t start = 0; start <= list.size();) {
                size_t end = list.find(',', start);
                if (end == std::string::npos) end = list.size();
                if (end > start) o.backends.push_back(list.substr(start, end - start));
                start = end + 1;
            }
        } else if (a == "--min-psnr") {
            o.min_psnr = std::strtod(value().c_str(), nullptr);
        } else if (a == "--software") {
            o.hardware = false;
        } else {
            usage(("unknown argument " + a).c_str());
        }
    }
    return o;
}

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

[[maybe_unused]] bool write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return bool(f);
}

std::vector<std::vector<uint8_t>> split_packets(const std::vector<uint8_t>& stream) {
    std::vector<std::vector<uint8_t>> packets;
    for (size_t at = 0; at + 4 <= stream.size();) {
        const uint32_t n = uint32_t(stream[at]) | uint32_t(stream[at + 1]) << 8 | uint32_t(stream[at + 2]) << 16 |
                           uint32_t(stream[at + 3]) << 24;
        at += 4;
        if (n > stream.size() - at) break;
        packets.emplace_back(stream.begin() + long(at), stream.begin() + long(at + n));
        at += n;
    }
    return packets;
}

// PSNR over B, G, R of two packed BGRA pictures (99 when identical), and the largest difference of a byte.
double psnr(const uint8_t* a, const uint8_t* b, size_t pixels, int* max_diff) {
    double sum = 0;
    int worst = 0;
    for (size_t i = 0; i < pixels * 4; ++i) {
        if (i % 4 == 3) continue;
        const int d = int(a[i]) - int(b[i]);
        sum += double(d) * d;
        worst = std::max(worst, std::abs(d));
    }
    if (max_diff) *max_diff = worst;
    if (sum == 0) return 99.0;
    return 10.0 * std::log10(255.0 * 255.0 / (sum / double(pixels * 3)));
}

#if ANARCHY_HAVE_LIBAV
// libavcodec straight, to get at the YUV planes the Decoder interface hides: each picture through Nv12ToBgra.
bool decode_through_nv12(const Options& o, const std::vector<std::vector<uint8_t>>& packets, std::vector<uint8_t>& out) {
    const AVCodec* codec = avcodec_find_decoder(o.codec == CodecKind::Hevc ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264);
    AVCodecContext* ctx = codec ? avcodec_alloc_context3(codec) : nullptr;
    AVFrame* frame = av_frame_alloc();
    AVPacket* packet = av_packet_alloc();
    bool ok = ctx && frame && packet;
    if (ok) {
        ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
        ok = avcodec_open2(ctx, codec, nullptr) >= 0;
    }
    Nv12ToBgra to_bgra(1);
    std::vector<uint8_t> nv12_uv;
    const size_t picture = size_t(o.width) * o.height * 4;
    for (size_t i = 0; ok && i < packets.size(); ++i) {
        av_packet_unref(packet);
        const size_t payload = packets[i].size() - kFramePacketHeaderBytes;
        ok = av_new_packet(packet, int(payload)) >= 0;
        if (!ok) break;
        std::memcpy(packet->data, packets[i].data() + kFramePacketHeaderBytes, payload);
        ok = avcodec_send_packet(ctx, packet) >= 0 && avcodec_receive_frame(ctx, frame) >= 0 &&
             frame->format == AV_PIX_FMT_YUV420P;
        if (!ok) break;
        const size_t cw = size_t(frame->width + 1) / 2, ch = size_t(frame->height + 1) / 2;
        nv12_uv.resize(cw * 2 * ch);
        for (size_t y = 0; y < ch; ++y)
            for (size_t x = 0; x < cw; ++x) {
                nv12_uv[y * cw * 2 + 2 * x] = frame->data[1][y * size_t(frame->linesize[1]) + x];
                nv12_uv[y * cw * 2 + 2 * x + 1] = frame->data[2][y * size_t(frame->linesize[2]) + x];
            }
        Nv12Planes planes{frame->data[0], size_t(frame->linesize[0]), nv12_uv.data(), cw * 2};
        out.resize(out.size() + picture);
        to_bgra.convert(planes, o.width, o.height, YuvMatrix::Bt601, false, out.data() + out.size() - picture,
                        size_t(o.width) * 4);
    }
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&ctx);
    return ok;
}

int encode(const Options& o) {
    EncoderSettings es;
    es.codec = o.codec;
    es.width = o.width;
    es.height = o.height;
    es.prefer_hardware = false;  // libx264 / libx265, as on a server without NVENC
    es.keyframe_interval = 0;    // what the frame streamer asks for: intra refresh, one key frame at the start
    EncoderCreation made = create_encoder(es);
    if (!made.encoder) {
        std::fprintf(stderr, "no encoder: %s\n", made.reason.c_str());
        return 1;
    }
    DecoderSettings ds;
    ds.codec = o.codec;
    ds.width = o.width;
    ds.height = o.height;
    ds.prefer_hardware = false;
    DecoderCreation decoder = create_decoder(ds);
    if (!decoder.decoder) {
        std::fprintf(stderr, "no decoder: %s\n", decoder.reason.c_str());
        return 1;
    }
    std::vector<uint8_t> stream, reference;
    std::vector<std::vector<uint8_t>> packets;
    for (uint32_t t = 0; t < o.frames; ++t) {
        const std::vector<uint8_t> scene = test::make_scene_bgra(o.width, o.height, t);
        EncodedFrame encoded;
        if (CodecStatus s = made.encoder->encode(FrameView::packed(PixelFormat::Bgra8, scene.data(), o.width, o.height),
                                                 encoded);
            !s) {
            std::fprintf(stderr, "frame %u: %s\n", t, s.message().c_str());
            return 1;
        }
        const uint32_t n = uint32_t(encoded.bytes.size());
        for (int b = 0; b < 4; ++b) stream.push_back(uint8_t(n >> (8 * b)));
        stream.insert(stream.end(), encoded.bytes.begin(), encoded.bytes.end());
        packets.push_back(encoded.bytes);
        DecodedFrame picture;
        if (CodecStatus s = decoder.decoder->decode(encoded.bytes.data(), encoded.bytes.size(), picture); !s) {
            std::fprintf(stderr, "frame %u does not decode: %s\n", t, s.message().c_str());
            return 1;
        }
        reference.insert(reference.end(), picture.bgra.begin(), picture.bgra.end());
    }
    std::vector<uint8_t> through_nv12;
    if (!decode_through_nv12(o, packets, through_nv12)) {
        std::fprintf(stderr, "libavcodec could not decode the stream to YUV 4:2:0\n");
        return 1;
    }
    if (!write_file(o.dir + "/stream.bin", stream) || !write_file(o.dir + "/reference.bgra", reference) ||
        !write_file(o.dir + "/reference_nv12.bgra", through_nv12)) {
        std::fprintf(stderr, "cannot write into %s\n", o.dir.c_str());
        return 1;
    }
    std::printf("encoded %u frames of %ux%u with %s: %zu bytes\n", o.frames, o.width, o.height,
                made.encoder->name(), stream.size());
    return 0;
}
#endif

int decode(const Options& o) {
    const std::vector<std::vector<uint8_t>> packets = split_packets(read_file(o.dir + "/stream.bin"));
    const std::vector<uint8_t> reference = read_file(o.dir + "/reference.bgra");
    const std::vector<uint8_t> through_nv12 = read_file(o.dir + "/reference_nv12.bgra");
    const size_t picture = size_t(o.width) * o.height * 4;
    if (packets.empty() || reference.size() != packets.size() * picture) {
        std::fprintf(stderr, "%s holds no stream of %ux%u pictures with its reference\n", o.dir.c_str(), o.width,
                     o.height);
        return 1;
    }
    DecoderSettings ds;
    ds.codec = o.codec;
    ds.width = o.width;
    ds.height = o.height;
    ds.prefer_hardware = o.hardware;
    ds.backends = o.backends;
    const auto opening = std::chrono::steady_clock::now();
    DecoderCreation made = create_decoder(ds);
    const double open_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - opening).count();
    if (!made.decoder) {
        std::printf("FAIL no decoder: %s\n", made.reason.c_str());
        return 1;
    }
    std::printf("decoder: %s (opened in %.1f ms); codec_built: %s\n", made.reason.c_str(), open_ms,
                codec_built(o.codec) ? "yes" : "no");
    Decoder& decoder = *made.decoder;
    std::vector<std::string> failures;
    std::vector<double> times_ms;
    double worst_psnr = 99, sum_psnr = 0;
    int worst_diff = 0;
    size_t exact = 0;
    DecodedFrame out;
    // Every packet must give its own picture at once: a decoder that held one back would show the frame before.
    for (size_t i = 0; i < packets.size(); ++i) {
        const auto start = std::chrono::steady_clock::now();
        CodecStatus s = decoder.decode(packets[i].data(), packets[i].size(), out);
        times_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        if (!s) {
            failures.push_back("frame " + std::to_string(i) + ": " + s.message());
            continue;
        }
        int diff = 0;
        const double p = psnr(out.bgra.data(), reference.data() + i * picture, picture / 4, &diff);
        worst_psnr = std::min(worst_psnr, p);
        sum_psnr += p;
        worst_diff = std::max(worst_diff, diff);
        if (through_nv12.size() == reference.size() &&
            std::memcmp(out.bgra.data(), through_nv12.data() + i * picture, picture) == 0)
            ++exact;
        if (i > 0 && i + 1 == packets.size()) {
            const double previous = psnr(out.bgra.data(), reference.data() + (i - 1) * picture, picture / 4, nullptr);
            std::printf("last picture against the frame before it (what a one-frame delay shows): %.1f dB\n", previous);
        }
    }
    std::vector<double> sorted = times_ms;
    std::sort(sorted.begin(), sorted.end());
    double sum_ms = 0;
    for (size_t i = 1; i < times_ms.size(); ++i) sum_ms += times_ms[i];
    std::printf("%zu frames %ux%u: first %.2f ms, then mean %.2f ms, p50 %.2f ms, max %.2f ms per frame\n",
                packets.size(), o.width, o.height, times_ms[0],
                times_ms.size() > 1 ? sum_ms / double(times_ms.size() - 1) : 0.0, sorted[sorted.size() / 2],
                sorted.back());
    std::printf("against libavcodec+libswscale: PSNR min %.2f dB, mean %.2f dB, largest byte difference %d\n",
                worst_psnr, sum_psnr / double(packets.size()), worst_diff);
    std::printf("identical to libavcodec + Nv12ToBgra: %zu of %zu pictures\n", exact, packets.size());
    if (worst_psnr < o.min_psnr)
        failures.push_back("PSNR " + std::to_string(worst_psnr) + " dB is below " + std::to_string(o.min_psnr));

    // Damaged packets: each must be refused with an error (never a crash), and the stream must decode again from
    // its key frame afterwards.
    auto expect_error = [&](const char* what, std::vector<uint8_t> packet) {
        const CodecStatus s = decoder.decode(packet.data(), packet.size(), out);
        std::printf("%s: %s\n", what, s ? "decoded (no error)" : (std::string(to_string(s.error())) + ": " + s.message()).c_str());
        if (s) failures.push_back(std::string(what) + " was accepted");
    };
    const size_t middle = std::min<size_t>(packets.size() - 1, 3);
    std::vector<uint8_t> cut = packets[middle];
    cut.resize(cut.size() / 2);
    expect_error("a packet cut short", cut);
    std::vector<uint8_t> garbage = packets[0];
    std::mt19937 random(7);
    for (size_t i = kFramePacketHeaderBytes; i < garbage.size(); ++i) garbage[i] = uint8_t(random());
    expect_error("a key frame of random bytes", garbage);
    expect_error("a predicted frame after the error", packets[middle]);
    {
        // Cut short with a header that agrees: only the codec can tell. It may conceal the damage (Media
        // Foundation decoders do); it must not crash.
        std::vector<uint8_t> short_payload = packets[0];
        short_payload.resize(kFramePacketHeaderBytes + (short_payload.size() - kFramePacketHeaderBytes) / 3);
        FramePacketHeader h;
        h.codec = o.codec;
        h.flags = kFramePacketKeyframe;
        h.width = o.width;
        h.height = o.height;
        h.row_count = o.height;
        h.payload_bytes = uint32_t(short_payload.size() - kFramePacketHeaderBytes);
        write_frame_packet_header(h, short_payload.data());
        const CodecStatus s = decoder.decode(short_payload.data(), short_payload.size(), out);
        std::printf("a key frame cut to a third, header adjusted: %s\n",
                    s ? "decoded (the codec concealed the damage)" : s.message().c_str());
    }
    // Recovery: the key frame and those after it decode to the same pictures as the first time.
    for (size_t i = 0; i < std::min<size_t>(packets.size(), 4); ++i) {
        const CodecStatus s = decoder.decode(packets[i].data(), packets[i].size(), out);
        const double p = s ? psnr(out.bgra.data(), reference.data() + i * picture, picture / 4, nullptr) : 0;
        if (!s || p < o.min_psnr)
            failures.push_back("after the errors, frame " + std::to_string(i) + " " +
                               (s ? "decodes to " + std::to_string(p) + " dB" : "fails: " + s.message()));
    }
    std::printf("after the damaged packets the stream decodes again from its key frame: %s\n",
                failures.empty() || failures.back().rfind("after the errors", 0) != 0 ? "yes" : "NO");
    for (const std::string& f : failures) std::printf("FAIL %s\n", f.c_str());
    if (failures.empty()) std::printf("PASS\n");
    return failures.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    log_set_default_level(LogLevel::Warn);
    const Options o = parse(argc, argv);
    if (o.command == "decode") return decode(o);
#if ANARCHY_HAVE_LIBAV
    if (o.command == "encode") return encode(o);
#endif
    usage("unknown command (encode needs the Linux build)");
}
