#include "video/codec_factory.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "common/log.h"
#if ANARCHY_HAVE_LIBAV
#include "video/av_decoder.h"
#include "video/av_encoder.h"
#endif
#include "video/lz4_codec.h"
#if ANARCHY_HAVE_MEDIA_FOUNDATION
#include "video/mf_decoder.h"
#endif
#include "video/banded_codec.h"
#include "video/lz4_delta_codec.h"
#include "video/raw_codec.h"
#include "video/task_pool.h"
#include "video/tiled_codec.h"

namespace anarchy::video {
namespace {

constexpr uint32_t kMaxExtent = 16384;

std::string join(const std::vector<std::string>& parts, const char* separator) {
    std::string out;
    for (const std::string& p : parts) {
        if (!out.empty()) out += separator;
        out += p;
    }
    return out;
}

bool allowed(const std::vector<std::string>& only, const std::string& name) {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
}

std::string size_problem(uint32_t width, uint32_t height) {
    if (width == 0 || height == 0 || width > kMaxExtent || height > kMaxExtent)
        return "frame size " + std::to_string(width) + "x" + std::to_string(height) + " is outside 1..16384";
    return {};
}

// Orders candidates as the override lists them, or keeps the default order without one. Names in the override
// that are not candidates are reported.
[[maybe_unused]] std::vector<std::string> ordered(const std::vector<std::string>& defaults, const std::vector<std::string>& only,
                                 std::vector<std::string>& failures) {
    if (only.empty()) return defaults;
    std::vector<std::string> out;
    for (const std::string& name : only) {
        if (std::find(defaults.begin(), defaults.end(), name) != defaults.end())
            out.push_back(name);
        else
            failures.push_back(name + " is not a backend of this codec");
    }
    return out;
}

#if ANARCHY_HAVE_LIBAV
// Hardware encoders that are not there at all: no NVIDIA driver, or a GPU without an encoder block (H100, H200).
// Finding that out loads CUDA and costs up to a second, which every new swapchain (a resize, say) would pay again;
// failures that may pass (a session limit, memory) are not remembered.
std::mutex absent_mu;
std::map<std::string, std::string> absent_hardware;  // backend name -> the error it gave

std::string hardware_known_absent(const std::string& name) {
    std::lock_guard<std::mutex> lock(absent_mu);
    auto it = absent_hardware.find(name);
    return it == absent_hardware.end() ? std::string() : it->second;
}

void remember_if_absent(const std::string& name, const std::string& error) {
    for (const char* sign : {"Cannot load", "unsupported device", "No capable devices", "not built into"}) {
        if (error.find(sign) != std::string::npos) {
            std::lock_guard<std::mutex> lock(absent_mu);
            absent_hardware[name] = error;
            return;
        }
    }
}
#endif

EncoderCreation create_lossless_encoder(const EncoderSettings& s) {
    EncoderCreation c;
    const std::string name = to_string(s.codec);
    if (!allowed(s.backends, name)) {
        c.reason = name + ": the backend list (" + join(s.backends, ", ") + ") excludes " + name;
        return c;
    }
    switch (s.codec) {
        case CodecKind::Raw:
            c.encoder = make_raw_encoder(s.width, s.height);
            c.reason = "raw: uncompressed BGRA";
            break;
        case CodecKind::Lz4:
            c.encoder = make_lz4_encoder(s.width, s.height);
            c.reason = "lz4: LZ4 of every BGRA frame";
            break;
        case CodecKind::Lz4Tiles: {
            TiledEncoderOptions o;
            o.width = s.width;
            o.height = s.height;
            o.keyframe_interval = s.keyframe_interval.value_or(2 * std::max<uint32_t>(s.fps, 1));
            o.threads = s.threads ? s.threads : default_codec_threads();
            o.lz4_acceleration = default_lz4_acceleration(s.width, s.height);
            // ANARCHY_LZ4_SLICES=0: one packet a frame (for measuring slices against it).
            if (const char* v = std::getenv("ANARCHY_LZ4_SLICES")) o.slices = std::strcmp(v, "0") != 0;
            c.encoder = make_tiled_encoder(o);
            c.reason = "lz4-tiles: LZ4" +
                       (o.lz4_acceleration != 1 ? " (acceleration " + std::to_string(o.lz4_acceleration) + ")" : "") +
                       " of each changed " + std::to_string(o.tile_width) + "x" +
                       std::to_string(o.tile_height) + " tile (or of its XOR with the previous frame) on " +
                       std::to_string(o.threads) + (o.threads == 1 ? " thread" : " threads") + ", key frames " +
                       (o.keyframe_interval ? "every " + std::to_string(o.keyframe_interval) + " frames and on request"
                                            : std::string("on request only"));
            break;
        }
        default: {
            const uint32_t interval = s.keyframe_interval.value_or(2 * std::max<uint32_t>(s.fps, 1));
            c.encoder = make_lz4_delta_encoder(s.width, s.height, interval);
            c.reason = "lz4-delta: LZ4 of changed rows XOR the previous frame, key frames " +
                       (interval ? "every " + std::to_string(interval) + " frames and on request"
                                 : std::string("on request only"));
            break;
        }
    }
    return c;
}

#if ANARCHY_HAVE_LIBAV
EncoderCreation create_video_encoder(const EncoderSettings& s) {
    EncoderCreation c;
    const std::string codec = to_string(s.codec);
    const AvEncoderConfig config = make_av_encoder_config(s);
    std::vector<const AvEncoderBackend*> backends = av_encoder_backends(s.codec);
    std::vector<std::string> names;
    for (const AvEncoderBackend* b : backends) names.push_back(b->name);
    std::vector<std::string> failures;
    for (const std::string& name : ordered(names, s.backends, failures)) {
        const AvEncoderBackend& backend = **std::find_if(backends.begin(), backends.end(),
                                                         [&](const AvEncoderBackend* b) { return name == b->name; });
        if (backend.hardware && !s.prefer_hardware) {
            failures.push_back(name + " skipped (prefer_hardware is off)");
            continue;
        }
        AvEncoderConfig backend_config = config;
        std::string note;
        if (config.intra_refresh && !backend.intra_refresh) {
            backend_config.intra_refresh = false;
            backend_config.keyframe_interval = 2 * config.fps;
            note = "; it has no intra refresh, so key frames come every " +
                   std::to_string(backend_config.keyframe_interval) + " frames";
        }
        if (backend.needs_latency_probe) {
            if (std::string verdict = probe_av_encoder_latency(backend, backend_config); !verdict.empty()) {
                failures.push_back(name + " unsuitable (" + verdict + ")");
                continue;
            }
        }
        if (std::string absent = hardware_known_absent(name); !absent.empty()) {
            failures.push_back(name + " unavailable (" + absent + "; found at an earlier try)");
            continue;
        }
        std::string error;
        const auto opening = std::chrono::steady_clock::now();
        c.encoder = open_av_encoder(backend, backend_config, s.width, s.height, &error);
        if (!c.encoder) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - opening);
            if (backend.hardware) remember_if_absent(name, error);
            failures.push_back(name + " unavailable (" + error + "; " + std::to_string(ms.count()) + " ms)");
            continue;
        }
        std::string kind = backend.hardware ? " (hardware)" : " (software)";
        if (&backend == &kX264Backend)
            kind += std::string(", preset ") + x264_preset_for(backend_config.frame_width, backend_config.frame_height);
        c.reason = codec + ": " + (failures.empty() ? "" : join(failures, ", ") + ", ") + "using " + name + kind + note;
        return c;
    }
    c.reason = codec + ": no encoder works: " + (failures.empty() ? "no backends" : join(failures, "; "));
    return c;
}

