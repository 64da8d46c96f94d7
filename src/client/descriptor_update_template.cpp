// Descriptor update templates live on the client: the program's update data is laid out in its own memory by
// (offset, stride) entries, which only this process can read. Each update becomes ordinary descriptor writes
// (vkUpdateDescriptorSets / vkCmdPushDescriptorSetKHR), which the generated protocol carries.
#include <cstring>
#include <memory>
#include <vector>

#include "client/entry_points.h"
#include "client/objects.h"
#include "client/runtime.h"
#include "client_commands_autogen.h"
#include "common/log.h"

namespace anarchy::client {

namespace {

bool is_image_type(VkDescriptorType t) {
    return t == VK_DESCRIPTOR_TYPE_SAMPLER || t == VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER ||
           t == VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE || t == VK_DESCRIPTOR_TYPE_STORAGE_IMAGE ||
           t == VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT;
}
bool is_buffer_type(VkDescriptorType t) {
    return t == VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER || t == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER ||
           t == VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER_DYNAMIC || t == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC;
}
bool is_texel_type(VkDescriptorType t) {
    return t == VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER || t == VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER;
}

/// Writes decoded from one update's data; owns every array the writes point into.
struct ExpandedWrites {
    std::vector<VkWriteDescriptorSet> writes;
    std::vector<std::unique_ptr<VkDescriptorImageInfo[]>> images;
    std::vector<std::unique_ptr<VkDescriptorBufferInfo[]>> buffers;
    std::vector<std::unique_ptr<VkBufferView[]>> texels;
    std::vector<std::unique_ptr<VkWriteDescriptorSetInlineUniformBlock>> inline_blocks;
};

/// Expands `data` laid out by `t` into descriptor writes for `set` (VK_NULL_HANDLE for push descriptors).
/// Returns false, with the reason logged, for a descriptor type the template cannot express remotely.
bool expand(const DescriptorUpdateTemplate& t, VkDescriptorSet set, const void* data, ExpandedWrites& out) {
    const auto* base = static_cast<const uint8_t*>(data);
    out.writes.reserve(t.entries.size());
    for (const auto& e : t.entries) {
        VkWriteDescriptorSet w{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
        w.dstSet = set;
        w.dstBinding = e.dstBinding;
        w.dstArrayElement = e.dstArrayElement;
        w.descriptorCount = e.descriptorCount;
        w.descriptorType = e.descriptorType;
        if (e.descriptorCount == 0) continue;
        if (is_image_type(e.descriptorType)) {
            auto arr = std::make_unique<VkDescriptorImageInfo[]>(e.descriptorCount);
            for (uint32_t i = 0; i < e.descriptorCount; ++i) {
                std::memcpy(&arr[i], base + e.offset + i * e.stride, sizeof(VkDescriptorImageInfo));
                // Members the descriptor type ignores may hold anything; never send them as object ids.
                if (e.descriptorType == VK_DESCRIPTOR_TYPE_SAMPLER) arr[i].imageView = VK_NULL_HANDLE;
                if (e.descriptorType != VK_DESCRIPTOR_TYPE_SAMPLER &&
                    e.descriptorType != VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER)
                    arr[i].sampler = VK_NULL_HANDLE;
            }
            w.pImageInfo = arr.get();
            out.images.push_back(std::move(arr));
        } else if (is_buffer_type(e.descriptorType)) {
            auto arr = std::make_unique<VkDescriptorBufferInfo[]>(e.descriptorCount);
            for (uint32_t i = 0; i < e.descriptorCount; ++i)
                std::memcpy(&arr[i], base + e.offset + i * e.stride, sizeof(VkDescriptorBufferInfo));
            w.pBufferInfo = arr.get();
            out.buffers.push_back(std::move(arr));
        } else if (is_texel_type(e.descriptorType)) {
            auto arr = std::make_unique<VkBufferView[]>(e.descriptorCount);
            for (uint32_t i = 0; i < e.descriptorCount; ++i)
                std::memcpy(&arr[i], base + e.offset + i * e.stride, sizeof(VkBufferView));
            w.pTexelBufferView = arr.get();
            out.texels.push_back(std::move(arr));
        } else if (e.descriptorType == VK_DESCRIPTOR_TYPE_INLINE_UNIFORM_BLOCK) {
            // For inline uniform blocks the array element and count are a byte offset and a byte size.
            auto block = std::make_unique<VkWriteDescriptorSetInlineUniformBlock>();
            block->sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET_INLINE_UNIFORM_BLOCK;
            block->dataSize = e.descriptorCount;
            block->pData = base + e.offset;
            w.pNext = block.get();
            out.inline_blocks.push_back(std::move(block));
        } else {
            LOG_ERROR("descriptor update template: descriptor type %d is not supported remotely; update dropped",
                      int(e.descriptorType));
            return false;
        }
        out.writes.push_back(w);
    }
    return true;
}

std::shared_ptr<const DescriptorUpdateTemplate> find_template(DeviceObject* dev, VkDescriptorUpdateTemplate handle) {
    std::lock_guard<std::mutex> lock(dev->mu);
    auto it = dev->update_templates.find(reinterpret_cast<uint64_t>(handle));
    return it == dev->update_templates.end() ? nullptr : it->second;
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL CreateDescriptorUpdateTemplate(VkDevice device,
                                                              const VkDescriptorUpdateTemplateCreateInfo* pCreateInfo,
                                                              const VkAllocationCallbacks*,
                                                              VkDescriptorUpdateTemplate* pTemplate) {
    try {
        auto* dev = object_of<DeviceObject>(device);
        auto t = std::make_shared<DescriptorUpdateTemplate>();
        t->entries.assign(pCreateInfo->pDescriptorUpdateEntries,
                          pCreateInfo->pDescriptorUpdateEntries + pCreateInfo->descriptorUpdateEntryCount);
        t->type = pCreateInfo->templateType;
        t->bind_point = pCreateInfo->pipelineBindPoint;
        uint64_t id = dev->rt->new_id();
        {
            std::lock_guard<std::mutex> lock(dev->mu);
            dev->update_templates[id] = std::move(t);
        }
        *pTemplate = reinterpret_cast<VkDescriptorUpdateTemplate>(id);
        return VK_SUCCESS;
    } catch (const std::exception& ex) {
        LOG_ERROR("vkCreateDescriptorUpdateTemplate: %s", ex.what());
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
}

VKAPI_ATTR void VKAPI_CALL DestroyDescriptorUpdateTemplate(VkDevice device, VkDescriptorUpdateTemplate handle,
                                                           const VkAllocationCallbacks*) {
    if (!handle) return;
    auto* dev = object_of<DeviceObject>(device);
    std::lock_guard<std::mutex> lock(dev->mu);
    dev->update_templates.erase(reinterpret_cast<uint64_t>(handle));
}

VKAPI_ATTR void VKAPI_CALL UpdateDescriptorSetWithTemplate(VkDevice device, VkDescriptorSet descriptorSet,
                                                           VkDescriptorUpdateTemplate handle, const void* pData) {
    try {
        auto t = find_template(object_of<DeviceObject>(device), handle);
        if (!t) {
            LOG_ERROR("vkUpdateDescriptorSetWithTemplate: unknown template");
            return;
        }
        ExpandedWrites ex;
        if (!expand(*t, descriptorSet, pData, ex)) return;
        gen_cmd::vkUpdateDescriptorSets(device, uint32_t(ex.writes.size()), ex.writes.data(), 0, nullptr);
    } catch (const std::exception& ex) {
        LOG_ERROR("vkUpdateDescriptorSetWithTemplate: %s", ex.what());
    }
}

VKAPI_ATTR void VKAPI_CALL CmdPushDescriptorSetWithTemplate(VkCommandBuffer commandBuffer,
                                                               VkDescriptorUpdateTemplate handle,
                                                               VkPipelineLayout layout, uint32_t set,
                                                               const void* pData) {
    try {
        auto* cb = object_of<CommandBufferObject>(commandBuffer);
        auto t = find_template(cb->device, handle);
        if (!t) {
            LOG_ERROR("vkCmdPushDescriptorSetWithTemplate: unknown template");
            return;
        }
        ExpandedWrites ex;
        if (!expand(*t, VK_NULL_HANDLE, pData, ex)) return;
        gen_cmd::vkCmdPushDescriptorSet(commandBuffer, t->bind_point, layout, set, uint32_t(ex.writes.size()),
                                           ex.writes.data());
    } catch (const std::exception& ex) {
        LOG_ERROR("vkCmdPushDescriptorSetWithTemplate: %s", ex.what());
    }
}

// Vulkan 1.4 / VK_KHR_maintenance6: the push described by a structure; it travels as vkCmdPushDescriptorSet2,
// its pNext (a VkPipelineLayoutCreateInfo where layout is null) with it.
VKAPI_ATTR void VKAPI_CALL CmdPushDescriptorSetWithTemplate2(VkCommandBuffer commandBuffer,
                                                             const VkPushDescriptorSetWithTemplateInfo* pInfo) {
    try {
        auto* cb = object_of<CommandBufferObject>(commandBuffer);
        auto t = find_template(cb->device, pInfo->descriptorUpdateTemplate);
        if (!t) {
            LOG_ERROR("vkCmdPushDescriptorSetWithTemplate2: unknown template");
            return;
        }
        ExpandedWrites ex;
        if (!expand(*t, VK_NULL_HANDLE, pInfo->pData, ex)) return;
        VkPushDescriptorSetInfo push{VK_STRUCTURE_TYPE_PUSH_DESCRIPTOR_SET_INFO};
        push.pNext = pInfo->pNext;
        switch (t->bind_point) {
        case VK_PIPELINE_BIND_POINT_COMPUTE:
            push.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
            break;
        case VK_PIPELINE_BIND_POINT_RAY_TRACING_KHR:
            push.stageFlags = VK_SHADER_STAGE_RAYGEN_BIT_KHR | VK_SHADER_STAGE_ANY_HIT_BIT_KHR |
                              VK_SHADER_STAGE_CLOSEST_HIT_BIT_KHR | VK_SHADER_STAGE_MISS_BIT_KHR |
                              VK_SHADER_STAGE_INTERSECTION_BIT_KHR | VK_SHADER_STAGE_CALLABLE_BIT_KHR;
            break;
        default:
            push.stageFlags = VK_SHADER_STAGE_ALL_GRAPHICS;
            break;
        }
        push.layout = pInfo->layout;
        push.set = pInfo->set;
        push.descriptorWriteCount = uint32_t(ex.writes.size());
        push.pDescriptorWrites = ex.writes.data();
        gen_cmd::vkCmdPushDescriptorSet2(commandBuffer, &push);
    } catch (const std::exception& ex) {
        LOG_ERROR("vkCmdPushDescriptorSetWithTemplate2: %s", ex.what());
    }
}

}  // namespace anarchy::client
