#include "client/entry_point_guard.h"

#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "client/runtime.h"
#include "common/fault_plan.h"
#include "common/log.h"

namespace anarchy::client {

namespace {
FaultPlan& client_fault_plan() {
    static FaultPlan plan("ANARCHY_FAULT_CLIENT_THROW");
    return plan;
}
}  // namespace

const bool kClientFaultArmed = client_fault_plan().armed();

void client_fault_check(const char* command) {
    if (client_fault_plan().hit(command))
        throw std::runtime_error(std::string("fault injected by ANARCHY_FAULT_CLIENT_THROW in ") + command);
}

VkResult entry_point_failed(const char* command, Runtime* rt, VkResult on_error, VkResult on_bad_alloc) noexcept {
    const char* what = "unknown exception";
    bool out_of_memory = false;
    try {
        throw;
    } catch (const std::bad_alloc& e) {
        out_of_memory = true;
        what = "out of memory (std::bad_alloc)";
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    VkResult result = out_of_memory ? on_bad_alloc : on_error;
    LOG_ERROR("%s: internal error: %s; returning VkResult %d", command, what, static_cast<int>(result));
    if (rt) {
        try {
            rt->mark_lost(std::string(command) + " failed inside the driver: " + what);
        } catch (...) {
            // Out of memory even for the reason: the message above already says it.
        }
    }
    return result;
}

}  // namespace anarchy::client
