// raytrace: VK_KHR_acceleration_structure and VK_KHR_ray_tracing_pipeline (Direct3D 12 ray tracing through
// vkd3d-proton lands here). A triangle in a bottom-level acceleration structure (built with per-geometry range
// arrays, ppBuildRangeInfos), one instance of it in a top-level structure (its reference a device address the
// host writes into mapped memory), a pipeline created with a deferred operation (joined when the driver defers),
// shader group handles copied into a mapped shader binding table, then vkCmdTraceRaysKHR over a 64x64 storage
// image that is read back. Checks: the centre pixel hit the triangle, a corner missed it.
#include "programs.h"
#include "raytrace_rchit.h"
#include "raytrace_rgen.h"
#include "raytrace_rmiss.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <cstring>
#include <vector>

namespace anarchy::testprog {

namespace {

constexpr uint32_t kSize = 64;

VkDeviceSize align_up(VkDeviceSize value, VkDeviceSize alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

/// A buffer whose memory has a device address (and is mapped when host-visible).
struct AddressedBuffer {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkDeviceAddress address = 0;
    void* mapped = nullptr;
};

AddressedBuffer addressed_buffer(TestContext& ctx, VkDeviceSize size, VkBufferUsageFlags usage,
                                 VkMemoryPropertyFlags required) {
    VkDevice device = ctx.device();
    AddressedBuffer b;
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = size;
    info.usage = usage | VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;
    VK_CHECK(vkCreateBuffer(device, &info, nullptr, &b.buffer));
    ctx.own(b.buffer, vkDestroyBuffer);
    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(device, b.buffer, &req);
    VkMemoryAllocateFlagsInfo flags{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO};
    flags.flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT;
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, &flags};
    alloc.allocationSize = req.size;
    alloc.memoryTypeIndex = ctx.find_memory_type(req.memoryTypeBits, required);
    VK_CHECK(vkAllocateMemory(device, &alloc, nullptr, &b.memory));
    ctx.own(b.memory, vkFreeMemory);
    VK_CHECK(vkBindBufferMemory(device, b.buffer, b.memory, 0));
    if (required & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) VK_CHECK(vkMapMemory(device, b.memory, 0, VK_WHOLE_SIZE, 0, &b.mapped));
    VkBufferDeviceAddressInfo address{VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO, nullptr, b.buffer};
    b.address = vkGetBufferDeviceAddress(device, &address);
    require(b.address != 0, "vkGetBufferDeviceAddress returned 0");
    return b;
}

struct AccelerationStructure {
    VkAccelerationStructureKHR handle = VK_NULL_HANDLE;
    VkDeviceAddress address = 0;
};

}  // namespace

Output run_raytrace(TestContext& ctx) {
    VkDevice device = ctx.device();
    auto get_build_sizes = device_proc<PFN_vkGetAccelerationStructureBuildSizesKHR>(device, "vkGetAccelerationStructureBuildSizesKHR");
    auto create_as = device_proc<PFN_vkCreateAccelerationStructureKHR>(device, "vkCreateAccelerationStructureKHR");
    auto destroy_as = device_proc<PFN_vkDestroyAccelerationStructureKHR>(device, "vkDestroyAccelerationStructureKHR");
    auto cmd_build = device_proc<PFN_vkCmdBuildAccelerationStructuresKHR>(device, "vkCmdBuildAccelerationStructuresKHR");
    auto as_address = device_proc<PFN_vkGetAccelerationStructureDeviceAddressKHR>(device, "vkGetAccelerationStructureDeviceAddressKHR");
    auto create_pipelines = device_proc<PFN_vkCreateRayTracingPipelinesKHR>(device, "vkCreateRayTracingPipelinesKHR");
    auto group_handles = device_proc<PFN_vkGetRayTracingShaderGroupHandlesKHR>(device, "vkGetRayTracingShaderGroupHandlesKHR");
    auto trace_rays = device_proc<PFN_vkCmdTraceRaysKHR>(device, "vkCmdTraceRaysKHR");
    auto create_deferred = device_proc<PFN_vkCreateDeferredOperationKHR>(device, "vkCreateDeferredOperationKHR");
    auto destroy_deferred = device_proc<PFN_vkDestroyDeferredOperationKHR>(device, "vkDestroyDeferredOperationKHR");
    auto join_deferred = device_proc<PFN_vkDeferredOperationJoinKHR>(device, "vkDeferredOperationJoinKHR");
    auto deferred_result = device_proc<PFN_vkGetDeferredOperationResultKHR>(device, "vkGetDeferredOperationResultKHR");

    VkPhysicalDeviceRayTracingPipelinePropertiesKHR rt_props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_PIPELINE_PROPERTIES_KHR};
    VkPhysicalDeviceAccelerationStructurePropertiesKHR as_props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ACCELERATION_STRUCTURE_PROPERTIES_KHR,
                                                                &rt_props};
    VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, &as_props};
    vkGetPhysicalDeviceProperties2(ctx.physical_device(), &props);
    require(rt_props.shaderGroupHandleSize > 0 && rt_props.shaderGroupBaseAlignment > 0, "no shader group handle size");

    constexpr VkMemoryPropertyFlags kHost = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    constexpr VkMemoryPropertyFlags kLocal = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    const VkBufferUsageFlags build_input = VK_BUFFER_USAGE_ACCELERATION_STRUCTURE_BUILD_INPUT_READ_ONLY_BIT_KHR;

    // The triangle, written by the host into mapped memory.
    const float vertices[] = {-0.8f, -0.8f, 0.0f, 0.8f, -0.8f, 0.0f, 0.0f, 0.8f, 0.0f};
    AddressedBuffer vertex = addressed_buffer(ctx, sizeof vertices, build_input, kHost);
    std::memcpy(vertex.mapped, vertices, sizeof vertices);

    // Builds one acceleration structure from one geometry; the range array goes through ppBuildRangeInfos.
    auto build = [&](VkAccelerationStructureTypeKHR type, const VkAccelerationStructureGeometryKHR& geometry,
                     uint32_t primitives) {
        VkAccelerationStructureBuildGeometryInfoKHR info{VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_GEOMETRY_INFO_KHR};
        info.type = type;
        info.flags = VK_BUILD_ACCELERATION_STRUCTURE_PREFER_FAST_TRACE_BIT_KHR;
        info.mode = VK_BUILD_ACCELERATION_STRUCTURE_MODE_BUILD_KHR;
        info.geometryCount = 1;
        info.pGeometries = &geometry;
        VkAccelerationStructureBuildSizesInfoKHR sizes{VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_SIZES_INFO_KHR};
        get_build_sizes(device, VK_ACCELERATION_STRUCTURE_BUILD_TYPE_DEVICE_KHR, &info, &primitives, &sizes);
        require(sizes.accelerationStructureSize > 0, "vkGetAccelerationStructureBuildSizesKHR: size 0");
        AddressedBuffer storage = addressed_buffer(ctx, sizes.accelerationStructureSize,
                                                   VK_BUFFER_USAGE_ACCELERATION_STRUCTURE_STORAGE_BIT_KHR, kLocal);
        const VkDeviceSize scratch_align = std::max<VkDeviceSize>(as_props.minAccelerationStructureScratchOffsetAlignment, 1);
        AddressedBuffer scratch = addressed_buffer(ctx, sizes.buildScratchSize + scratch_align,
                                                   VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, kLocal);
        VkAccelerationStructureCreateInfoKHR create{VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_CREATE_INFO_KHR};
        create.buffer = storage.buffer;
        create.size = sizes.accelerationStructureSize;
        create.type = type;
        AccelerationStructure as;
        VK_CHECK(create_as(device, &create, nullptr, &as.handle));
        ctx.own(as.handle, destroy_as);
        info.dstAccelerationStructure = as.handle;
        info.scratchData.deviceAddress = align_up(scratch.address, scratch_align);
        VkAccelerationStructureBuildRangeInfoKHR range{primitives, 0, 0, 0};
        const VkAccelerationStructureBuildRangeInfoKHR* ranges[] = {&range};
        ctx.submit_and_wait([&](VkCommandBuffer cmd) {
            cmd_build(cmd, 1, &info, ranges);
            memory_barrier(cmd, VK_PIPELINE_STAGE_2_ACCELERATION_STRUCTURE_BUILD_BIT_KHR,
                           VK_ACCESS_2_ACCELERATION_STRUCTURE_WRITE_BIT_KHR,
                           VK_PIPELINE_STAGE_2_ACCELERATION_STRUCTURE_BUILD_BIT_KHR |
                               VK_PIPELINE_STAGE_2_RAY_TRACING_SHADER_BIT_KHR,
                           VK_ACCESS_2_ACCELERATION_STRUCTURE_READ_BIT_KHR);
        });
        VkAccelerationStructureDeviceAddressInfoKHR address{VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_DEVICE_ADDRESS_INFO_KHR,
                                                            nullptr, as.handle};
        as.address = as_address(device, &address);
        require(as.address != 0, "vkGetAccelerationStructureDeviceAddressKHR returned 0");
        return as;
    };

    VkAccelerationStructureGeometryKHR triangles{VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_KHR};
    triangles.geometryType = VK_GEOMETRY_TYPE_TRIANGLES_KHR;
    triangles.flags = VK_GEOMETRY_OPAQUE_BIT_KHR;
    auto& tri = triangles.geometry.triangles;
    tri.sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_TRIANGLES_DATA_KHR;
    tri.vertexFormat = VK_FORMAT_R32G32B32_SFLOAT;
    tri.vertexData.deviceAddress = vertex.address;
    tri.vertexStride = 3 * sizeof(float);
    tri.maxVertex = 2;
    tri.indexType = VK_INDEX_TYPE_NONE_KHR;
    const AccelerationStructure blas = build(VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR, triangles, 1);

    // One instance of it, written by the host (its reference is the BLAS's device address).
    VkAccelerationStructureInstanceKHR instance{};
    instance.transform.matrix[0][0] = instance.transform.matrix[1][1] = instance.transform.matrix[2][2] = 1.0f;
    instance.mask = 0xff;
    instance.flags = VK_GEOMETRY_INSTANCE_TRIANGLE_FACING_CULL_DISABLE_BIT_KHR;
    instance.accelerationStructureReference = blas.address;
    AddressedBuffer instances = addressed_buffer(ctx, sizeof instance, build_input, kHost);
    std::memcpy(instances.mapped, &instance, sizeof instance);
    VkAccelerationStructureGeometryKHR instance_geometry{VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_KHR};
    instance_geometry.geometryType = VK_GEOMETRY_TYPE_INSTANCES_KHR;
    instance_geometry.geometry.instances.sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_INSTANCES_DATA_KHR;
    instance_geometry.geometry.instances.data.deviceAddress = instances.address;
    const AccelerationStructure tlas = build(VK_ACCELERATION_STRUCTURE_TYPE_TOP_LEVEL_KHR, instance_geometry, 1);

    // The storage image and the descriptors.
    Image image = ctx.create_image({VK_FORMAT_R8G8B8A8_UNORM, {kSize, kSize},
                                    VK_IMAGE_USAGE_STORAGE_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT});
    VkDescriptorSetLayoutBinding bindings[2] = {
        {0, VK_DESCRIPTOR_TYPE_ACCELERATION_STRUCTURE_KHR, 1, VK_SHADER_STAGE_RAYGEN_BIT_KHR, nullptr},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1, VK_SHADER_STAGE_RAYGEN_BIT_KHR, nullptr},
    };
    VkDescriptorSetLayoutCreateInfo set_layout_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    set_layout_info.bindingCount = 2;
    set_layout_info.pBindings = bindings;
    VkDescriptorSetLayout set_layout;
    VK_CHECK(vkCreateDescriptorSetLayout(device, &set_layout_info, nullptr, &set_layout));
    ctx.own(set_layout, vkDestroyDescriptorSetLayout);
    VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout_info.setLayoutCount = 1;
    layout_info.pSetLayouts = &set_layout;
    VkPipelineLayout layout;
    VK_CHECK(vkCreatePipelineLayout(device, &layout_info, nullptr, &layout));
    ctx.own(layout, vkDestroyPipelineLayout);
    VkDescriptorPoolSize pool_sizes[2] = {{VK_DESCRIPTOR_TYPE_ACCELERATION_STRUCTURE_KHR, 1},
                                          {VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1}};
    VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pool_info.maxSets = 1;
    pool_info.poolSizeCount = 2;
    pool_info.pPoolSizes = pool_sizes;
    VkDescriptorPool pool;
    VK_CHECK(vkCreateDescriptorPool(device, &pool_info, nullptr, &pool));
    ctx.own(pool, vkDestroyDescriptorPool);
    VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    alloc.descriptorPool = pool;
    alloc.descriptorSetCount = 1;
    alloc.pSetLayouts = &set_layout;
    VkDescriptorSet set;
    VK_CHECK(vkAllocateDescriptorSets(device, &alloc, &set));
    VkWriteDescriptorSetAccelerationStructureKHR as_write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET_ACCELERATION_STRUCTURE_KHR};
    as_write.accelerationStructureCount = 1;
    as_write.pAccelerationStructures = &tlas.handle;
    VkDescriptorImageInfo image_info{VK_NULL_HANDLE, image.view, VK_IMAGE_LAYOUT_GENERAL};
    VkWriteDescriptorSet writes[2] = {{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET}, {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET}};
    writes[0].pNext = &as_write;
    writes[0].dstSet = set;
    writes[0].dstBinding = 0;
    writes[0].descriptorCount = 1;
    writes[0].descriptorType = VK_DESCRIPTOR_TYPE_ACCELERATION_STRUCTURE_KHR;
    writes[1].dstSet = set;
    writes[1].dstBinding = 1;
    writes[1].descriptorCount = 1;
    writes[1].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE;
    writes[1].pImageInfo = &image_info;
    vkUpdateDescriptorSets(device, 2, writes, 0, nullptr);

    // The pipeline: raygen, miss, triangle hit group; compiled through a deferred operation.
    VkPipelineShaderStageCreateInfo stages[3] = {};
    const std::span<const uint32_t> code[3] = {raytrace_rgen, raytrace_rmiss, raytrace_rchit};
    const VkShaderStageFlagBits stage_bits[3] = {VK_SHADER_STAGE_RAYGEN_BIT_KHR, VK_SHADER_STAGE_MISS_BIT_KHR,
                                                 VK_SHADER_STAGE_CLOSEST_HIT_BIT_KHR};
    for (int i = 0; i < 3; ++i) {
        stages[i].sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
        stages[i].stage = stage_bits[i];
        stages[i].module = ctx.create_shader_module(code[i]);
        stages[i].pName = "main";
    }
    VkRayTracingShaderGroupCreateInfoKHR groups[3] = {};
    for (uint32_t i = 0; i < 3; ++i) {
        groups[i].sType = VK_STRUCTURE_TYPE_RAY_TRACING_SHADER_GROUP_CREATE_INFO_KHR;
        groups[i].type = i == 2 ? VK_RAY_TRACING_SHADER_GROUP_TYPE_TRIANGLES_HIT_GROUP_KHR
                                : VK_RAY_TRACING_SHADER_GROUP_TYPE_GENERAL_KHR;
        groups[i].generalShader = i == 2 ? VK_SHADER_UNUSED_KHR : i;
        groups[i].closestHitShader = i == 2 ? 2 : VK_SHADER_UNUSED_KHR;
        groups[i].anyHitShader = VK_SHADER_UNUSED_KHR;
        groups[i].intersectionShader = VK_SHADER_UNUSED_KHR;
    }
    VkRayTracingPipelineCreateInfoKHR pipeline_info{VK_STRUCTURE_TYPE_RAY_TRACING_PIPELINE_CREATE_INFO_KHR};
    pipeline_info.stageCount = 3;
    pipeline_info.pStages = stages;
    pipeline_info.groupCount = 3;
    pipeline_info.pGroups = groups;
    pipeline_info.maxPipelineRayRecursionDepth = 1;
    pipeline_info.layout = layout;
    VkDeferredOperationKHR deferred = VK_NULL_HANDLE;
    VK_CHECK(create_deferred(device, nullptr, &deferred));
    VkPipeline pipeline = VK_NULL_HANDLE;
    VkResult created = create_pipelines(device, deferred, VK_NULL_HANDLE, 1, &pipeline_info, nullptr, &pipeline);
    if (created == VK_OPERATION_DEFERRED_KHR) {
        VkResult joined;
        while ((joined = join_deferred(device, deferred)) == VK_THREAD_IDLE_KHR) {
        }
        require(joined == VK_SUCCESS || joined == VK_THREAD_DONE_KHR, "vkDeferredOperationJoinKHR: " + result_name(joined));
        VkResult r;
        while ((r = deferred_result(device, deferred)) == VK_NOT_READY) {
        }
        created = r;
    } else if (created == VK_OPERATION_NOT_DEFERRED_KHR) {
        created = VK_SUCCESS;
    }
    require(created == VK_SUCCESS, "vkCreateRayTracingPipelinesKHR: " + result_name(created));
    destroy_deferred(device, deferred, nullptr);
    ctx.own(pipeline, vkDestroyPipeline);

    // The shader binding table: each group's handle at the base alignment, in mapped memory.
    const uint32_t handle_size = rt_props.shaderGroupHandleSize;
    const VkDeviceSize record = align_up(align_up(handle_size, rt_props.shaderGroupHandleAlignment),
                                         rt_props.shaderGroupBaseAlignment);
    std::vector<uint8_t> handles(size_t(handle_size) * 3);
    VK_CHECK(group_handles(device, pipeline, 0, 3, handles.size(), handles.data()));
    AddressedBuffer sbt = addressed_buffer(ctx, record * 3 + rt_props.shaderGroupBaseAlignment,
                                           VK_BUFFER_USAGE_SHADER_BINDING_TABLE_BIT_KHR, kHost);
    const VkDeviceAddress sbt_base = align_up(sbt.address, rt_props.shaderGroupBaseAlignment);
    auto* sbt_bytes = static_cast<uint8_t*>(sbt.mapped) + (sbt_base - sbt.address);
    for (uint32_t i = 0; i < 3; ++i) std::memcpy(sbt_bytes + record * i, handles.data() + size_t(handle_size) * i, handle_size);
    const VkStridedDeviceAddressRegionKHR raygen{sbt_base, record, record};
    const VkStridedDeviceAddressRegionKHR miss{sbt_base + record, record, record};
    const VkStridedDeviceAddressRegionKHR hit{sbt_base + 2 * record, record, record};
    const VkStridedDeviceAddressRegionKHR callable{};

    const VkDeviceSize bytes = VkDeviceSize(kSize) * kSize * 4;
    Buffer readback = ctx.create_buffer(bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT, kHost);
    ctx.submit_and_wait([&](VkCommandBuffer cmd) {
        image_barrier(cmd, image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_GENERAL,
                      VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, VK_PIPELINE_STAGE_2_RAY_TRACING_SHADER_BIT_KHR,
                      VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT);
        vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_RAY_TRACING_KHR, pipeline);
        vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_RAY_TRACING_KHR, layout, 0, 1, &set, 0, nullptr);
        trace_rays(cmd, &raygen, &miss, &hit, &callable, kSize, kSize, 1);
        image_barrier(cmd, image, VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_PIPELINE_STAGE_2_RAY_TRACING_SHADER_BIT_KHR,
                      VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT);
        copy_image_to_buffer(cmd, image, readback.buffer);
        memory_barrier(cmd, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                       VK_ACCESS_2_HOST_READ_BIT);
    });

    const auto* pixels = readback.as<const uint8_t>();
    auto pixel = [&](uint32_t x, uint32_t y) { return pixels + (size_t(y) * kSize + x) * 4; };
    // The miss shader's colour (0.1, 0.2, 0.3) as UNORM8, give or take the rounding.
    auto is_miss = [](const uint8_t* p) {
        return std::abs(p[0] - 26) <= 1 && std::abs(p[1] - 51) <= 1 && std::abs(p[2] - 77) <= 1;
    };
    auto describe = [](const uint8_t* p) {
        return std::to_string(p[0]) + "," + std::to_string(p[1]) + "," + std::to_string(p[2]) + "," + std::to_string(p[3]);
    };
    const uint8_t* corner = pixel(0, 0);
    require(is_miss(corner), "raytrace: the corner pixel did not miss the triangle: " + describe(corner));
    const uint8_t* centre = pixel(kSize / 2, kSize / 2);
    require(!is_miss(centre), "raytrace: the centre pixel missed the triangle: " + describe(centre));
    return bytes_of(pixels, bytes);
}

}  // namespace anarchy::testprog
