// NVENC (h264_nvenc, hevc_nvenc, av1_nvenc): the encoder block of NVIDIA GPUs, the normal choice on the GPU host.
// Low latency here means (Sunshine's choices): preset P1, the ultra-low-latency tune, no B-frames, no lookahead, no
// reordering delay (zerolatency), delay 0 so libavcodec hands out each packet as soon as its frame is done instead
// of keeping surfaces in flight, CBR with a one-frame VBV, and forced key frames as IDR so a client can join on
// request. With keyframe_interval 0 (what the frame streamer asks for) the GOP is infinite and an intra refresh
// wave sweeps the picture once per refresh period instead: no periodic IDR frame, whose size a one-frame VBV would
// either starve or let through as a latency spike.
// av1_nvenc needs FFmpeg 6.0 or later built with nv-codec-headers 12, and an Ada (RTX 40) GPU; Debian 12's
// libavcodec 59 has no av1_nvenc, and the factory says so.
#include "video/av_encoder_backend.h"

namespace anarchy::video {
namespace {

void configure_nvenc(const AvEncoderConfig& config, AVCodecContext* ctx, AVDictionary** options) {
    // p1 is fastest, p7 best. At 2560x1600 and 144 Hz a frame has 6.9 ms in all, so the encoder gets the fastest
    // preset; the bitrate the link carries buys back the quality.
    set_option(options, "preset", "p1");
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
        // libavcodec then sets NVENC's GOP to NVENC_INFINITE_GOPLENGTH and sweeps intra macroblocks across
        // gop_size frames (intraRefreshPeriod = gop_size, intraRefreshCnt = gop_size - 1), over and over.
        set_option(options, "intra-refresh", 1);
        // The refreshed region in one slice rather than a slice of its own per frame (where libavcodec and the
        // driver have it; otherwise the option is ignored and the debug log says so).
        set_option(options, "single-slice-intra-refresh", 1);
    }
    // Without AV_CODEC_FLAG_GLOBAL_HEADER every IDR carries its parameter sets in band, so any key frame is a
    // valid start for a client.
    (void)ctx;
}

}  // namespace

const AvEncoderBackend kH264NvencBackend = {"h264_nvenc", CodecKind::H264, true, true, false, configure_nvenc, true};
const AvEncoderBackend kHevcNvencBackend = {"hevc_nvenc", CodecKind::Hevc, true, true, false, configure_nvenc, true};
const AvEncoderBackend kAv1NvencBackend = {"av1_nvenc", CodecKind::Av1, true, true, false, configure_nvenc, true};

}  // namespace anarchy::video
