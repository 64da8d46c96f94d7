// The object table's view of the spec's parent rules: what a device or an instance was the parent of.
#include <gtest/gtest.h>

#include <algorithm>

#include "server/object_table.h"

namespace anarchy::server {
namespace {

ObjectEntry entry(VkObjectType type, uint64_t handle, uint64_t owner, VkObjectType parent_type = VK_OBJECT_TYPE_UNKNOWN,
                  uint64_t parent = 0) {
    ObjectEntry e;
    e.type = type;
    e.handle = handle;
    e.owner = owner;
    e.parent_type = parent_type;
    e.parent = parent;
    return e;
}

std::vector<uint64_t> ids_of(const std::vector<std::pair<uint64_t, ObjectEntry>>& list) {
    std::vector<uint64_t> ids;
    for (auto& [id, e] : list) ids.push_back(id);
    return ids;
}

/// Two instances; the first has a physical device, a device with a queue, an image, a view, a command pool and a
/// command buffer from it; the second a physical device and a device with a buffer.
class ObjectTableTree : public ::testing::Test {
protected:
    void SetUp() override {
        table.add(1, entry(VK_OBJECT_TYPE_INSTANCE, 0x100, 0));
        table.add(kServerIdBit | 1, entry(VK_OBJECT_TYPE_PHYSICAL_DEVICE, 0x200, 0x100));
        table.add(2, entry(VK_OBJECT_TYPE_DEVICE, 0x300, 0x200));
        table.add(3, entry(VK_OBJECT_TYPE_QUEUE, 0x400, 0x300));
        table.add(4, entry(VK_OBJECT_TYPE_IMAGE, 0x500, 0x300));
        table.add(5, entry(VK_OBJECT_TYPE_IMAGE_VIEW, 0x600, 0x300));
        table.add(6, entry(VK_OBJECT_TYPE_COMMAND_POOL, 0x700, 0x300));
        table.add(7, entry(VK_OBJECT_TYPE_COMMAND_BUFFER, 0x800, 0x300, VK_OBJECT_TYPE_COMMAND_POOL, 0x700));
        table.add(8, entry(VK_OBJECT_TYPE_INSTANCE, 0x1100, 0));
        table.add(kServerIdBit | 2, entry(VK_OBJECT_TYPE_PHYSICAL_DEVICE, 0x1200, 0x1100));
        table.add(9, entry(VK_OBJECT_TYPE_DEVICE, 0x1300, 0x1200));
        // A non-dispatchable handle whose value equals the other device's: it owns nothing.
        table.add(10, entry(VK_OBJECT_TYPE_BUFFER, 0x300, 0x1300));
    }
    ObjectTable table;
};

TEST_F(ObjectTableTree, ADevicesDescendantsAreItsChildrenNewestFirst) {
    EXPECT_EQ(ids_of(table.descendants(0x300)), (std::vector<uint64_t>{7, 6, 5, 4, 3}));
}

TEST_F(ObjectTableTree, AnInstancesDescendantsReachThroughPhysicalDevicesAndDevices) {
    EXPECT_EQ(ids_of(table.descendants(0x100)), (std::vector<uint64_t>{7, 6, 5, 4, 3, 2, kServerIdBit | 1}));
    EXPECT_EQ(ids_of(table.descendants(0x1100)), (std::vector<uint64_t>{10, 9, kServerIdBit | 2}));
}

TEST_F(ObjectTableTree, OwnerZeroReachesEveryInstanceAndAllUnderThem) {
    auto all = ids_of(table.descendants(0));
    EXPECT_EQ(all.size(), table.size());
    EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [&](uint64_t a, uint64_t b) {
        ObjectEntry ea, eb;
        table.entry(a, ea);
        table.entry(b, eb);
        return ea.order > eb.order;
    }));
}

TEST_F(ObjectTableTree, ANonDispatchableHandleOwnsNothing) {
    // Buffer 10's handle equals device 2's; only dispatchable objects are owners, so the device's children are
    // found once and the second instance's buffer is not among them.
    auto ids = ids_of(table.descendants(0x300));
    EXPECT_EQ(std::count(ids.begin(), ids.end(), 10u), 0);
}

