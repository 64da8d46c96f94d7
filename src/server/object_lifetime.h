// Object lifetime by the spec's parent rules: destroying a device or an instance first retires what the program
// left alive under it (OpenGL through zink leaves images, views and memory past vkDestroyDevice), so no object
// outlives its parent and the session's clean-up never touches a dead one.
#pragma once

#include <cstdint>

#include <vulkan/vulkan_core.h>

namespace anarchy::server {

class Session;

/// Stops everything the server itself runs on a device before it is dismantled: deferred waits on its objects
/// are answered, frame capture on it ends, its GPU work drains and the write tracker's fences go.
void quiesce_device(Session& s, VkDevice device);

/// Destroys what the program left alive under `parent` (a device, an instance, or with VK_OBJECT_TYPE_UNKNOWN
/// and 0 every instance of the session, at its end) before the parent itself goes. Newest first, so children go
/// before what they were made from; devices among them are quiesced first; pool children are dropped with their
/// pool; queues and physical devices are only forgotten. Each goes through the server's own destroy hook, so the
/// write tracker and the host mappings forget it as if the program had destroyed it. Logs one summary line
/// naming `occasion` when anything was left.
void retire_children(Session& s, VkObjectType parent_type, uint64_t parent, const char* occasion);

}  // namespace anarchy::server
