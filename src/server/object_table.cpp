#include "server/object_table.h"

#include <algorithm>
#include <unordered_set>

namespace anarchy::server {

bool ObjectTable::can_create(uint64_t id) const {
    if (id == 0 || (id & kServerIdBit)) return false;
    std::lock_guard<std::mutex> lock(mu_);
    return by_id_.find(id) == by_id_.end();
}

void ObjectTable::link(uint64_t id, const ObjectEntry& e) {
    by_handle_[Key{e.type, e.handle}] = id;
    by_type_[int(e.type)].insert(id);
    if (e.parent_type != VK_OBJECT_TYPE_UNKNOWN) by_parent_[Key{e.parent_type, e.parent}].insert(id);
}

void ObjectTable::unlink(std::unordered_map<uint64_t, ObjectEntry>::iterator it) {
    const uint64_t id = it->first;
    const ObjectEntry& e = it->second;
    auto h = by_handle_.find(Key{e.type, e.handle});
    if (h != by_handle_.end() && h->second == id) by_handle_.erase(h);
    if (auto t = by_type_.find(int(e.type)); t != by_type_.end()) {
        t->second.erase(id);
        if (t->second.empty()) by_type_.erase(t);
    }
    if (e.parent_type != VK_OBJECT_TYPE_UNKNOWN) {
        if (auto p = by_parent_.find(Key{e.parent_type, e.parent}); p != by_parent_.end()) {
            p->second.erase(id);
            if (p->second.empty()) by_parent_.erase(p);
        }
    }
    by_id_.erase(it);
}

void ObjectTable::add(uint64_t id, const ObjectEntry& e) {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto old = by_id_.find(id); old != by_id_.end()) unlink(old);
    ObjectEntry entry = e;
    entry.order = next_order_++;
    by_id_[id] = entry;
    link(id, entry);
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
    if (it != by_id_.end()) unlink(it);
}

void ObjectTable::remove_children(VkObjectType type, uint64_t handle) {
    std::lock_guard<std::mutex> lock(mu_);
    auto p = by_parent_.find(Key{type, handle});
    if (p == by_parent_.end()) return;
    const std::vector<uint64_t> ids(p->second.begin(), p->second.end());  // unlink() edits the set
    for (uint64_t id : ids)
        if (auto it = by_id_.find(id); it != by_id_.end()) unlink(it);
}

std::vector<std::pair<uint64_t, ObjectEntry>> ObjectTable::entries_of(const std::unordered_set<uint64_t>* ids) const {
    std::vector<std::pair<uint64_t, ObjectEntry>> out;
    if (!ids) return out;
    out.reserve(ids->size());
    for (uint64_t id : *ids)
        if (auto it = by_id_.find(id); it != by_id_.end()) out.emplace_back(id, it->second);
    return out;
}

std::vector<std::pair<uint64_t, ObjectEntry>> ObjectTable::children(VkObjectType type, uint64_t handle) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto p = by_parent_.find(Key{type, handle});
    return entries_of(p == by_parent_.end() ? nullptr : &p->second);
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
    std::lock_guard<std::mutex> lock(mu_);
    auto t = by_type_.find(int(type));
    return entries_of(t == by_type_.end() ? nullptr : &t->second);
}

size_t ObjectTable::size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return by_id_.size();
}

void ObjectTable::clear() {
    std::lock_guard<std::mutex> lock(mu_);
    by_id_.clear();
    by_handle_.clear();
    by_parent_.clear();
    by_type_.clear();
}

}  // namespace anarchy::server
