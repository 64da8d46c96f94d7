// NVENC (h264_nvenc, hevc_nvenc, av1_nvenc): the encoder block of NVIDIA GPUs, the normal choice on the GPU host.
// Low latency here means: the ultra-low-latency tune, no B-frames, no lookahead, no reordering delay
// (zerolatency), delay 0 so libavcodec hands out each packet as soon as its frame is done instead of keeping
// surfaces in flight, CBR with a one-frame VBV, and forced key frames as IDR so a client can join on request.
// av1_nvenc needs FFmpeg 6.0 or later built with nv-codec-headers 12, and an Ada (RTX 40) GPU; Debian 12's
// libavcodec 59 has no av1_nvenc, and the factory says so.
#include "video/av_encoder_backend.h"

namespace anarchy::video {
namespace {

void configure_nvenc(const AvEncoderConfig& config, AVCodecContext* ctx, AVDictionary** options) {
    // p1 is fastest, p7 best; p4 is the quality end of the p1-p4 range NVIDIA recommends for low-latency
    // streaming.
    set_option(options, "preset", "p4");
    set_option(options, "tune", "ull");
    set_option(options, "zerolatency", 1);
    set_option(options, "delay", 0);
    set_option(options, "rc-lookahead", 0);
    set_option(options, "no-scenecut", 1);
    set_option(options, "forced-idr", 1);
    set_option(options, "b_ref_mode", "disabled");
    set_option(options, "multipass", "disabled");
    if (config.quality) {
        // Constant quality: VBR steered by cq, capped by maxrate/bufsize when a bitrate is given.
        set_option(options, "rc", "vbr");
        set_option(options, "cq", *config.quality);
    } else {
        set_option(options, "rc", "cbr");
    }
    if (config.intra_refresh) {
        // NVENC sweeps an intra column across gop_size frames and then keeps an infinite GOP.
        set_option(options, "intra-refresh", 1);
    }
    // Without AV_CODEC_FLAG_GLOBAL_HEADER every IDR carries its parameter sets in band, so any key frame is a
    // valid start for a client.
    (void)ctx;
}

}  // namespace

const AvEncoderBackend kH264NvencBackend = {"h264_nvenc", CodecKind::H264, true, true, false, configure_nvenc};
const AvEncoderBackend kHevcNvencBackend = {"hevc_nvenc", CodecKind::Hevc, true, true, false, configure_nvenc};
const AvEncoderBackend kAv1NvencBackend = {"av1_nvenc", CodecKind::Av1, true, true, false, configure_nvenc};

}  // namespace anarchy::video
