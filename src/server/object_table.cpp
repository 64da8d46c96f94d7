#include "server/object_table.h"

#include <algorithm>
#include <unordered_set>

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

bool ObjectTable::resolve(uint64_t id, VkObjectType type, uint64_t& handle, uint64_t& owner) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end() || it->second.type != type) return false;
    handle = it->second.handle;
    owner = it->second.owner;
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

namespace {

/// Objects other objects are created from (the first parameter of their create command).
bool is_dispatchable(VkObjectType type) {
    return type == VK_OBJECT_TYPE_INSTANCE || type == VK_OBJECT_TYPE_PHYSICAL_DEVICE || type == VK_OBJECT_TYPE_DEVICE ||
           type == VK_OBJECT_TYPE_QUEUE || type == VK_OBJECT_TYPE_COMMAND_BUFFER;
}

}  // namespace

std::vector<std::pair<uint64_t, ObjectEntry>> ObjectTable::descendants(uint64_t owner) const {
    std::vector<std::pair<uint64_t, ObjectEntry>> out;
    {
        std::lock_guard<std::mutex> lock(mu_);
        // Owners are only ever dispatchable handles, so only those widen the search: a non-dispatchable handle
        // may share its value with an unrelated dispatchable one.
        std::unordered_set<uint64_t> owners{owner};
        std::unordered_set<uint64_t> taken;
        for (bool grew = true; grew;) {
            grew = false;
            for (const auto& [id, e] : by_id_) {
                if (taken.count(id) || !owners.count(e.owner)) continue;
                taken.insert(id);
                out.emplace_back(id, e);
                if (is_dispatchable(e.type) && owners.insert(e.handle).second) grew = true;
            }
        }
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.second.order > b.second.order; });
    return out;
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
