// The driver's error boundary (decision 15): what the generated entry point wrappers
// (client_entry_points_autogen.cpp) call. No exception leaves a driver entry point.
#pragma once

#include <vulkan/vulkan_core.h>

namespace anarchy::client {

class Runtime;

/// True when ANARCHY_FAULT_CLIENT_THROW names a command (read once, when the driver loads).
extern const bool kClientFaultArmed;
/// Throws std::runtime_error on the call ANARCHY_FAULT_CLIENT_THROW=vkName[:N] plans.
void client_fault_check(const char* command);
/// Test hook every wrapper calls before its implementation: one load and branch when no fault is planned.
inline void fault_point(const char* command) {
    if (kClientFaultArmed) [[unlikely]]
        client_fault_check(command);
}

/// Called from an entry point's catch (...) block: logs the command and the exception, marks rt lost (the
/// state behind it is unknown) and returns on_bad_alloc for std::bad_alloc, on_error otherwise.
VkResult entry_point_failed(const char* command, Runtime* rt, VkResult on_error, VkResult on_bad_alloc) noexcept;

/// The driver's procedure table: every entry point it hands out, by name (aliases too), or nullptr.
PFN_vkVoidFunction entry_point(const char* name) noexcept;

}  // namespace anarchy::client
