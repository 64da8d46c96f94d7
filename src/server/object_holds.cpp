#include "server/object_holds.h"

#include <algorithm>

namespace anarchy::server {

ObjectHold::~ObjectHold() { owner_.release(*this); }

std::shared_ptr<ObjectHold> ObjectHolds::hold(std::vector<uint64_t> handles) {
    handles.erase(std::remove(handles.begin(), handles.end(), uint64_t(0)), handles.end());
    std::sort(handles.begin(), handles.end());
    handles.erase(std::unique(handles.begin(), handles.end()), handles.end());
    auto h = std::make_shared<ObjectHold>(*this, std::move(handles));
    std::lock_guard<std::mutex> lock(mu_);
    for (uint64_t handle : h->handles_) entries_[handle].holders.push_back(h.get());
    return h;
}

bool ObjectHolds::destroy_or_park(uint64_t handle, std::function<void()> destroy) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = entries_.find(handle);
        if (it != entries_.end() && !it->second.holders.empty()) {
            for (ObjectHold* holder : it->second.holders) holder->cancelled_ = true;
            it->second.parked_destroy = std::move(destroy);
            return true;
        }
    }
    destroy();
    return false;
}

size_t ObjectHolds::parked() const {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (auto& [handle, e] : entries_) n += e.parked_destroy ? 1 : 0;
    return n;
}

void ObjectHolds::release(ObjectHold& hold) {
    std::vector<std::function<void()>> ready;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (uint64_t handle : hold.handles_) {
            auto it = entries_.find(handle);
            if (it == entries_.end()) continue;
            auto& holders = it->second.holders;
            holders.erase(std::remove(holders.begin(), holders.end(), &hold), holders.end());
            if (!holders.empty()) continue;
            if (it->second.parked_destroy) ready.push_back(std::move(it->second.parked_destroy));
            entries_.erase(it);
        }
    }
    // Outside the lock: a destroy may take the driver's own locks.
    for (auto& destroy : ready) destroy();
}

}  // namespace anarchy::server
