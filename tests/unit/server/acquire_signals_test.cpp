// The deferred acquire signals: which queue's submission takes which, and what is dropped.
#include "server/acquire_signals.h"

#include <gtest/gtest.h>

namespace anarchy::server {
namespace {

template <class T>
T handle(uintptr_t v) {
    return reinterpret_cast<T>(v);
}

TEST(AcquireSignals, ASubmissionTakesItsQueuesSignalsAndTheRestGoOnTheirOwn) {
    AcquireSignals a;
    const VkDevice d = handle<VkDevice>(0x10);
    const VkQueue q1 = handle<VkQueue>(0x21), q2 = handle<VkQueue>(0x22);
    EXPECT_TRUE(a.empty());
    a.add(d, q1, handle<VkSemaphore>(0x31));
    a.add(d, q2, handle<VkSemaphore>(0x32));
    a.add(d, q1, handle<VkSemaphore>(0x33));
    EXPECT_EQ(a.take(q1), (std::vector<VkSemaphore>{handle<VkSemaphore>(0x31), handle<VkSemaphore>(0x33)}));
    EXPECT_TRUE(a.take(q1).empty());
    EXPECT_FALSE(a.empty());
    const auto rest = a.take_all();
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].queue, q2);
    EXPECT_EQ(rest[0].semaphore, handle<VkSemaphore>(0x32));
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(a.merged, 2u);
    EXPECT_EQ(a.separate, 1u);
}

TEST(AcquireSignals, ADestroyedSemaphoreOrDeviceDropsItsSignals) {
    AcquireSignals a;
    const VkDevice d1 = handle<VkDevice>(0x10), d2 = handle<VkDevice>(0x11);
    const VkQueue q1 = handle<VkQueue>(0x21), q2 = handle<VkQueue>(0x22);
    a.add(d1, q1, handle<VkSemaphore>(0x31));
    a.add(d1, q1, handle<VkSemaphore>(0x32));
    a.add(d2, q2, handle<VkSemaphore>(0x33));
    a.forget(handle<VkSemaphore>(0x31));
    EXPECT_EQ(a.take(q1), std::vector<VkSemaphore>{handle<VkSemaphore>(0x32)});
    a.add(d1, q1, handle<VkSemaphore>(0x34));
    a.forget_device(d1);
    const auto rest = a.take_all();
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].device, d2);
    EXPECT_EQ(a.merged + a.separate, 2u);  // the dropped ones were never signalled
}

}  // namespace
}  // namespace anarchy::server
