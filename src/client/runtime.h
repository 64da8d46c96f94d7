// One instance's connection to the server: batching, replies, the query cache and mapped-memory shadows.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <vulkan/vulkan_core.h>

#include "client/page_tracker.h"
#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"
#include "transport/connection.h"

namespace anarchy::client {

class VideoChannel;

/// Client side of a host-visible allocation: the memory the program writes and reads, write-tracked by page.
/// Both sides start from zeros (the server clears the allocation).
struct ShadowMemory {
    ShadowMemory() = default;
    ~ShadowMemory();
    ShadowMemory(const ShadowMemory&) = delete;
    ShadowMemory& operator=(const ShadowMemory&) = delete;

    std::mutex mu;                          ///< guards the snapshot's bytes, and the driver's writes of the region
    uint64_t id = 0;
    uint64_t size = 0;
    std::unique_ptr<TrackedRegion> region;  ///< program_view() is what vkMapMemory returns
    uint8_t* snapshot = nullptr;            ///< what the server holds (anonymous zero pages, touched where written)
    std::atomic<bool> ever_mapped{false};   ///< the first map asks the server for what the GPU wrote before
    VkDevice device = VK_NULL_HANDLE;
};

/// Counters for benchmarks: how often the program waited on the network.
struct RuntimeStats {
    std::atomic<uint64_t> round_trips{0};
    std::atomic<uint64_t> cached_answers{0};
    std::atomic<uint64_t> commands{0};
    std::atomic<uint64_t> frames_sent{0};
    std::atomic<uint64_t> memory_bytes_up{0};
    std::atomic<uint64_t> memory_bytes_down{0};     ///< GPU-written bytes that came down, fetched ones included
    std::atomic<uint64_t> memory_bytes_fetched{0};  ///< of those, bytes of stale pages fetched on first touch
};

class Runtime {
public:
    /// Connects and handshakes. nullptr with *error (naming the address and the reason) on failure.
    static std::unique_ptr<Runtime> connect(const std::string& address, std::string* error);
    ~Runtime();

    uint64_t new_id() { return next_id_.fetch_add(1); }
    bool lost() const { return lost_.load(); }
    /// Appends a finished async command (or a recorded command buffer) to the batch.
    bool enqueue(const uint8_t* data, size_t size);
    /// Sends the batch now.
    bool flush();
    uint32_t next_seq() { return next_seq_.fetch_add(1); }
    /// Sends bytes (which end with the command carrying seq) and waits for the reply body.
    bool call(const uint8_t* data, size_t size, uint32_t seq, std::vector<uint8_t>& reply);
    /// Cached reply bytes for a pure query, if any.
    bool cached(const std::string& key, std::vector<uint8_t>& out);
    void remember(const std::string& key, const std::vector<uint8_t>& reply);
    /// Sends the changed runs of the pages the program wrote in host-visible memory since the last call.
    bool flush_memory_writes();
    /// Creates the shadow of a host-visible allocation; nullptr (logged) if memory for it cannot be had.
    ShadowMemory* add_shadow(uint64_t id, uint64_t size, VkDevice device);
    /// Shared: another thread may free the memory while a flush or an update still uses its shadow.
    std::shared_ptr<ShadowMemory> shadow(uint64_t id);
    void remove_shadow(uint64_t id);
    /// Stops flushing the shadows of memory a device still had when destroyed: the server retires that memory with
    /// the device, so no later write may name it. They stay mapped until the instance goes, as a program may still
    /// hold the pointers.
    void retire_shadows_of(VkDevice device);
    /// Fetches a page-aligned range of stale pages of memory `id` (the tracker's handler thread calls it when the
    /// program touches one): a FetchMemory call whose reply the receiver thread applies (merged: what is written
    /// wins) before this returns. False when the memory is gone or the connection failed.
    bool fetch_memory(uint64_t id, uint64_t offset, uint64_t size);
    /// GPU-written ranges larger than this become stale here and are fetched on first touch (0: never).
    uint64_t stale_threshold() const { return stale_threshold_; }
    /// Closes the connection politely.
    void close();
    void mark_lost(const std::string& why);
    RuntimeStats& stats() { return stats_; }
    const std::string& address() const { return address_; }
    /// The session's video channel, opened on first use. nullptr with *error if it cannot be opened.
    VideoChannel* video_channel(std::string* error);

private:
    Runtime() = default;
    void receive_loop();
    /// Applies a reply's memory updates (or a part of them); `earlier_run_bytes`: the run bytes of the parts ahead of
    /// this reply, counted as fetched with its own when it answers a fetch. Returns the bytes of its runs.
    uint64_t apply_memory_updates(protocol::WireDecoder& d, uint64_t earlier_run_bytes);
    bool flush_locked(std::unique_lock<std::mutex>& lock);

    std::string address_;
    std::unique_ptr<transport::Connection> conn_;
    std::thread receiver_;
    std::atomic<uint64_t> next_id_{1};
    std::atomic<uint32_t> next_seq_{1};
    std::atomic<bool> lost_{false};
    std::atomic<bool> closed_{false};
    std::string lost_reason_;
    uint64_t session_token_ = 0;  ///< from the server's handshake; names the session to the video channel

    std::mutex video_mu_;
    std::unique_ptr<VideoChannel> video_;

    std::mutex batch_mu_;
    std::vector<uint8_t> batch_;

    std::mutex reply_mu_;
    std::condition_variable reply_cv_;
    std::unordered_map<uint32_t, std::vector<uint8_t>> replies_;

    std::mutex cache_mu_;
    std::unordered_map<std::string, std::vector<uint8_t>> cache_;

    std::mutex shadows_mu_;
    std::map<uint64_t, std::shared_ptr<ShadowMemory>> shadows_;
    std::vector<std::shared_ptr<ShadowMemory>> retired_shadows_;  ///< of destroyed devices; guarded by shadows_mu_
    /// Held while collecting and queueing the program's writes, so two threads' flushes reach the server in the
    /// order their bytes were taken.
    std::mutex memory_flush_mu_;
    RuntimeStats stats_;
    uint64_t stale_threshold_ = 0;
    /// What the regions' fetch functions reach the runtime through: the destructor clears rt (waiting for a fetch
    /// in flight, which ends once the connection is closed), so a region that outlives nothing calls a dead runtime.
    struct FetchLink {
        std::mutex mu;
        Runtime* rt = nullptr;
    };
    std::shared_ptr<FetchLink> fetch_link_ = std::make_shared<FetchLink>();
};


}  // namespace anarchy::client