TEST_F(ObjectTableTree, RemovingAPoolsChildrenLeavesThePool) {
    table.remove_children(VK_OBJECT_TYPE_COMMAND_POOL, 0x700);
    EXPECT_EQ(ids_of(table.descendants(0x300)), (std::vector<uint64_t>{6, 5, 4, 3}));
    EXPECT_TRUE(table.children(VK_OBJECT_TYPE_COMMAND_POOL, 0x700).empty());
    EXPECT_TRUE(table.of_type(VK_OBJECT_TYPE_COMMAND_BUFFER).empty());
    EXPECT_EQ(table.find_id(VK_OBJECT_TYPE_COMMAND_BUFFER, 0x800), 0u);
}

std::vector<uint64_t> sorted(std::vector<uint64_t> v) {
    std::sort(v.begin(), v.end());
    return v;
}

TEST_F(ObjectTableTree, ChildrenAndTypesFollowAddsAndRemoves) {
    // Pools reset every frame while the table holds many objects: children() and of_type() answer from indexes,
    // which must agree with the table after every kind of change.
    for (uint64_t i = 0; i < 1000; ++i) table.add(100 + i, entry(VK_OBJECT_TYPE_BUFFER, 0x10000 + i, 0x300));
    table.add(20, entry(VK_OBJECT_TYPE_COMMAND_BUFFER, 0x900, 0x300, VK_OBJECT_TYPE_COMMAND_POOL, 0x700));
    table.add(21, entry(VK_OBJECT_TYPE_DESCRIPTOR_POOL, 0xa00, 0x300));
    table.add(22, entry(VK_OBJECT_TYPE_DESCRIPTOR_SET, 0xb00, 0x300, VK_OBJECT_TYPE_DESCRIPTOR_POOL, 0xa00));
    EXPECT_EQ(sorted(ids_of(table.children(VK_OBJECT_TYPE_COMMAND_POOL, 0x700))), (std::vector<uint64_t>{7, 20}));
    EXPECT_EQ(sorted(ids_of(table.of_type(VK_OBJECT_TYPE_COMMAND_BUFFER))), (std::vector<uint64_t>{7, 20}));
    EXPECT_EQ(table.of_type(VK_OBJECT_TYPE_BUFFER).size(), 1001u);
    EXPECT_EQ(ids_of(table.of_type(VK_OBJECT_TYPE_QUEUE)), (std::vector<uint64_t>{3}));

    table.remove(7);
    EXPECT_EQ(ids_of(table.children(VK_OBJECT_TYPE_COMMAND_POOL, 0x700)), (std::vector<uint64_t>{20}));
    table.remove_children(VK_OBJECT_TYPE_DESCRIPTOR_POOL, 0xa00);
    EXPECT_TRUE(table.children(VK_OBJECT_TYPE_DESCRIPTOR_POOL, 0xa00).empty());
    EXPECT_TRUE(table.of_type(VK_OBJECT_TYPE_DESCRIPTOR_SET).empty());
    EXPECT_EQ(ids_of(table.of_type(VK_OBJECT_TYPE_DESCRIPTOR_POOL)), (std::vector<uint64_t>{21}));

    // An id given again (after its object went) is indexed under its new type and parent only.
    table.remove(20);
    table.add(20, entry(VK_OBJECT_TYPE_DESCRIPTOR_SET, 0xc00, 0x300, VK_OBJECT_TYPE_DESCRIPTOR_POOL, 0xa00));
    EXPECT_TRUE(table.children(VK_OBJECT_TYPE_COMMAND_POOL, 0x700).empty());
    EXPECT_EQ(ids_of(table.children(VK_OBJECT_TYPE_DESCRIPTOR_POOL, 0xa00)), (std::vector<uint64_t>{20}));
    table.clear();
    EXPECT_TRUE(table.of_type(VK_OBJECT_TYPE_BUFFER).empty());
    EXPECT_TRUE(table.children(VK_OBJECT_TYPE_DESCRIPTOR_POOL, 0xa00).empty());
}

}  // namespace
}  // namespace anarchy::server
