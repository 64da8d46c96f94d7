// Acquire semaphores signalled with the program's next submission. The client hands out swapchain images itself
// and asks the server (AcquireSignal) to signal the program's semaphore once the image is free, which it already is
// when the message comes: the signal waits for nothing. Rather than an empty vkQueueSubmit of its own (one more
// submission a frame on the program's queue besides the present's), the signal becomes the first batch of the
// program's next submission to that queue, which is the one that waits for it. Whatever else may wait for or
// export the semaphore first (a submission to another queue, sparse binding, a present, an idle wait) submits
// the deferred signals before it runs; a semaphore destroyed or a device destroyed with one deferred drops it
// (nothing can wait for it any more). Acquires with a fence are signalled at once, as before.
// ANARCHY_ACQUIRE_SIGNAL_MERGE=0 signals every acquire at once (for comparisons). Session thread only.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

namespace anarchy::server {

class AcquireSignals {
public:
    /// Merging on unless ANARCHY_ACQUIRE_SIGNAL_MERGE=0.
    AcquireSignals();
    bool merging() const { return merging_; }
    bool empty() const { return pending_.empty(); }
    /// More than this waiting (a client acquiring without ever submitting) are submitted on their own first.
    static constexpr size_t kMaxPending = 64;
    size_t size() const { return pending_.size(); }
    /// Defers the signal of `semaphore` (a binary semaphore of an acquire) meant for `queue` of `device`.
    void add(VkDevice device, VkQueue queue, VkSemaphore semaphore);
    /// The semaphores deferred for `queue`, taken out, to be signalled by a first batch of its next submission.
    std::vector<VkSemaphore> take(VkQueue queue);
    struct Pending {
        VkDevice device;
        VkQueue queue;
        VkSemaphore semaphore;
    };
    /// Everything deferred, taken out, to be submitted now (each on its queue).
    std::vector<Pending> take_all();
    /// The semaphore is being destroyed: its deferred signal (if any) is dropped.
    void forget(VkSemaphore semaphore);
    /// The device is being destroyed: its deferred signals are dropped.
    void forget_device(VkDevice device);
    /// Signals that went with a program's submission, and ones submitted on their own.
    uint64_t merged = 0;
    uint64_t separate = 0;

private:
    bool merging_;
    std::vector<Pending> pending_;  // a few at most: one per image acquired and not yet used
};

class Session;
/// Signals an acquire's semaphore and/or fence (either may be null) by an empty submission of its own, now.
void signal_acquire_now(Session& s, VkQueue queue, VkSemaphore semaphore, VkFence fence);
/// Submits every deferred signal now, each on its queue (before a command that may wait for one).
void submit_acquire_signals(Session& s);

}  // namespace anarchy::server
