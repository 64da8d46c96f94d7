// Which video decoders the client tries first: hardware (NVDEC, VA-API, VDPAU, a hardware Media Foundation
// transform) or software.
#pragma once

#include <cstdint>

namespace anarchy::client {

/// Where at least this many CPUs are usable, Linux clients decode video on the CPU first (see
/// prefer_hardware_decoding).
inline constexpr uint32_t kSoftwareFirstCpus = 4;

/// Whether hardware decoders go first. `env` is ANARCHY_HW_DECODE (null when unset): "0" software only, anything
/// else hardware first. Unset, on Linux, software first where `usable_cpus` >= kSoftwareFirstCpus: the picture has
/// to reach the window in host memory, and a hardware decoder's read-back and conversion cost more there than
/// slice-threaded decoding on the CPUs. Measured on the H200 host (2560x1600 H.264, client on 8 CPUs, 3000
/// frames): NVDEC 7.5 ms a frame against 2.8-3.0 ms in software, present-to-shown p50 17.6 against 12.1-12.6 ms, p99
/// 35 against 17.3-17.5 ms, and the program 0.80x against 0.86-0.87x native (NVDEC's CUDA work took GPU time from it
/// on that one-GPU host). Windows keeps hardware first: its Media Foundation decoders were not measured against
/// each other.
bool prefer_hardware_decoding(const char* env, uint32_t usable_cpus);

/// How many bands of rows the client asks software-encoded video frames to come in (StreamSettings::video_bands,
/// video/banded_codec.h). `env` is ANARCHY_VIDEO_BANDS (null when unset): 1-16, or anything else for the
/// default. Unset: one band per decoding thread (`decoder_threads`, at most 16) where video is decoded on the CPU
/// first, whole frames where a hardware decoder goes first (it decodes one stream best).
uint32_t video_bands_wanted(const char* env, bool hardware_first, uint32_t decoder_threads);

}  // namespace anarchy::client
