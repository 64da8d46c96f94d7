// What the generated chain encoder does with a structure the protocol does not know: drop it, say so once.
#include <mutex>
#include <set>

#include "common/log.h"
#include "vk_structs_autogen.h"

namespace anarchy::protocol::gen {

void note_unknown_stype(uint32_t stype) {
    static std::mutex mu;
    static std::set<uint32_t> seen;
    // The loader's own structures (VK_STRUCTURE_TYPE_LOADER_*) are meant for drivers, not for the wire.
    if (stype == VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO || stype == VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO) return;
    std::lock_guard<std::mutex> lock(mu);
    if (seen.insert(stype).second)
        LOG_DEBUG("wire", "a pNext chain holds structure type %u, which Anarchy does not forward; it was left out", stype);
}

}  // namespace anarchy::protocol::gen
