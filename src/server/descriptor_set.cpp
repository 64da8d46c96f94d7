// Descriptor sets: the write tracker follows which writable resources each set references, so submitted work
// that binds a set makes those ranges candidates.
#include <vector>

#include "server/gpu_write_tracker.h"
#include "server/overrides.h"
#include "server/session.h"

namespace anarchy::server {

VkResult override_vkCreateDescriptorSetLayout(Session& s, VkDevice device, const VkDescriptorSetLayoutCreateInfo* pCreateInfo,
                                              const VkAllocationCallbacks*, VkDescriptorSetLayout* pSetLayout) {
    VkResult r = s.vk(device).CreateDescriptorSetLayout(device, pCreateInfo, nullptr, pSetLayout);
    if (r == VK_SUCCESS) s.gpu_writes().on_create_set_layout(*pSetLayout, *pCreateInfo);
    return r;
}

void override_vkDestroyDescriptorSetLayout(Session& s, VkDevice device, VkDescriptorSetLayout descriptorSetLayout,
                                           const VkAllocationCallbacks*) {
    if (descriptorSetLayout) s.gpu_writes().on_destroy_set_layout(descriptorSetLayout);
    s.vk(device).DestroyDescriptorSetLayout(device, descriptorSetLayout, nullptr);
}

VkResult override_vkAllocateDescriptorSets(Session& s, VkDevice device, const VkDescriptorSetAllocateInfo* pAllocateInfo,
                                           VkDescriptorSet* pDescriptorSets) {
    VkResult r = s.vk(device).AllocateDescriptorSets(device, pAllocateInfo, pDescriptorSets);
    if (r == VK_SUCCESS)
        s.gpu_writes().on_allocate_sets(pAllocateInfo->descriptorPool, pAllocateInfo->pSetLayouts, pDescriptorSets,
                                        pAllocateInfo->descriptorSetCount);
    return r;
}

VkResult override_vkFreeDescriptorSets(Session& s, VkDevice device, VkDescriptorPool descriptorPool,
                                       uint32_t descriptorSetCount, const VkDescriptorSet* pDescriptorSets) {
    s.gpu_writes().on_free_sets(pDescriptorSets, descriptorSetCount);
    return s.vk(device).FreeDescriptorSets(device, descriptorPool, descriptorSetCount, pDescriptorSets);
}

VkResult override_vkResetDescriptorPool(Session& s, VkDevice device, VkDescriptorPool descriptorPool,
                                        VkDescriptorPoolResetFlags flags) {
    s.gpu_writes().on_reset_descriptor_pool(descriptorPool);
    return s.vk(device).ResetDescriptorPool(device, descriptorPool, flags);
}

void override_vkDestroyDescriptorPool(Session& s, VkDevice device, VkDescriptorPool descriptorPool,
                                      const VkAllocationCallbacks*) {
    if (descriptorPool) s.gpu_writes().on_reset_descriptor_pool(descriptorPool);
    s.vk(device).DestroyDescriptorPool(device, descriptorPool, nullptr);
}

void override_vkUpdateDescriptorSets(Session& s, VkDevice device, uint32_t descriptorWriteCount,
                                     const VkWriteDescriptorSet* pDescriptorWrites, uint32_t descriptorCopyCount,
                                     const VkCopyDescriptorSet* pDescriptorCopies) {
    s.vk(device).UpdateDescriptorSets(device, descriptorWriteCount, pDescriptorWrites, descriptorCopyCount, pDescriptorCopies);
    s.gpu_writes().on_update_sets(descriptorWriteCount, pDescriptorWrites, descriptorCopyCount, pDescriptorCopies);
}

}  // namespace anarchy::server
