// Physical-device enumeration: the server names the GPU host's devices with ids of its own (kServerIdBit).
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"

namespace anarchy::protocol {

/// CustomCommand::EnumeratePhysicalDevices (and ...Groups, same layout both ways): the instance's id.
struct EnumeratePhysicalDevicesMessage {
    uint64_t instance = 0;
    void encode(WireEncoder& e) const { e.u64(instance); }
    [[nodiscard]] bool decode(WireDecoder& d) { return d.u64(instance); }
};

/// The reply: the ids of the devices the session may use, in the host driver's order. Every device is a group
/// of its own (device groups spanning GPUs are not forwarded), so the groups reply is the same list.
struct PhysicalDeviceList {
    std::vector<uint64_t> devices;
    void encode(WireEncoder& e) const {
        e.u32(static_cast<uint32_t>(devices.size()));
        for (uint64_t x : devices) e.u64(x);
    }
    [[nodiscard]] bool decode(WireDecoder& d) {
        uint32_t n = 0;
        if (!d.count(n, 8)) return false;
        devices.resize(n);
        for (auto& x : devices)
            if (!d.u64(x)) return false;
        return true;
    }
};

}  // namespace anarchy::protocol
