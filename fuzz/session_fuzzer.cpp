// libFuzzer target: one server session per input, in process, with the host's Vulkan driver (lavapipe in CI).
// The input is what a client sends, as it goes on the wire: frames of {u32 length, u16 type, u16 flags, payload}
// (ANARCHY_RECORD_DIR records real sessions in this form; they are the seeds). Every byte after the framing
// reaches the session's decoder exactly as a socket would deliver it.
//
// The replay is paced like the client it was recorded from: the next frame comes once every reply the earlier
// frames asked for has gone out. Without that, a recorded session replayed at full speed destroys objects its GPU
// work still uses (the client waited for a fence first): that is Vulkan misuse reaching the driver, which only a
// worker process per session contains (issue 11, item 1), and it stopped the fuzzer on its first seed. (Waiting
// for the devices to be idle as well hangs: GPU work may wait for a host signal of a later frame.)
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "protocol/messages.h"
#include "server/session.h"
#include "transport/connection.h"
#include "transport/frame_codec.h"

namespace {

using namespace anarchy;

/// Frames larger than this are cut from the input: the session's own limit is 1 GiB, which would only make
/// the fuzzer slow, and the frame decoder has a target of its own (frame_fuzzer.cpp).
constexpr size_t kMaxFrameBytes = size_t(4) << 20;

/// A connection that delivers the input's frames and then reports the peer gone; replies are dropped.
class ReplayConnection final : public transport::Connection {
public:
    explicit ReplayConnection(std::vector<transport::Frame> frames) : frames_(std::move(frames)) {}
    bool send(transport::FrameType type, const uint8_t*, size_t, std::string* error) override { return sent(type, error); }
    bool send_parts(transport::FrameType type, const uint8_t*, size_t, const uint8_t*, size_t, std::string* error) override {
        return sent(type, error);
    }
    bool receive(transport::Frame& out, std::chrono::microseconds, std::string* error, bool* timed_out) override {
        if (timed_out) *timed_out = false;
        if (!open_ || next_ == frames_.size()) {
            open_ = false;
            if (error) *error = "end of input";
            return false;
        }
        if (next_ > 0) {
            // Deferred replies come from the session's wait pool; a wait that never ends is the session's
            // business (it ends when the input does), so this gives up after a while.
            std::unique_lock lock(mu_);
            if (!cv_.wait_for(lock, std::chrono::seconds(5), [&] { return replies_ >= replies_wanted_ || !open_; }))
                std::fprintf(stderr, "replay: %llu of %llu replies after 5 s\n", (unsigned long long)replies_,
                             (unsigned long long)replies_wanted_);
        }
        out = std::move(frames_[next_++]);
        if (out.type == transport::FrameType::Commands) replies_wanted_ += replies_asked(out.payload);
        return true;
    }
    void close() override { open_ = false; }
    bool is_open() const override { return open_; }
    std::string peer() const override { return "fuzz input"; }
    transport::ConnectionStats stats() const override { return {}; }

private:
    bool sent(transport::FrameType type, std::string* error) {
        if (!open_) {
            if (error) *error = "closed";
            return false;
        }
        if (type == transport::FrameType::Reply) {
            std::lock_guard lock(mu_);
            ++replies_;
            cv_.notify_all();
        }
        return true;
    }
    /// Commands in a batch that ask for a reply (their header's kWantsReply bit).
    static uint64_t replies_asked(const std::vector<uint8_t>& p) {
        uint64_t n = 0;
        for (size_t at = 0; p.size() - at >= 8;) {
            uint32_t id = 0, size = 0;
            std::memcpy(&id, p.data() + at, 4);
            std::memcpy(&size, p.data() + at + 4, 4);
            if (size > p.size() - at - 8) break;
            n += (id & protocol::kWantsReply) ? 1 : 0;
            at += 8 + size;
        }
        return n;
    }
    std::vector<transport::Frame> frames_;
    size_t next_ = 0;
    std::atomic<bool> open_{true};
    std::mutex mu_;  // guards replies_ (waiter threads send replies)
    std::condition_variable cv_;
    uint64_t replies_ = 0;
    uint64_t replies_wanted_ = 0;  // session thread only
};

/// Splits the input into frames with the transport's own decoder; stops at the first frame it refuses.
std::vector<transport::Frame> parse_frames(const uint8_t* data, size_t size) {
    std::vector<transport::Frame> frames;
    while (size >= transport::kFrameHeaderBytes) {
        const transport::FrameHeader h = transport::decode_frame_header(data);
        if (!transport::check_frame_header(h, kMaxFrameBytes, nullptr)) break;
        if (size - transport::kFrameHeaderBytes < h.length) break;
        transport::Frame f;
        if (!transport::decode_payload(h, data + transport::kFrameHeaderBytes, kMaxFrameBytes, f.payload, nullptr)) break;
        f.type = static_cast<transport::FrameType>(h.type);
        data += transport::kFrameHeaderBytes + h.length;
        size -= transport::kFrameHeaderBytes + h.length;
        // The handshake is the frame fuzzer's; heartbeats never reach a session.
        if (f.type == transport::FrameType::Hello || f.type == transport::FrameType::Ping) continue;
        frames.push_back(std::move(f));
    }
    return frames;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // lavapipe unless the caller chose a driver; one rasterizer thread keeps executions short.
    setenv("VK_ICD_FILENAMES", "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json", 0);
    setenv("LP_NUM_THREADS", "1", 0);
    setenv("ANARCHY_LOG", "error", 0);
    // An instance held for the whole run keeps the driver loaded: otherwise every session's vkDestroyInstance
    // unloads it and the next one loads and initialises it again.
    static VkInstance keep = VK_NULL_HANDLE;
    VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    vkCreateInstance(&ci, nullptr, &keep);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static uint64_t number = 0;
    auto conn = std::make_unique<ReplayConnection>(parse_frames(data, size));
    server::Session session(std::move(conn), ++number, server::SessionOptions{});
    session.run();
    return 0;
}