#endif

DecoderCreation create_lossless_decoder(const DecoderSettings& s) {
    DecoderCreation c;
    const std::string name = to_string(s.codec);
    if (!allowed(s.backends, name)) {
        c.reason = name + ": the backend list (" + join(s.backends, ", ") + ") excludes " + name;
        return c;
    }
    switch (s.codec) {
        case CodecKind::Raw: c.decoder = make_raw_decoder(s.width, s.height); break;
        case CodecKind::Lz4: c.decoder = make_lz4_decoder(s.width, s.height); break;
        case CodecKind::Lz4Tiles: {
            const uint32_t threads = s.threads ? s.threads : default_codec_threads();
            c.decoder = make_tiled_decoder(s.width, s.height, threads);
            c.reason = name + ": decoding on the CPU (lossless), " + std::to_string(threads) +
                       (threads == 1 ? " thread" : " threads");
            return c;
        }
        default: c.decoder = make_lz4_delta_decoder(s.width, s.height); break;
    }
    c.reason = name + ": decoding on the CPU (lossless)";
    return c;
}

#if ANARCHY_HAVE_LIBAV
// Whether libvdpau has a driver to load. Without one, opening a VDPAU device makes libvdpau print "Failed to open
// VDPAU backend ..." on the program's stderr (it falls back to the NVIDIA name), which a user reads as an error.
bool vdpau_driver_installed() {
    std::vector<std::filesystem::path> dirs;
    if (const char* d = std::getenv("VDPAU_DRIVER_PATH")) dirs.emplace_back(d);
    for (const char* d : {"/usr/lib/x86_64-linux-gnu/vdpau", "/usr/lib/aarch64-linux-gnu/vdpau", "/usr/lib64/vdpau",
                          "/usr/lib/vdpau"})
        dirs.emplace_back(d);
    std::error_code ec;
    for (const auto& dir : dirs) {
        for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (name.rfind("libvdpau_", 0) == 0 && name.rfind("libvdpau_trace", 0) != 0) return true;
        }
    }
    return false;
}

