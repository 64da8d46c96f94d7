// A session's objects: the 64-bit ids the client chose, mapped to the host driver's handles, checked by type
// and liveness on every use.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <vulkan/vulkan_core.h>

namespace anarchy::server {

/// One live object of a session.
struct ObjectEntry {
    VkObjectType type = VK_OBJECT_TYPE_UNKNOWN;
    uint64_t handle = 0;        ///< the host driver's handle
    uint64_t owner = 0;         ///< handle of the dispatchable object it was created from (device, instance)
    VkObjectType parent_type = VK_OBJECT_TYPE_UNKNOWN;  ///< a pool whose destruction frees it, if any
    uint64_t parent = 0;
    uint64_t order = 0;         ///< creation order, for teardown in reverse
};

/// Ids with this bit are assigned by the server (physical devices); the client allocates the others.
constexpr uint64_t kServerIdBit = uint64_t(1) << 63;

/// Maps ids to entries. Guarded by one mutex: waiter threads resolve while the session thread creates.
class ObjectTable {
public:
    /// True if id is a valid client id not in use.
    bool can_create(uint64_t id) const;
    void add(uint64_t id, const ObjectEntry& e);
    /// The host handle for id if it is alive and of the type; false otherwise.
    bool resolve(uint64_t id, VkObjectType type, uint64_t& handle) const;
    /// Like resolve(), also giving the object's owner (ObjectEntry::owner).
    bool resolve(uint64_t id, VkObjectType type, uint64_t& handle, uint64_t& owner) const;
    /// Finds the id registered for a host handle of a type (0 if none).
    uint64_t find_id(VkObjectType type, uint64_t handle) const;
    void remove(uint64_t id);
    /// Copies the entry of a live id; false if none.
    bool entry(uint64_t id, ObjectEntry& out) const;
    /// Removes every object whose parent is (type, handle): what destroying or resetting a pool frees.
    void remove_children(VkObjectType type, uint64_t handle);
    /// The live objects whose parent is (type, handle) (a pool's command buffers or descriptor sets).
    std::vector<std::pair<uint64_t, ObjectEntry>> children(VkObjectType type, uint64_t handle) const;
    /// Everything created from the dispatchable object `owner`, directly or through the dispatchable objects
    /// created from it (an instance's physical devices, their devices, the devices' queues), newest first. With
    /// owner 0: the session's instances and everything under them.
    std::vector<std::pair<uint64_t, ObjectEntry>> descendants(uint64_t owner) const;
    /// The live objects of a type. Like children(), it costs what it returns, not the size of the table: programs
    /// reset pools every frame while holding tens of thousands of objects.
    std::vector<std::pair<uint64_t, ObjectEntry>> of_type(VkObjectType type) const;
    size_t size() const;
    void clear();

private:
    struct Key {
        VkObjectType type;
        uint64_t handle;
        bool operator==(const Key& o) const { return type == o.type && handle == o.handle; }
    };
    struct KeyHash {
        size_t operator()(const Key& k) const { return std::hash<uint64_t>()(k.handle * 31 + k.type); }
    };
    /// Enters id in the indexes below (mu_ held).
    void link(uint64_t id, const ObjectEntry& e);
    /// Takes id out of every index and by_id_ (mu_ held).
    void unlink(std::unordered_map<uint64_t, ObjectEntry>::iterator it);
    std::vector<std::pair<uint64_t, ObjectEntry>> entries_of(const std::unordered_set<uint64_t>* ids) const;

    mutable std::mutex mu_;
    std::unordered_map<uint64_t, ObjectEntry> by_id_;
    std::unordered_map<Key, uint64_t, KeyHash> by_handle_;
    std::unordered_map<Key, std::unordered_set<uint64_t>, KeyHash> by_parent_;  ///< (parent type, parent) -> ids
    std::unordered_map<int, std::unordered_set<uint64_t>> by_type_;
    uint64_t next_order_ = 0;
};

}  // namespace anarchy::server
