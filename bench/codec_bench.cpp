// Frame codec benchmark: for each codec the factory can open and each size, encodes a moving synthetic scene and
// decodes it again, then prints encode and decode time per frame (p50, p99), bytes per frame and PSNR.
//
//   codec_bench [--frames N] [--codecs raw,lz4,lz4-delta,lz4-tiles,h264,hevc,av1]
//               [--sizes 1280x720,1920x1080,2560x1600] [--threads N] [--bands N] [--scene pan|discs]
//               [--software]
//
// --threads sets the encoder's and decoder's threads (lz4-tiles, and the libavcodec encoders); 0, the default, is
// the factory's default. --bands N cuts software video frames into N bands of rows, encoded side by side and
// decoded side by side (video/banded_codec.h; 1, the default, whole frames). --scene pan (the default) moves the camera, so every pixel changes every frame; discs keeps
// the camera still and moves only the two discs, so most of each frame is unchanged, like a desktop or a menu.
//
// Video codecs get I420 input, as the server's compute shader produces it; the BGRA->I420 conversion happens
// before the clock starts. Settings are the factory's defaults: 60 fps, automatic bitrate, key frame every 2 s.
// p99 of 60 frames is the slowest frame, which for video codecs is usually the first (a key frame).
// Decoding goes into a separate picture through Decoder::decode_into, as the client decodes into a window's shared
// memory: lz4-tiles writes there directly, the other decoders decode into a picture of their own and copy it, which
// is the copy the client's present made before.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/log.h"
#include "video/codec_factory.h"

namespace {

using namespace anarchy::video;
using Clock = std::chrono::steady_clock;

struct Size {
    uint32_t width;
    uint32_t height;
};

// A panning camera over a textured backdrop with two soft discs moving across it: motion everywhere, like a game
// scene, at a cost of a few memcpys per frame so generating 2560x1600 frames doesn't dominate the run.
class Scene {
public:
    Scene(uint32_t width, uint32_t height, bool pan) : width_(width), height_(height), pan_width_(width * 2), pan_(pan) {
        backdrop_.resize(size_t(pan_width_) * height * 4);
        uint32_t seed = 12345;
        for (uint32_t y = 0; y < height; ++y) {
            for (uint32_t x = 0; x < pan_width_; ++x) {
                const double u = double(x) / width, v = double(y) / height;
                // A smooth sky over textured ground: bricks and a little grain in the lower half, the mix of flat
                // and detailed areas rendered frames have.
                const bool ground = v > 0.5;
                const double bricks = ground ? 12 * std::sin(u * 40) * std::sin(v * 30 + (int(v * 15) % 2) * 1.5) : 0;
                seed = seed * 1664525u + 1013904223u;
                const double grain = ground ? double(seed >> 30) - 1.5 : 0;
                uint8_t* p = backdrop_.data() + (size_t(y) * pan_width_ + x) * 4;
                p[0] = clamp(90 + 70 * v + 30 * std::cos(u * 3) + bricks + grain);
                p[1] = clamp(80 + 60 * u + 25 * std::sin(v * 5) + bricks + grain);
                p[2] = clamp(60 + 100 * (1 - v) + 20 * std::sin(u * 2 + v) + bricks + grain);
                p[3] = 255;
            }
        }
    }

    // Fills frame (width * height * 4 bytes) with time step t.
    void render(uint32_t t, std::vector<uint8_t>& frame) const {
        frame.resize(size_t(width_) * height_ * 4);
        const uint32_t offset = pan_ ? (t * 6) % (pan_width_ - width_) : 0;
        for (uint32_t y = 0; y < height_; ++y)
            std::memcpy(frame.data() + size_t(y) * width_ * 4,
                        backdrop_.data() + (size_t(y) * pan_width_ + offset) * 4, size_t(width_) * 4);
        disc(frame, width_ * (0.3 + 0.2 * std::sin(t * 0.11)), height_ * (0.5 + 0.3 * std::cos(t * 0.07)),
             height_ * 0.12, 70);
        disc(frame, width_ * (0.7 - 0.25 * std::sin(t * 0.05)), height_ * (0.4 + 0.2 * std::sin(t * 0.13)),
             height_ * 0.08, -60);
    }

private:
    static uint8_t clamp(double v) { return uint8_t(std::clamp(v, 0.0, 255.0)); }

    void disc(std::vector<uint8_t>& frame, double cx, double cy, double r, double shade) const {
        const int x0 = std::max(0, int(cx - r)), x1 = std::min(int(width_), int(cx + r) + 1);
        const int y0 = std::max(0, int(cy - r)), y1 = std::min(int(height_), int(cy + r) + 1);
        for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x) {
                const double a = std::clamp((r - std::hypot(x - cx, y - cy)) / (r * 0.3), 0.0, 1.0);
                uint8_t* p = frame.data() + (size_t(y) * width_ + x) * 4;
                for (int c = 0; c < 3; ++c) p[c] = clamp(p[c] + shade * a);
            }
    }

    uint32_t width_, height_, pan_width_;
    bool pan_;
    std::vector<uint8_t> backdrop_;
};

