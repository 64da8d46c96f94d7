// Test hooks of the server, read once from its environment when it starts:
//   ANARCHY_FAULT_SERVER_THROW=vkName[:N]  handling the N-th vkName throws (the session must end alone)
//   ANARCHY_FAULT_SERVER_FAIL=vkName[:N]   the N-th vkName answers VK_ERROR_OUT_OF_DEVICE_MEMORY without
//                                          reaching the driver (asynchronous failures, decision 4)
//   ANARCHY_FAULT_SERVER_CRASH=vkName[:N]  handling the N-th vkName raises SIGSEGV, as a crashing driver would
//                                          (the session's worker dies; no other session may notice)
//   ANARCHY_FAULT_SERVER_HANG=vkName[:N]   handling the N-th vkName never returns, as a driver call stuck on the
//                                          GPU would (the worker's watchdog must end that session alone)
// Each process counts calls on its own: with a worker process per session, N counts within one session.
#pragma once

#include <cstdint>

#include "vk_schema_autogen.h"

namespace anarchy::server {

/// True when any hook names a command.
extern const bool kServerFaultsArmed;
void server_fault_throw_check(uint32_t command_id);
bool server_fault_fail_check(uint32_t command_id);

/// Throws std::runtime_error on the call ANARCHY_FAULT_SERVER_THROW plans; crashes or hangs on the calls
/// ANARCHY_FAULT_SERVER_CRASH and ANARCHY_FAULT_SERVER_HANG plan.
inline void server_fault_throw_point(uint32_t command_id) {
    if (kServerFaultsArmed) [[unlikely]]
        server_fault_throw_check(command_id);
}
/// True on the call ANARCHY_FAULT_SERVER_FAIL plans.
inline bool server_fault_fails(protocol::CommandId id) {
    if (kServerFaultsArmed) [[unlikely]]
        return server_fault_fail_check(static_cast<uint32_t>(id));
    return false;
}

}  // namespace anarchy::server
