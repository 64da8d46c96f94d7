#include "client/stream_settings.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "client/config_file.h"
#include "client/decoder_choice.h"
#include "common/log.h"
#include "video/codec_factory.h"
#include "video/codec_kind.h"
#include "video/task_pool.h"

namespace anarchy::client {

using Clock = std::chrono::steady_clock;

namespace {

// The codec for `--codec auto`: lossless where the link carries at least this much, a video codec below.
// 2 Gbit/s is 2560x1600 BGRA at 144 Hz compressed about 30:1, which lz4-tiles reaches on desktop-like content
// (fewer changed tiles) and not on games; the controller moves a stream that does not fit to H.264 later.
constexpr double kLosslessLinkGbps = 2.0;
// What the link probe sends: long enough that the round trip is a small part of it on a fast link, short enough
// to cost a tenth of a second on a 200 Mbit/s one.
constexpr uint32_t kLinkProbeBytes = 4u << 20;

// Seconds until `bytes` asked of the server have arrived; negative if the probe failed.
double time_probe(transport::Connection& conn, uint32_t bytes) {
    protocol::WireEncoder e;
    e.u32(uint32_t(protocol::VideoMessage::LinkProbe));
    e.u32(bytes);
    const auto start = Clock::now();
    if (!conn.send(transport::FrameType::Control, e.bytes())) return -1;
    transport::Frame f;
    std::string err;
    if (!conn.receive(f, std::chrono::milliseconds(5000), &err)) {
        LOG_WARN("video: the link probe got no answer: %s", err.c_str());
        return -1;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    protocol::WireDecoder d(f.payload.data(), f.payload.size(), nullptr);
    protocol::VideoMessage kind{};
    uint64_t size = 0;
    if (f.type != transport::FrameType::Video || !protocol::decode_kind(d, kind) ||
        kind != protocol::VideoMessage::LinkProbeData || !d.u64(size) || size != bytes || d.remaining() != size) {
        LOG_WARN("video: the link probe's answer is not one");
        return -1;
    }
    return seconds;
}

// The link's rate in Gbit/s from a small probe and a large one: their difference leaves out the round trip and
// whatever each probe costs regardless of its size. 0 if a probe failed. Before the channel's threads start.
double probe_link_gbps(transport::Connection& conn) {
    constexpr uint32_t kSmall = 64u << 10;
    const double small = time_probe(conn, kSmall);
    const double large = small < 0 ? -1 : time_probe(conn, kLinkProbeBytes);
    if (large < 0) return 0;
    const double seconds = std::max(large - small, 1e-6);
    LOG_INFO("video: link probe: %u bytes in %.2f ms, %u in %.2f ms", kSmall, small * 1e3, kLinkProbeBytes,
             large * 1e3);
    return (kLinkProbeBytes - kSmall) * 8 / seconds / 1e9;
}

bool is_loopback(const std::string& address) {
    return address.rfind("127.", 0) == 0 || address.rfind("localhost:", 0) == 0 || address.rfind("[::1]", 0) == 0;
}

bool env_on(const char* name) {
    const char* v = std::getenv(name);
    return v && *v && std::strcmp(v, "0") != 0;
}

protocol::StreamSettings settings_from_environment(bool* automatic) {
    protocol::StreamSettings s;
    std::optional<std::string> codec = client_setting("ANARCHY_CODEC", "codec");
    *automatic = !codec || *codec == "auto";
    if (!*automatic) s.codec = *codec;
    if (auto kind = video::parse_codec_kind(s.codec); kind && !video::codec_built(*kind)) {
        // Windows decodes H.264 and HEVC through Media Foundation where the system has a decoder for them.
        LOG_WARN("video: this driver cannot decode %s here (no decoder for it); using lz4-tiles", s.codec.c_str());
        s.codec = "lz4-tiles";
    }
    if (const char* b = std::getenv("ANARCHY_BITRATE")) s.bitrate_kbps = uint32_t(std::strtoul(b, nullptr, 10));
    if (const char* q = std::getenv("ANARCHY_QUALITY")) s.quality = int32_t(std::strtol(q, nullptr, 10));
    if (const char* h = std::getenv("ANARCHY_HW_ENCODE")) s.prefer_hardware = std::strcmp(h, "0") != 0;
    if (const char* a = std::getenv("ANARCHY_CAPTURE_AHEAD")) {
        if (std::strcmp(a, "1") == 0 || std::strcmp(a, "2") == 0) s.captured_ahead = uint32_t(a[0] - '0');
        else LOG_WARN("ANARCHY_CAPTURE_AHEAD=%s: 1 or 2; keeping %u", a, s.captured_ahead);
    }
    s.video_bands = video_bands_wanted(std::getenv("ANARCHY_VIDEO_BANDS"),
                                       prefer_hardware_decoding(std::getenv("ANARCHY_HW_DECODE"), video::usable_cpus()),
                                       video::default_codec_threads());
    return s;
}

}  // namespace

const char* fallback_video_codec() {
    return video::codec_built(video::CodecKind::H264) ? "h264" : nullptr;
}

StreamChoice choose_stream_settings(transport::Connection& conn, const std::string& address) {
    StreamChoice choice;
    bool automatic = false;
    choice.settings = settings_from_environment(&automatic);
    protocol::StreamSettings& settings = choice.settings;
    if (automatic && is_loopback(address) && !env_on("ANARCHY_LINK_PROBE")) {
        // The same machine: no link to spare, and a frame that waits waits for a core, which a video codec
        // (more work per frame) would not give back. ANARCHY_LINK_PROBE=1 treats it as a link (tests, proxies).
        settings.codec = "lz4-tiles";
        LOG_INFO("video: codec auto: the server is on this machine; lz4-tiles");
    } else if (automatic) {
        // Lossless if the measured link carries it, else a video codec; a lossless stream that later queues on
        // the link moves to the video codec (VideoChannel::adapt_bitrate).
        const double gbps = probe_link_gbps(conn);
        const char* video = fallback_video_codec();
        double lossless_gbps = kLosslessLinkGbps;
        if (const char* t = std::getenv("ANARCHY_LOSSLESS_GBPS")) lossless_gbps = std::strtod(t, nullptr);
        settings.codec = gbps >= lossless_gbps || gbps == 0 || !video ? "lz4-tiles" : video;
        choice.may_switch_to_video = video && settings.codec == "lz4-tiles";
        std::fprintf(stderr, "anarchy: codec auto: the link carried %.2f Gbit/s; %s\n", gbps, settings.codec.c_str());
    }
    return choice;
}

}  // namespace anarchy::client