// BGRA to I420, BT.601 limited range, chroma the average of each 2x2 block: what the server's compute shader does.
void to_i420(const std::vector<uint8_t>& bgra, uint32_t w, uint32_t h, std::vector<uint8_t>& y, std::vector<uint8_t>& u,
             std::vector<uint8_t>& v) {
    const uint32_t cw = chroma_extent(w), ch = chroma_extent(h);
    y.resize(size_t(w) * h);
    u.resize(size_t(cw) * ch);
    v.resize(size_t(cw) * ch);
    auto px = [&](uint32_t x, uint32_t yy) {
        return bgra.data() + (size_t(std::min(yy, h - 1)) * w + std::min(x, w - 1)) * 4;
    };
    for (uint32_t j = 0; j < h; ++j)
        for (uint32_t i = 0; i < w; ++i) {
            const uint8_t* p = px(i, j);
            y[size_t(j) * w + i] = uint8_t((66 * p[2] + 129 * p[1] + 25 * p[0] + 128 + (16 << 8)) >> 8);
        }
    for (uint32_t j = 0; j < ch; ++j)
        for (uint32_t i = 0; i < cw; ++i) {
            int r = 0, g = 0, b = 0;
            for (uint32_t d = 0; d < 4; ++d) {
                const uint8_t* p = px(2 * i + (d & 1), 2 * j + (d >> 1));
                b += p[0];
                g += p[1];
                r += p[2];
            }
            u[size_t(j) * cw + i] = uint8_t((-38 * r - 74 * g + 112 * b + 512 + (128 << 10)) >> 10);
            v[size_t(j) * cw + i] = uint8_t((112 * r - 94 * g - 18 * b + 512 + (128 << 10)) >> 10);
        }
}

double psnr_bgr(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    double sse = 0;
    for (size_t i = 0; i < a.size(); i += 4)
        for (size_t c = 0; c < 3; ++c) {
            const double d = double(a[i + c]) - b[i + c];
            sse += d * d;
        }
    if (sse == 0) return INFINITY;
    return 10 * std::log10(255.0 * 255.0 * (a.size() / 4 * 3) / sse);
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const size_t i = std::min(v.size() - 1, size_t(std::ceil(p * v.size())) - 1);
    return v[i];
}

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at <= s.size()) {
        const size_t comma = s.find(',', at);
        out.push_back(s.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
        if (comma == std::string::npos) break;
        at = comma + 1;
    }
    return out;
}

struct Row {
    std::string codec, backend, decoder, size;
    double enc_p50 = 0, enc_p99 = 0, dec_p50 = 0, dec_p99 = 0, bytes = 0, psnr = 0;
    std::string note;
};

Row run(CodecKind kind, Size size, int frames, bool prefer_hardware, uint32_t threads, uint32_t bands,
        const Scene& scene) {
    Row row;
    row.codec = to_string(kind);
    row.size = std::to_string(size.width) + "x" + std::to_string(size.height);
    EncoderSettings settings;
    settings.codec = kind;
    settings.width = size.width;
    settings.height = size.height;
    settings.prefer_hardware = prefer_hardware;
    settings.threads = threads;
    settings.bands = bands;
    EncoderCreation enc = create_encoder(settings);
    std::printf("  %s %s: %s\n", row.codec.c_str(), row.size.c_str(), enc.reason.c_str());
    if (!enc.encoder) {
        row.note = "no encoder";
        return row;
    }
    DecoderSettings dec_settings;
    dec_settings.codec = kind;
    dec_settings.width = size.width;
    dec_settings.height = size.height;
    dec_settings.prefer_hardware = prefer_hardware;
    dec_settings.threads = threads;
    DecoderCreation dec = create_decoder(dec_settings);
    std::printf("  %s %s: %s\n", row.codec.c_str(), row.size.c_str(), dec.reason.c_str());
    if (!dec.decoder) {
        row.note = "no decoder";
        return row;
    }
    row.backend = enc.encoder->name();
    row.decoder = dec.decoder->name();

    const bool i420 = enc.encoder->input_format() == PixelFormat::I420;
    const uint32_t cw = chroma_extent(size.width);
    std::vector<uint8_t> bgra, y, u, v;
    std::vector<double> enc_ms, dec_ms;
    double bytes = 0, psnr_sum = 0;
    int psnr_frames = 0;
    std::vector<EncodedFrame> packets;  // a frame's slices (lz4-tiles, banded video), or its one packet
    DecodedFrame picture;
    picture.bgra.resize(size_t(size.width) * size.height * 4);  // stands for the window's buffer
    const PictureTarget window{picture.bgra.data(), size_t(size.width) * 4};
    for (int t = 0; t < frames; ++t) {
        scene.render(uint32_t(t), bgra);
        FrameView view = FrameView::packed(PixelFormat::Bgra8, bgra.data(), size.width, size.height);
        if (i420) {
            to_i420(bgra, size.width, size.height, y, u, v);
            view = FrameView::i420(y.data(), size.width, u.data(), cw, v.data(), cw, size.width, size.height);
        }
        Clock::time_point start = Clock::now();
        packets.clear();
        if (CodecStatus s = enc.encoder->encode_slices(view, [&](EncodedFrame& p, bool) {
                packets.push_back(p);
                return true;
            });
            !s) {
            row.note = "encode failed: " + s.message();
            return row;
        }
        enc_ms.push_back(ms_since(start));
        start = Clock::now();
        for (const EncodedFrame& p : packets) {
            bytes += double(p.bytes.size());
            if (CodecStatus s = dec.decoder->decode_into(p.bytes.data(), p.bytes.size(), window, picture); !s) {
                row.note = "decode failed: " + s.message();
                return row;
            }
        }
        dec_ms.push_back(ms_since(start));
        const double p = psnr_bgr(bgra, picture.bgra);
        if (std::isfinite(p)) {
            psnr_sum += p;
            ++psnr_frames;
        }
    }
    // After the frames: a hardware decoder that handed over to software says so in its name by now.
    row.decoder = dec.decoder->name();
    row.enc_p50 = percentile(enc_ms, 0.50);
    row.enc_p99 = percentile(enc_ms, 0.99);
    row.dec_p50 = percentile(dec_ms, 0.50);
    row.dec_p99 = percentile(dec_ms, 0.99);
    row.bytes = bytes / frames;
    row.psnr = psnr_frames ? psnr_sum / psnr_frames : INFINITY;
    return row;
}

}  // namespace

