// The test programs anarchy_testprog runs. Each exercises one area of the API on a fresh TestContext and
// returns its output, which must be identical between runs and between the native and the remote driver;
// each also checks what it can cheaply and throws TestFailure when a result is wrong.
#pragma once

#include "program_output.h"
#include "test_context.h"

namespace anarchy::testprog {

struct Program {
    const char* name;
    Output (*run)(TestContext& ctx);
    const char* output;  // what the output file holds, for --help
    bool exits_without_teardown = false;  // writes its output and exits with the device and instance alive
    ContextNeeds needs = {};              // what the device must have beyond the common features
};

Output run_graphics(TestContext& ctx);
Output run_renderpass(TestContext& ctx);
Output run_compute(TestContext& ctx);
Output run_transfer(TestContext& ctx);
Output run_queries(TestContext& ctx);
Output run_timeline(TestContext& ctx);
Output run_ring(TestContext& ctx);
Output run_secondary(TestContext& ctx);
Output run_multithread(TestContext& ctx);
Output run_templates(TestContext& ctx);
Output run_mapped_ring(TestContext& ctx);
Output run_readback_cached(TestContext& ctx);
Output run_noncoherent(TestContext& ctx);
Output run_storage_writes(TestContext& ctx);
Output run_threads_writing(TestContext& ctx);
Output run_map_cycles(TestContext& ctx);
Output run_free_mapped(TestContext& ctx);
Output run_stale_fetch(TestContext& ctx);
Output run_requirements(TestContext& ctx);
Output run_crash_after_map(TestContext& ctx);
Output run_soak_waits(TestContext& ctx);
Output run_leak_objects(TestContext& ctx);
Output run_crash_mid_frame(TestContext& ctx);
Output run_wait_across_destroy(TestContext& ctx);
Output run_raytrace(TestContext& ctx);
Output run_video_decode(TestContext& ctx);
Output run_pipeline_binary(TestContext& ctx);

inline constexpr Program kPrograms[] = {
    {"graphics", run_graphics, "256x256 RGBA (PAM) of the scene, 4x MSAA resolved, dynamic rendering"},
    {"renderpass", run_renderpass, "256x256 RGBA (PAM) of the scene rendered in a VkRenderPass"},
    {"compute", run_compute, "1,000,000 uint32: per-workgroup prefix sums of hashed inputs"},
    {"transfer", run_transfer, "read-back bytes of buffer/image copies, blits, fills, updates and clears"},
    {"queries", run_queries, "text: occlusion sample counts and timestamp facts"},
    {"timeline", run_timeline, "text: timeline/binary semaphore, fence and event observations"},
    {"ring", run_ring, "final accumulators and checksum of 60 frames through a persistently mapped ring"},
    {"secondary", run_secondary, "256x256 RGBA (PAM) of the scene drawn by secondary command buffers"},
    {"multithread", run_multithread, "256x256 RGBA (PAM): four quadrants recorded by four threads"},
    {"templates", run_templates, "2 x 65,613 uint32: compute results with template-updated and pushed descriptors"},
    {"mapped_ring", run_mapped_ring, "30 checksums: ~200 small writes a frame across a persistently mapped 256 MiB"},
    {"readback_cached", run_readback_cached, "bytes the GPU wrote into HOST_CACHED memory (fill, update, copies)"},
    {"noncoherent", run_noncoherent, "bytes of flushed and invalidated sub-ranges of non-coherent memory"},
    {"storage_writes", run_storage_writes, "host-visible memory written by a compute shader (plain, dynamic)"},
    {"threads_writing", run_threads_writing, "20 checksums: two threads writing one mapped buffer at once"},
    {"map_cycles", run_map_cycles, "200 checksums: map/write/unmap cycles, GPU writes seen by fresh maps"},
    {"free_mapped", run_free_mapped, "GPU copies of memory that was freed while mapped, then reused"},
    {"stale_fetch", run_stale_fetch, "bytes the host read of 8 MiB the GPU filled: a few, then all, then after writing"},
    {"requirements", run_requirements, "text: memory requirements of buffers and images made again and again"},
    {"raytrace", run_raytrace,
     "64x64 RGBA of a triangle ray traced through a BLAS and a TLAS (exits 77 without ray tracing pipelines)", false,
     ContextNeeds{.ray_tracing = true}},
    {"video_decode", run_video_decode,
     "text: H.264 decode facts, then the NV12 picture decoded from I_PCM macroblocks (128x64 or the smallest size "
     "the decoder allows; exits 77 without an H.264 decode queue)",
     false, ContextNeeds{.video_decode = true}},
    {"pipeline_binary", run_pipeline_binary,
     "text: pipeline binary facts, then 4,000 words a compute pipeline rebuilt from its binaries' keys and data "
     "wrote (exits 77 without VK_KHR_pipeline_binary)",
     false, ContextNeeds{.pipeline_binary = true}},
    // Not in the byte-for-byte comparisons: for the failure and soak tests in tests/integration.
    {"crash_after_map", run_crash_after_map, "nothing: dies by SIGSEGV after mapping and writing memory"},
    {"soak_waits", run_soak_waits, "a line: ANARCHY_SOAK_CYCLES (default 1000) submit-and-wait cycles"},
    {"leak_objects", run_leak_objects, "text: a dispatch's results; every object left to vkDestroyDevice"},
    {"leak_objects_exit", run_leak_objects, "text: as leak_objects, then exits with the device never destroyed", true},
    {"crash_mid_frame", run_crash_mid_frame, "nothing: dies by SIGKILL with GPU work in flight and a fence waited on"},
    {"wait_across_destroy", run_wait_across_destroy, "text: remote only: waits answered when their device is destroyed"},
};

}  // namespace anarchy::testprog
