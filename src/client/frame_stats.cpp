#include "client/frame_stats.h"

#include <cstdlib>

#include "common/log.h"

namespace anarchy::client {

const char* FrameStats::csv_header() {
    return "swapchain,present_id,width,height,codec,bytes,keyframe,dropped,render_us,capture_us,convert_us,"
           "encode_us,send_us,transfer_us,decode_us,wait_us,present_us,total_us,bitrate_kbps,slices,first_packet_us,"
           "last_packet_us,decode_last_us";
}

void FrameStats::open_from_environment() {
    const char* path = std::getenv("ANARCHY_STATS_CSV");
    if (!path || !*path) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (file_) return;
    file_ = std::fopen(path, "a");
    if (!file_) {
        LOG_ERROR("cannot open the stats file %s", path);
        return;
    }
    std::fseek(file_, 0, SEEK_END);
    if (std::ftell(file_) == 0) std::fprintf(file_, "%s\n", csv_header());
}

void FrameStats::record(const FrameTiming& t) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!file_) return;
    std::fprintf(file_, "%llu,%llu,%u,%u,%s,%llu,%d,%d,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u\n",
                 (unsigned long long)t.swapchain, (unsigned long long)t.present_id, t.width, t.height, t.codec.c_str(),
                 (unsigned long long)t.bytes, t.keyframe ? 1 : 0, t.dropped ? 1 : 0, t.server.render_us,
                 t.server.capture_us, t.server.convert_us, t.server.encode_us, t.server.queue_us, t.transfer_us,
                 t.decode_us, t.wait_us, t.present_us, t.total_us, t.bitrate_kbps, t.slices, t.first_packet_us,
                 t.last_packet_us, t.decode_last_us);
    std::fflush(file_);
}

FrameStats::~FrameStats() {
    if (file_) std::fclose(file_);
}

}  // namespace anarchy::client