DecoderCreation create_video_decoder(const DecoderSettings& s) {
    DecoderCreation c;
    const std::string codec = to_string(s.codec);
    // Hardware first: cuda (NVDEC) on NVIDIA, vaapi on AMD and Intel, vdpau on older drivers.
    const AVHWDeviceType hw_types[] = {AV_HWDEVICE_TYPE_CUDA, AV_HWDEVICE_TYPE_VAAPI, AV_HWDEVICE_TYPE_VDPAU};
    std::vector<std::string> names;
    for (AVHWDeviceType t : hw_types) names.push_back(av_hwdevice_get_type_name(t));
    for (const char* d : av_software_decoders(s.codec)) names.push_back(d);
    std::vector<std::string> failures;
    std::vector<std::string> not_tried;  // hardware decoders passed over with prefer_hardware off: named once
    const auto not_tried_note = [&] {
        if (not_tried.empty()) return;
        failures.insert(failures.begin(), join(not_tried, ", ") + " not tried (software first)");
        not_tried.clear();
    };
    for (const std::string& name : ordered(names, s.backends, failures)) {
        const AVHWDeviceType hw = av_hwdevice_find_type_by_name(name.c_str());
        if (hw != AV_HWDEVICE_TYPE_NONE && !s.prefer_hardware) {
            not_tried.push_back(name);
            continue;
        }
        if (hw == AV_HWDEVICE_TYPE_VDPAU && !vdpau_driver_installed()) {
            failures.push_back(name + " skipped (no VDPAU driver installed)");
            continue;
        }
        const char* decoder_name = hw != AV_HWDEVICE_TYPE_NONE ? av_hardware_capable_decoder(s.codec) : name.c_str();
        std::string error;
        c.decoder = open_av_decoder(s.codec, s.width, s.height, decoder_name, hw, s.threads, &error);
        if (!c.decoder) {
            failures.push_back(name + " unavailable (" + error + ")");
            continue;
        }
        const std::string how = hw != AV_HWDEVICE_TYPE_NONE ? "using " + std::string(decoder_name) + " on " + name + " (hardware)"
                                                            : "using " + name + " (software)";
        not_tried_note();
        c.reason = codec + ": " + (failures.empty() ? "" : join(failures, ", ") + ", ") + how;
        return c;
    }
    not_tried_note();
    c.reason = codec + ": no decoder works: " + (failures.empty() ? "no backends" : join(failures, "; "));
    return c;
}
#else
// Built without FFmpeg (the Windows client): video encoders are refused with the reason.
EncoderCreation create_video_encoder(const EncoderSettings& s) {
    EncoderCreation c;
    c.reason = std::string(to_string(s.codec)) + ": this build has no video encoders (built without FFmpeg)";
    return c;
}
#endif

