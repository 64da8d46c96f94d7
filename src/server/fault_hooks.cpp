#include "server/fault_hooks.h"

#include <stdexcept>
#include <string>

#include "common/fault_plan.h"

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
}  // namespace

const bool kServerFaultsArmed = throw_plan().armed() || fail_plan().armed();

void server_fault_throw_check(uint32_t command_id) {
    const char* name = protocol::command_name(command_id);
    if (name && throw_plan().hit(name))
        throw std::runtime_error(std::string("fault injected by ANARCHY_FAULT_SERVER_THROW in ") + name);
}

bool server_fault_fail_check(uint32_t command_id) {
    const char* name = protocol::command_name(command_id);
    return name && fail_plan().hit(name);
}

}  // namespace anarchy::server
