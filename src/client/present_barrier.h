// VK_NV_present_barrier for the client's swapchains: the presents of the swapchains that use the barrier are shown
// in corresponding sets, one present of each, none before its set is complete. The barrier is this process's: its
// swapchains, whatever their instance or device, wait for each other; another process's do not (the extension
// also allows other processes and machines to join through a synchronisation device, which the client has not).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>

namespace anarchy::client {

struct SwapchainState;

class PresentBarrier {
public:
    /// The process's barrier.
    static PresentBarrier& instance();

    /// The swapchain was created with VkSwapchainPresentBarrierCreateInfoNV::presentBarrierEnable.
    void join(const SwapchainState* sc);
    /// The swapchain stops using the barrier (destroyed, or retired by a swapchain created in its place): its
    /// requests leave their sets, so the others no longer wait for it, and its own frames are no longer held.
    void leave(const SwapchainState* sc);
    /// vkQueuePresentKHR of a member, under our present id: the request joins the oldest set that has none of this
    /// swapchain's, or a new set.
    void presented(const SwapchainState* sc, uint64_t present_id);
    /// Whether the frame of that present may be shown now: its set holds a request of every member (true for
    /// swapchains outside the barrier and for presents it does not know).
    bool may_show(const SwapchainState* sc, uint64_t present_id);
    /// The frame of that present was shown or dropped.
    void handled(const SwapchainState* sc, uint64_t present_id);

private:
    struct Request {
        uint64_t present_id = 0;
        bool handled = false;
    };
    /// One set of corresponding requests: at most one per swapchain.
    using Set = std::map<const SwapchainState*, Request>;

    bool full_locked(const Set& set) const;
    /// Drops the oldest sets while they are complete and all their frames handled.
    void collect_locked();

    std::mutex mu_;  ///< guards everything below
    std::set<const SwapchainState*> members_;
    std::deque<Set> sets_;  ///< oldest first
};

}  // namespace anarchy::client
