#include "server/object_table.h"

#include <algorithm>

namespace anarchy::server {

bool ObjectTable::can_create(uint64_t id) const {
    if (id == 0 || (id & kServerIdBit)) return false;
    std::lock_guard<std::mutex> lock(mu_);
    return by_id_.find(id) == by_id_.end();
}

void ObjectTable::add(uint64_t id, const ObjectEntry& e) {
    std::lock_guard<std::mutex> lock(mu_);
    ObjectEntry entry = e;
    entry.order = next_order_++;
    by_id_[id] = entry;
    by_handle_[Key{e.type, e.handle}] = id;
}

bool ObjectTable::resolve(uint64_t id, VkObjectType type, uint64_t& handle) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end() || it->second.type != type) return false;
    handle = it->second.handle;
    return true;
}

uint64_t ObjectTable::find_id(VkObjectType type, uint64_t handle) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_handle_.find(Key{type, handle});
    return it == by_handle_.end() ? 0 : it->second;
}

bool ObjectTable::entry(uint64_t id, ObjectEntry& out) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return false;
    out = it->second;
    return true;
}

void ObjectTable::remove(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    auto h = by_handle_.find(Key{it->second.type, it->second.handle});
    if (h != by_handle_.end() && h->second == id) by_handle_.erase(h);
    by_id_.erase(it);
}

void ObjectTable::remove_children(VkObjectType type, uint64_t handle) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = by_id_.begin(); it != by_id_.end();) {
        if (it->second.parent_type == type && it->second.parent == handle) {
            auto h = by_handle_.find(Key{it->second.type, it->second.handle});
            if (h != by_handle_.end() && h->second == it->first) by_handle_.erase(h);
            it = by_id_.erase(it);
        } else {
            ++it;
        }
    }
}

std::vector<std::pair<uint64_t, ObjectEntry>> ObjectTable::newest_first() const {
    std::vector<std::pair<uint64_t, ObjectEntry>> all;
    {
        std::lock_guard<std::mutex> lock(mu_);
        all.assign(by_id_.begin(), by_id_.end());
    }
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.second.order > b.second.order; });
    return all;
}

std::vector<std::pair<uint64_t, ObjectEntry>> ObjectTable::of_type(VkObjectType type) const {
    std::vector<std::pair<uint64_t, ObjectEntry>> out;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& kv : by_id_)
        if (kv.second.type == type) out.push_back(kv);
    return out;
}

size_t ObjectTable::size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return by_id_.size();
}

void ObjectTable::clear() {
    std::lock_guard<std::mutex> lock(mu_);
    by_id_.clear();
    by_handle_.clear();
}

}  // namespace anarchy::server