#if ANARCHY_HAVE_MEDIA_FOUNDATION
// Windows: a hardware decoder MFT first when asked, then the software ones (Microsoft's H.264 decoder uses the GPU
// through DXVA by itself only when given a Direct3D device, which this path does not do).
DecoderCreation create_video_decoder(const DecoderSettings& s) {
    DecoderCreation c;
    const std::string codec = to_string(s.codec);
    std::vector<std::string> failures;
    for (const std::string& name : ordered({kMfHardwareBackend, kMfSoftwareBackend}, s.backends, failures)) {
        const bool hardware = name == kMfHardwareBackend;
        if (hardware && !s.prefer_hardware) {
            failures.push_back(name + " skipped (prefer_hardware is off)");
            continue;
        }
        std::string error;
        c.decoder = open_mf_decoder(s.codec, s.width, s.height, hardware, &error);
        if (!c.decoder) {
            failures.push_back(name + " unavailable (" + error + ")");
            continue;
        }
        c.reason = codec + ": " + (failures.empty() ? "" : join(failures, ", ") + ", ") + "using " +
                   c.decoder->name() + (hardware ? " (hardware)" : " (software)");
        return c;
    }
    c.reason = codec + ": no decoder works: " + (failures.empty() ? "no backends" : join(failures, "; "));
    return c;
}
#elif !ANARCHY_HAVE_LIBAV
DecoderCreation create_video_decoder(const DecoderSettings& s) {
    DecoderCreation c;
    c.reason = std::string(to_string(s.codec)) + ": this build has no video decoders (built without FFmpeg)";
    return c;
}
#endif

#if ANARCHY_HAVE_LIBAV
// A band's encoder: the backend the whole frame got, in software.
std::unique_ptr<Encoder> make_band_encoder(const EncoderSettings& s, std::string* reason) {
    EncoderCreation c = create_video_encoder(s);
    if (!c.encoder) *reason = c.reason;
    return std::move(c.encoder);
}

// Cuts a software video encoder's frames into bands (settings.bands, banded_codec.h); a hardware encoder, or a frame
// too low to cut, keeps whole frames. The reason says which, and why where bands were asked for and not used.
void use_bands(const EncoderSettings& settings, EncoderCreation& c) {
    if (!c.encoder || settings.bands <= 1 || c.encoder->is_hardware()) return;
    // Bands pay where the backend's own threads share a frame poorly: libx264's sliced threads. libx265 in seven
    // single-threaded bands was slower than whole frames on seven of its own threads on the NVIDIA host (2560x1600
    // encode p50 49 against 30 ms), and the AV1 encoders split frames into tiles of their own.
    if (std::strcmp(c.encoder->name(), kX264Backend.name) != 0) {
        c.reason += std::string("; whole frames (bands are for libx264)");
        return;
    }
    const std::vector<Band> layout = band_layout(settings.height, settings.bands);
    if (layout.size() < 2) {
        c.reason += "; whole frames (" + std::to_string(settings.height) + " rows are too few to cut into bands)";
        return;
    }
    EncoderSettings band = settings;
    band.backends = {c.encoder->name()};
    band.prefer_hardware = false;
    band.frame_height = settings.height;
    band.bands = 1;
    // The frame's rate is shared by row; each band's automatic rate would have its own floor.
    if (!band.bitrate_kbps && !band.quality)
        band.bitrate_kbps = automatic_bitrate_kbps(settings.codec, settings.width, settings.height, settings.fps);
    const uint32_t threads = settings.threads ? settings.threads : default_codec_threads();
    const uint32_t per_band = std::max<uint32_t>(1, threads / uint32_t(layout.size()));
    std::string why;
    std::unique_ptr<Encoder> banded =
        make_banded_encoder(band, layout, per_band, std::min<uint32_t>(threads, uint32_t(layout.size())),
                            make_band_encoder, &why);
    if (!banded) {
        c.reason += "; whole frames (bands failed: " + why + ")";
        return;
    }
    c.encoder = std::move(banded);
    c.reason += ", in " + std::to_string(layout.size()) + " bands of " + std::to_string(layout.front().rows) +
                " rows at once (" + std::to_string(per_band) + (per_band == 1 ? " thread" : " threads") + " each)";
}
#endif