int main(int argc, char** argv) {
    anarchy::log_set_default_level(anarchy::LogLevel::Warn);
    int frames = 60;
    bool prefer_hardware = true;
    uint32_t threads = 0;
    uint32_t bands = 1;
    bool pan = true;
    std::vector<std::string> codecs = {"raw", "lz4", "lz4-delta", "lz4-tiles", "h264", "hevc", "av1"};
    std::vector<Size> sizes = {{1280, 720}, {1920, 1080}, {2560, 1600}};
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--frames" && i + 1 < argc) {
            frames = std::max(1, std::atoi(argv[++i]));
        } else if (arg == "--codecs" && i + 1 < argc) {
            codecs = split(argv[++i]);
        } else if (arg == "--sizes" && i + 1 < argc) {
            sizes.clear();
            for (const std::string& s : split(argv[++i])) {
                unsigned w = 0, h = 0;
                if (std::sscanf(s.c_str(), "%ux%u", &w, &h) == 2 && w && h) sizes.push_back({w, h});
            }
        } else if (arg == "--threads" && i + 1 < argc) {
            threads = uint32_t(std::max(0, std::atoi(argv[++i])));
        } else if (arg == "--bands" && i + 1 < argc) {
            bands = uint32_t(std::clamp(std::atoi(argv[++i]), 1, 16));
        } else if (arg == "--scene" && i + 1 < argc) {
            const std::string scene = argv[++i];
            if (scene != "pan" && scene != "discs") {
                std::fprintf(stderr, "unknown scene %s (pan, discs)\n", scene.c_str());
                return 2;
            }
            pan = scene == "pan";
        } else if (arg == "--software") {
            prefer_hardware = false;
        } else {
            std::fprintf(stderr,
                         "usage: %s [--frames N] [--codecs raw,lz4,...] [--sizes WxH,...] [--threads N] "
                         "[--bands N] [--scene pan|discs] [--software]\n",
                         argv[0]);
            return 2;
        }
    }

    std::vector<Row> rows;
    for (Size size : sizes) {
        const Scene scene(size.width, size.height, pan);
        for (const std::string& name : codecs) {
            const auto kind = parse_codec_kind(name);
            if (!kind) {
                std::fprintf(stderr, "unknown codec %s\n", name.c_str());
                return 2;
            }
            rows.push_back(run(*kind, size, frames, prefer_hardware, threads, bands, scene));
        }
    }

    std::printf("\n%d frames per row, scene %s, threads %s, bands %u, 60 fps settings, automatic bitrate; times in ms per "
                "frame\n\n",
                frames, pan ? "pan" : "discs", threads ? std::to_string(threads).c_str() : "default", bands);
    std::printf("| codec | size | encoder | decoder | enc p50 | enc p99 | dec p50 | dec p99 | bytes/frame | Mbit/s @60 | PSNR dB |\n");
    std::printf("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Row& r : rows) {
        if (!r.note.empty()) {
            std::printf("| %s | %s | %s | %s | %s | | | | | | |\n", r.codec.c_str(), r.size.c_str(), r.backend.c_str(),
                        r.decoder.c_str(), r.note.c_str());
            continue;
        }
        char psnr[16];
        if (std::isfinite(r.psnr))
            std::snprintf(psnr, sizeof psnr, "%.1f", r.psnr);
        else
            std::snprintf(psnr, sizeof psnr, "lossless");
        std::printf("| %s | %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.0f | %.1f | %s |\n", r.codec.c_str(),
                    r.size.c_str(), r.backend.c_str(), r.decoder.c_str(), r.enc_p50, r.enc_p99, r.dec_p50, r.dec_p99,
                    r.bytes, r.bytes * 8 * 60 / 1e6, psnr);
    }
    return 0;
}
