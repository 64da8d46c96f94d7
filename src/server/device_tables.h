// Each device's own command table. Device commands are looked up with vkGetDeviceProcAddr, per device, by every
// name the registry gives them (core and extension aliases) and only for what that device may call: its API
// version and the extensions it enabled. A command with no entry stays null, and the session ends with a logged
// reason instead of calling it (Session::missing_command).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <vulkan/vulkan_core.h>

#include "server_dispatch_table_autogen.h"

namespace anarchy::server {

class DeviceTables {
public:
    /// `instance` answers for handles of no known device: its device entries are all null.
    explicit DeviceTables(const DispatchTable& instance) : instance_(instance) {}

    /// Loads the table of a device just created with `api_version` (the lower of the instance's and the
    /// physical device's) and `extensions` enabled; instance-level entries are copied from the instance table.
    void add(VkDevice device, uint32_t api_version, const std::vector<std::string>& extensions);
    /// Forgets a device's table (after vkDestroyDevice).
    void remove(VkDevice device);
    /// The table of the device a device, queue or command buffer belongs to.
    const DispatchTable& of(const void* dispatchable) const;
    /// The API version add() was given for the device of `dispatchable` (0 if unknown).
    uint32_t api_version(const void* dispatchable) const;
    size_t size() const;

private:
    struct Entry {
        const void* key = nullptr;  ///< the loader's dispatch pointer, shared by a device, its queues and command buffers
        uint32_t api_version = 0;
        std::unique_ptr<DispatchTable> table;
    };
    static const void* key_of(const void* dispatchable);
    const Entry* find(const void* key) const;

    const DispatchTable& instance_;
    mutable std::mutex mu_;
    std::vector<Entry> entries_;
};

}  // namespace anarchy::server
