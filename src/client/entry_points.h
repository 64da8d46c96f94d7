// Hand-written client entry points (overrides.json "client" lists each with its reason).
#pragma once

#include <vulkan/vulkan_core.h>

#include "protocol/wire_encoder.h"

namespace anarchy::client {

/// The hand-written procedure table: overrides by name, or nullptr.
PFN_vkVoidFunction hand_written_proc(const char* name);
/// Encoder that writes dispatchable handles as their ids.
const protocol::HandleEncoder* object_id_encoder();

}  // namespace anarchy::client