// A band's decoder: software, one thread (the bands run side by side).
std::unique_ptr<Decoder> make_band_decoder(CodecKind codec, uint32_t width, uint32_t rows, std::string* reason) {
    DecoderSettings s;
    s.codec = codec;
    s.width = width;
    s.height = rows;
    s.prefer_hardware = false;
    s.threads = 1;
    DecoderCreation c = create_video_decoder(s);
    if (!c.decoder) *reason = c.reason;
    return std::move(c.decoder);
}

}  // namespace

EncoderCreation create_encoder(const EncoderSettings& settings) {
    EncoderCreation c;
    if (std::string problem = size_problem(settings.width, settings.height); !problem.empty()) {
        c.reason = std::string(to_string(settings.codec)) + ": " + problem;
    } else if (is_video_codec(settings.codec)) {
        c = create_video_encoder(settings);
#if ANARCHY_HAVE_LIBAV
        use_bands(settings, c);
#endif
    } else {
        c = create_lossless_encoder(settings);
    }
    if (c.encoder)
        LOG_INFO("video: encoder %s", c.reason.c_str());
    else
        LOG_ERROR("video: encoder %s", c.reason.c_str());
    return c;
}

DecoderCreation create_decoder(const DecoderSettings& settings) {
    DecoderCreation c;
    if (std::string problem = size_problem(settings.width, settings.height); !problem.empty()) {
        c.reason = std::string(to_string(settings.codec)) + ": " + problem;
    } else {
        c = is_video_codec(settings.codec) ? create_video_decoder(settings) : create_lossless_decoder(settings);
    }
    // A video stream may come in bands (banded_codec.h): those are decoded side by side on the decoder's threads.
    // Media Foundation's decoders stay on the thread that made them: their bands are decoded one after another.
    if (c.decoder && is_video_codec(settings.codec)) {
#if ANARCHY_HAVE_MEDIA_FOUNDATION
        const uint32_t band_threads = 1;
#else
        const uint32_t band_threads = settings.threads ? settings.threads : default_codec_threads();
#endif
        c.decoder = make_band_aware_decoder(std::move(c.decoder), band_threads, make_band_decoder);
    }
    if (c.decoder)
        LOG_INFO("video: decoder %s", c.reason.c_str());
    else
        LOG_ERROR("video: decoder %s", c.reason.c_str());
    return c;
}

DecoderCreation create_decoder(CodecKind codec, uint32_t width, uint32_t height) {
    DecoderSettings s;
    s.codec = codec;
    s.width = width;
    s.height = height;
    return create_decoder(s);
}

bool codec_built(CodecKind codec) {
#if ANARCHY_HAVE_LIBAV
    (void)codec;
    return true;
#elif ANARCHY_HAVE_MEDIA_FOUNDATION
    // Decoders come with the system: Windows N editions lack them, HEVC needs the HEVC Video Extensions, Wine has
    // no HEVC decoder. Only what opens here counts.
    if (codec == CodecKind::H264 || codec == CodecKind::Hevc) return mf_decoder_available(codec);
    return !is_video_codec(codec);
#else
    return !is_video_codec(codec);
#endif
}

}  // namespace anarchy::video
