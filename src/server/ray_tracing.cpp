// Ray tracing pipelines (VK_KHR_ray_tracing_pipeline with VK_KHR_deferred_host_operations): a program may ask for
// pipeline compilation to be deferred and then lend its own threads to it (vkDeferredOperationJoinKHR). Its threads
// are on another machine, so the server compiles at once and answers VK_OPERATION_NOT_DEFERRED_KHR, which the
// extension allows; the program's deferred operation stays unused (its result is VK_SUCCESS, as the spec says
// for an operation nothing was deferred on).
#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {

VkResult override_vkCreateRayTracingPipelinesKHR(Session& s, VkDevice device, VkDeferredOperationKHR deferredOperation,
                                                 VkPipelineCache pipelineCache, uint32_t createInfoCount,
                                                 const VkRayTracingPipelineCreateInfoKHR* pCreateInfos,
                                                 const VkAllocationCallbacks*, VkPipeline* pPipelines) {
    VkResult r = s.vk(device).CreateRayTracingPipelinesKHR(device, VK_NULL_HANDLE, pipelineCache, createInfoCount,
                                                           pCreateInfos, nullptr, pPipelines);
    if (r == VK_SUCCESS && deferredOperation != VK_NULL_HANDLE) return VK_OPERATION_NOT_DEFERRED_KHR;
    return r;
}

}  // namespace anarchy::server
