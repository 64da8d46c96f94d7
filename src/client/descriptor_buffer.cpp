// VK_EXT_descriptor_buffer: descriptors are bytes the server's driver writes (vkGetDescriptorEXT, generated) and
// the program copies into host-visible buffers, which reach the GPU host with its other mapped writes. The
// capture-replay queries are the exception: the opaque data has a size only a device property gives, so the
// server reports descriptorBufferCaptureReplay absent (physical_device.cpp) and a program may not call them; one
// that does gets an error here rather than a wrong answer.
#include "client/entry_points.h"
#include "common/log.h"

namespace anarchy::client {

namespace {

VkResult capture_replay_unsupported(const char* command) {
    LOG_ERROR("%s: descriptorBufferCaptureReplay is reported absent by the Anarchy driver; the call is not forwarded",
              command);
    return VK_ERROR_OUT_OF_HOST_MEMORY;
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL GetBufferOpaqueCaptureDescriptorDataEXT(VkDevice,
                                                                       const VkBufferCaptureDescriptorDataInfoEXT*, void*) {
    return capture_replay_unsupported("vkGetBufferOpaqueCaptureDescriptorDataEXT");
}

VKAPI_ATTR VkResult VKAPI_CALL GetImageOpaqueCaptureDescriptorDataEXT(VkDevice, const VkImageCaptureDescriptorDataInfoEXT*,
                                                                      void*) {
    return capture_replay_unsupported("vkGetImageOpaqueCaptureDescriptorDataEXT");
}

VKAPI_ATTR VkResult VKAPI_CALL GetImageViewOpaqueCaptureDescriptorDataEXT(
    VkDevice, const VkImageViewCaptureDescriptorDataInfoEXT*, void*) {
    return capture_replay_unsupported("vkGetImageViewOpaqueCaptureDescriptorDataEXT");
}

VKAPI_ATTR VkResult VKAPI_CALL GetSamplerOpaqueCaptureDescriptorDataEXT(VkDevice,
                                                                        const VkSamplerCaptureDescriptorDataInfoEXT*,
                                                                        void*) {
    return capture_replay_unsupported("vkGetSamplerOpaqueCaptureDescriptorDataEXT");
}

VKAPI_ATTR VkResult VKAPI_CALL GetAccelerationStructureOpaqueCaptureDescriptorDataEXT(
    VkDevice, const VkAccelerationStructureCaptureDescriptorDataInfoEXT*, void*) {
    return capture_replay_unsupported("vkGetAccelerationStructureOpaqueCaptureDescriptorDataEXT");
}

}  // namespace anarchy::client
