// VK_NV_present_barrier within this process (present_barrier.h). The video channels' display threads ask
// may_show() before they show a frame and hold back the frames it refuses, taking other swapchains' frames past
// them meanwhile; the program's presents make sets complete.
#include "client/present_barrier.h"

namespace anarchy::client {

PresentBarrier& PresentBarrier::instance() {
    // Never destroyed: swapchain states may outlive static destruction (a program that exits without cleaning up).
    static PresentBarrier* barrier = new PresentBarrier;
    return *barrier;
}

void PresentBarrier::join(const SwapchainState* sc) {
    std::lock_guard<std::mutex> lock(mu_);
    members_.insert(sc);
}

void PresentBarrier::leave(const SwapchainState* sc) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!members_.erase(sc)) return;
    for (Set& set : sets_) set.erase(sc);
    collect_locked();
}

void PresentBarrier::presented(const SwapchainState* sc, uint64_t present_id) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!members_.count(sc)) return;
    for (Set& set : sets_)
        if (!set.count(sc)) {
            set[sc] = Request{present_id, false};
            return;
        }
    sets_.emplace_back();
    sets_.back()[sc] = Request{present_id, false};
}

bool PresentBarrier::full_locked(const Set& set) const {
    for (const SwapchainState* member : members_)
        if (!set.count(member)) return false;
    return true;
}

bool PresentBarrier::may_show(const SwapchainState* sc, uint64_t present_id) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!members_.count(sc)) return true;
    for (const Set& set : sets_) {
        auto it = set.find(sc);
        if (it != set.end() && it->second.present_id == present_id) return full_locked(set);
    }
    return true;
}

void PresentBarrier::handled(const SwapchainState* sc, uint64_t present_id) {
    std::lock_guard<std::mutex> lock(mu_);
    for (Set& set : sets_) {
        auto it = set.find(sc);
        if (it != set.end() && it->second.present_id == present_id) {
            it->second.handled = true;
            break;
        }
    }
    collect_locked();
}

void PresentBarrier::collect_locked() {
    while (!sets_.empty() && (sets_.front().empty() || full_locked(sets_.front()))) {
        for (const auto& [sc, request] : sets_.front())
            if (!request.handled) return;
        sets_.pop_front();
    }
}

}  // namespace anarchy::client
