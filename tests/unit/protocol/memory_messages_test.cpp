// The memory diff against a byte-by-byte model, and the memory-run messages both ways.
#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

#include "protocol/memory_diff.h"
#include "protocol/memory_messages.h"

namespace anarchy::protocol {
namespace {

using Runs = std::vector<std::pair<size_t, size_t>>;

Runs diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    Runs out;
    for_each_changed_run(a.data(), b.data(), a.size(), [&](size_t off, size_t len) { out.emplace_back(off, len); });
    return out;
}

TEST(MemoryDiff, RunsCoverExactlyTheChangedBytesAndNothingOutsideThem) {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 200; ++trial) {
        size_t size = 1 + rng() % 20000;
        std::vector<uint8_t> snap(size), cur;
        for (auto& x : snap) x = uint8_t(rng());
        cur = snap;
        int changes = rng() % 40;
        for (int c = 0; c < changes; ++c) {
            size_t at = rng() % size, len = 1 + rng() % 300;
            for (size_t k = at; k < at + len && k < size; ++k) cur[k] = uint8_t(cur[k] + 1 + rng() % 255);
        }
        Runs runs = diff(cur, snap);
        std::vector<uint8_t> rebuilt = snap;
        size_t prev_end = 0;
        for (auto [off, len] : runs) {
            ASSERT_GT(len, 0u);
            ASSERT_LE(off + len, size);
            ASSERT_TRUE(off == 0 || off >= prev_end) << "runs are ordered and disjoint";
            EXPECT_NE(cur[off], snap[off]) << "a run starts on a changed byte";
            EXPECT_NE(cur[off + len - 1], snap[off + len - 1]) << "a run ends on a changed byte";
            std::copy(cur.begin() + off, cur.begin() + off + len, rebuilt.begin() + off);
            prev_end = off + len;
        }
        ASSERT_EQ(rebuilt, cur) << "applying the runs gives the current bytes";
    }
}

TEST(MemoryDiff, IncomingBytesFillAllButWhatTheProgramChanged) {
    // 3 pages and a bit: chunks untouched, a chunk with a few changed blocks, single bytes, a change at the end.
    const size_t n = 3 * 4096 + 100;
    std::mt19937 rng(7);
    std::vector<uint8_t> snapshot(n), current, incoming(n);
    for (auto& b : snapshot) b = uint8_t(rng());
    for (auto& b : incoming) b = uint8_t(rng());
    current = snapshot;
    for (size_t at : {size_t(4096 + 5), size_t(4096 + 6), size_t(4096 + 700), size_t(8191), size_t(n - 1)})
        current[at] = uint8_t(current[at] + 1);
    for (size_t at = 4096 + 2000; at < 4096 + 2200; ++at) current[at] = uint8_t(current[at] ^ 0x5A);
    std::vector<uint8_t> expect(n);
    for (size_t i = 0; i < n; ++i) expect[i] = current[i] != snapshot[i] ? current[i] : incoming[i];
    protocol::merge_incoming(current.data(), snapshot.data(), incoming.data(), n);
    EXPECT_EQ(current, expect);
    EXPECT_EQ(snapshot, incoming);
}

TEST(MemoryDiff, EqualRangesGiveNothingAndCloseChangesMerge) {
    std::vector<uint8_t> a(10000, 3), b(10000, 3);
    EXPECT_TRUE(diff(a, b).empty());
    a[100] = 4;
    a[120] = 4;   // 19 bytes apart: merged
    a[5000] = 4;  // far: its own run
    EXPECT_EQ(diff(a, b), (Runs{{100, 21}, {5000, 1}}));
    a.assign(8192, 1);
    b.assign(8192, 2);
    EXPECT_EQ(diff(a, b), (Runs{{0, 8192}})) << "everything changed: one run";
}

TEST(MemoryRuns, RoundTripAndRejectsTruncatedOrOversizedRuns) {
    WireEncoder e;
    MemoryRunsEncoder runs(e);
    const uint8_t bytes[5] = {1, 2, 3, 4, 5};
    runs.add(7, 4096, bytes, 5);
    runs.add(9, 0, bytes, 2);
    EXPECT_EQ(runs.finish(), 2u);
    std::vector<MemoryRun> got;
    WireDecoder d(e.bytes().data(), e.size_bytes(), nullptr);
    ASSERT_TRUE(decode_memory_runs(d, [&](const MemoryRun& r) {
        got.push_back(r);
        return true;
    }));
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].memory, 7u);
    EXPECT_EQ(got[0].offset, 4096u);
    EXPECT_EQ(got[0].size, 5u);
    EXPECT_EQ(std::vector<uint8_t>(got[0].bytes, got[0].bytes + 5), std::vector<uint8_t>(bytes, bytes + 5));
    EXPECT_EQ(got[1].memory, 9u);

    for (size_t cut = 0; cut < e.size_bytes(); ++cut) {
        WireDecoder t(e.bytes().data(), cut, nullptr);
        EXPECT_FALSE(decode_memory_runs(t, [](const MemoryRun&) { return true; })) << "truncated at " << cut;
    }
    WireDecoder r(e.bytes().data(), e.size_bytes(), nullptr);
    EXPECT_FALSE(decode_memory_runs(r, [](const MemoryRun&) { return false; }));
    EXPECT_FALSE(r.ok());
}

