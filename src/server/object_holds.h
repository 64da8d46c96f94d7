// Objects that deferred work is using (decision 14, issue 11 item 3): a wait on the session's wait pool holds the
// fences, semaphores or query pool it waits on, and the frame streamer holds a swapchain's images. Destroying a
// held object forgets its id at once (later commands cannot name it), cancels the work holding it and parks the
// driver's destroy until the last hold is released, so nothing ever runs on a destroyed handle.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace anarchy::server {

class ObjectHolds;

/// One piece of deferred work's hold on some handles; released when the last copy of its shared_ptr goes.
class ObjectHold {
public:
    ObjectHold(ObjectHolds& owner, std::vector<uint64_t> handles) : owner_(owner), handles_(std::move(handles)) {}
    ~ObjectHold();
    ObjectHold(const ObjectHold&) = delete;
    ObjectHold& operator=(const ObjectHold&) = delete;
    /// True once the program destroyed one of the held objects: the work answers now instead of going on.
    bool cancelled() const { return cancelled_.load(); }

private:
    friend class ObjectHolds;
    ObjectHolds& owner_;
    std::vector<uint64_t> handles_;
    std::atomic<bool> cancelled_{false};
};

/// The session's holds, by host handle. Thread-safe: holds are taken on the session thread and released on
/// wait-pool or streamer threads; a parked destroy runs on the thread releasing the last hold.
class ObjectHolds {
public:
    ObjectHolds() = default;
    ObjectHolds(const ObjectHolds&) = delete;
    ObjectHolds& operator=(const ObjectHolds&) = delete;

    /// Holds the handles (0s are skipped) until the returned hold is released.
    std::shared_ptr<ObjectHold> hold(std::vector<uint64_t> handles);
    /// The same for Vulkan handles of one type.
    template <typename Handle>
    std::shared_ptr<ObjectHold> hold_handles(const std::vector<Handle>& handles) {
        std::vector<uint64_t> raw;
        raw.reserve(handles.size());
        for (Handle h : handles) raw.push_back((uint64_t)(h));
        return hold(std::move(raw));
    }
    /// Runs destroy now when nothing holds handle; otherwise cancels the holders and runs destroy when the last
    /// of them is released. Returns true when it parked the destroy.
    bool destroy_or_park(uint64_t handle, std::function<void()> destroy);
    /// Handles whose destroy waits for a hold to go (for tests and logs).
    size_t parked() const;

private:
    friend class ObjectHold;
    void release(ObjectHold& hold);
    struct Entry {
        std::vector<ObjectHold*> holders;
        std::function<void()> parked_destroy;
    };
    mutable std::mutex mu_;
    std::unordered_map<uint64_t, Entry> entries_;  ///< guarded by mu_; only handles held now
};

}  // namespace anarchy::server
