#include "server/device_tables.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace anarchy::server {

void load_device_dispatch_table(DispatchTable& t, PFN_vkGetDeviceProcAddr gdpa, VkDevice device, uint32_t api_version,
                                const std::function<bool(const char*)>& enabled);

const void* DeviceTables::key_of(const void* dispatchable) {
    // Every dispatchable object starts with the loader's dispatch pointer (the loader-driver interface's
    // VK_LOADER_DATA): a device, its queues and its command buffers share it, so it names their device.
    return dispatchable ? *static_cast<const void* const*>(dispatchable) : nullptr;
}

void DeviceTables::add(VkDevice device, uint32_t api_version, const std::vector<std::string>& extensions) {
    auto table = std::make_unique<DispatchTable>(instance_);
    auto enabled = [&](const char* name) {
        return std::any_of(extensions.begin(), extensions.end(), [&](const std::string& e) { return e == name; });
    };
    load_device_dispatch_table(*table, vkGetDeviceProcAddr, device, api_version, enabled);
    std::lock_guard lock(mu_);
    const void* key = key_of(device);
    entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; }),
                   entries_.end());
    entries_.push_back(Entry{key, api_version, std::move(table)});
}

void DeviceTables::remove(VkDevice device) {
    std::lock_guard lock(mu_);
    const void* key = key_of(device);
    entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; }),
                   entries_.end());
}

const DeviceTables::Entry* DeviceTables::find(const void* key) const {
    for (const Entry& e : entries_)
        if (e.key == key) return &e;
    return nullptr;
}

const DispatchTable& DeviceTables::of(const void* dispatchable) const {
    std::lock_guard lock(mu_);
    if (entries_.empty()) return instance_;
    const Entry* e = find(key_of(dispatchable));
    return e ? *e->table : instance_;
}

uint32_t DeviceTables::api_version(const void* dispatchable) const {
    std::lock_guard lock(mu_);
    if (entries_.empty()) return 0;
    const Entry* e = find(key_of(dispatchable));
    return e ? e->api_version : 0;
}

size_t DeviceTables::size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
}

}  // namespace anarchy::server
