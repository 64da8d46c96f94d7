#include "server/fault_hooks.h"

#include <csignal>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "common/fault_plan.h"
#include "common/log.h"

namespace anarchy::server {

namespace {
FaultPlan& throw_plan() {
    static FaultPlan plan("ANARCHY_FAULT_SERVER_THROW");
    return plan;
}
FaultPlan& fail_plan() {
    static FaultPlan plan("ANARCHY_FAULT_SERVER_FAIL");
    return plan;
}
FaultPlan& crash_plan() {
    static FaultPlan plan("ANARCHY_FAULT_SERVER_CRASH");
    return plan;
}
FaultPlan& hang_plan() {
    static FaultPlan plan("ANARCHY_FAULT_SERVER_HANG");
    return plan;
}
}  // namespace

const bool kServerFaultsArmed =
    throw_plan().armed() || fail_plan().armed() || crash_plan().armed() || hang_plan().armed();

void server_fault_throw_check(uint32_t command_id) {
    const char* name = protocol::command_name(command_id);
    if (!name) return;
    if (throw_plan().hit(name))
        throw std::runtime_error(std::string("fault injected by ANARCHY_FAULT_SERVER_THROW in ") + name);
    if (crash_plan().hit(name)) {
        LOG_WARN("fault injected by ANARCHY_FAULT_SERVER_CRASH in %s: raising SIGSEGV", name);
        // As a driver's wild write would: no handler of ours runs, the process dies of the signal.
        std::signal(SIGSEGV, SIG_DFL);
        std::raise(SIGSEGV);
    }
    if (hang_plan().hit(name)) {
        LOG_WARN("fault injected by ANARCHY_FAULT_SERVER_HANG in %s: never returning", name);
        for (;;) pause();
    }
}

bool server_fault_fail_check(uint32_t command_id) {
    const char* name = protocol::command_name(command_id);
    return name && fail_plan().hit(name);
}

}  // namespace anarchy::server
