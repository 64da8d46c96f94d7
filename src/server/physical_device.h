// Physical devices: what the client is told about the GPU host's devices.
#pragma once

#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"

namespace anarchy::server {

class Session;

/// True if the generated protocol forwards this device extension.
bool is_forwarded_device_extension(const char* name);
/// CustomCommand::EnumeratePhysicalDevices: registers the devices the session may see (--device) under
/// server-assigned ids and answers them.
[[nodiscard]] bool handle_enumerate_physical_devices(Session& s, protocol::WireDecoder& d, protocol::WireEncoder* reply);

}  // namespace anarchy::server