TEST(MemoryRuns, RestartBeginsASecondListAfterTheFirst) {
    // A reply's updates sent in parts: each part is a list of its own, started where the last one ended.
    WireEncoder e;
    MemoryRunsEncoder runs(e);
    const uint8_t bytes[4] = {1, 2, 3, 4};
    runs.add(7, 0, bytes, 2);
    runs.add(7, 100, bytes + 2, 2);
    EXPECT_EQ(runs.finish(), 2u);
    runs.restart();
    EXPECT_EQ(runs.count(), 0u);
    runs.add(9, 4096, bytes, 4);
    EXPECT_EQ(runs.finish(), 1u);
    WireDecoder d(e.bytes().data(), e.size_bytes(), nullptr);
    std::vector<std::pair<uint64_t, uint64_t>> first, second;
    ASSERT_TRUE(decode_memory_runs(d, [&](const MemoryRun& r) { return first.push_back({r.memory, r.offset}), true; }));
    ASSERT_TRUE(decode_memory_runs(d, [&](const MemoryRun& r) {
        EXPECT_EQ(std::vector<uint8_t>(r.bytes, r.bytes + r.size), std::vector<uint8_t>(bytes, bytes + 4));
        return second.push_back({r.memory, r.offset}), true;
    }));
    EXPECT_EQ(d.remaining(), 0u);
    EXPECT_EQ(first, (std::vector<std::pair<uint64_t, uint64_t>>{{7, 0}, {7, 100}}));
    EXPECT_EQ(second, (std::vector<std::pair<uint64_t, uint64_t>>{{9, 4096}}));
}

TEST(MemoryRanges, ReplyUpdatesRoundTripRunsThenStaleThenFetched) {
    WireEncoder e;
    MemoryRunsEncoder runs(e);
    const uint8_t bytes[3] = {4, 5, 6};
    runs.add(3, 8, bytes, 3);
    runs.finish();
    MemoryRangesEncoder stale(e);
    stale.add(3, 1 << 20, 8 << 20);
    stale.add(5, 0, 4096);
    EXPECT_EQ(stale.finish(), 2u);
    MemoryRangesEncoder fetched(e);
    EXPECT_EQ(fetched.finish(), 0u);
    WireDecoder d(e.bytes().data(), e.size_bytes(), nullptr);
    int n_runs = 0;
    std::vector<MemoryRangeRef> got;
    ASSERT_TRUE(decode_memory_runs(d, [&](const MemoryRun&) { return ++n_runs, true; }));
    ASSERT_TRUE(decode_memory_ranges(d, [&](const MemoryRangeRef& r) { return got.push_back(r), true; }));
    ASSERT_TRUE(decode_memory_ranges(d, [&](const MemoryRangeRef&) { return false; }));  // empty: never called
    EXPECT_EQ(d.remaining(), 0u);
    EXPECT_EQ(n_runs, 1);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].memory, 3u);
    EXPECT_EQ(got[0].offset, 1u << 20);
    EXPECT_EQ(got[0].size, 8u << 20);
    EXPECT_EQ(got[1].memory, 5u);
    for (size_t cut = 0; cut < e.size_bytes(); ++cut) {
        WireDecoder t(e.bytes().data(), cut, nullptr);
        bool ok = decode_memory_runs(t, [](const MemoryRun&) { return true; }) &&
                  decode_memory_ranges(t, [](const MemoryRangeRef&) { return true; }) &&
                  decode_memory_ranges(t, [](const MemoryRangeRef&) { return true; });
        EXPECT_FALSE(ok) << "truncated at " << cut;
    }
    FetchMemoryMessage f{7, 4096, 1 << 20}, g;
    MemoryOptionsMessage o{1 << 20}, p;
    WireEncoder m;
    f.encode(m);
    o.encode(m);
    WireDecoder md(m.bytes().data(), m.size_bytes(), nullptr);
    ASSERT_TRUE(g.decode(md) && p.decode(md));
    EXPECT_EQ(g.memory, 7u);
    EXPECT_EQ(g.offset, 4096u);
    EXPECT_EQ(g.size, 1u << 20);
    EXPECT_EQ(p.stale_threshold_bytes, 1u << 20);
}

}  // namespace
}  // namespace anarchy::protocol
