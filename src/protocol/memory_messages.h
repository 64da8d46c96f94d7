// Mapped-memory messages, shared by the client's shadows and the server's mappings: one layout, one encoder, one
// decoder. Both directions carry the same list of runs:
//   u32 run count | run count x (u64 memory id | u64 offset | u64 size | size bytes)
// Client -> server: CustomCommand::WriteMemory, the program's changed bytes (its whole payload is the list).
// Server -> client: the memory updates of a reply with kReplyHasMemory:
//   runs (the bytes the GPU changed) | stale ranges | fetched ranges
// where a range list is  u32 count | count x (u64 memory id | u64 offset | u64 size).
// Stale: GPU-written ranges larger than the session's stale threshold, not read by the server; the client makes
// their pages fault on the next touch and fetches them then. Fetched: ranges the runs before brought up to date
// (the answer to FetchMemory); the client no longer treats them as stale. The client applies the three in order.
// CustomCommand::MemoryOptions: MemoryOptionsMessage, sent once before vkCreateInstance (none: threshold 0).
// CustomCommand::FetchMemory (reply): FetchMemoryMessage; the reply's updates bring the range's changed bytes and
// name it fetched; its body is a u32: 1 when answered, 0 when the memory is gone (freed meanwhile).
// CustomCommand::MapMemory (reply): u64 memory id; the reply's updates bring what the GPU wrote into that memory
// before the program first mapped it; its body is empty.
#pragma once

#include <cstdint>

#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"

namespace anarchy::protocol {

/// One run of bytes of one allocation; `bytes` points into the message it was decoded from.
struct MemoryRun {
    uint64_t memory = 0;
    uint64_t offset = 0;
    uint64_t size = 0;
    const uint8_t* bytes = nullptr;
};

/// Appends runs to an encoder: begin() reserves the count, add() each run, finish() patches the count.
class MemoryRunsEncoder {
public:
    explicit MemoryRunsEncoder(WireEncoder& e) : e_(e), count_at_(e.reserve_u32()) {}
    /// Returns where the run's bytes now are in the message (valid until the next add).
    const uint8_t* add(uint64_t memory, uint64_t offset, const uint8_t* bytes, uint64_t size) {
        e_.u64(memory);
        e_.u64(offset);
        e_.blob(bytes, size);
        ++count_;
        return e_.bytes().data() + (e_.size_bytes() - size);
    }
    /// Writes the count; returns it.
    uint32_t finish() {
        e_.patch_u32(count_at_, count_);
        return count_;
    }
    uint32_t count() const { return count_; }
    /// Starts a new list at the encoder's end (after finish() and whatever the caller did with the old one).
    void restart() {
        count_at_ = e_.reserve_u32();
        count_ = 0;
    }

private:
    WireEncoder& e_;
    size_t count_at_;
    uint32_t count_ = 0;
};

/// Decodes a list of runs, calling on_run(const MemoryRun&) for each; on_run returns false to reject a run
/// (it then sets the decoder's error). False on malformed input.
template <typename OnRun>
[[nodiscard]] bool decode_memory_runs(WireDecoder& d, OnRun&& on_run) {
    uint32_t n = 0;
    if (!d.count(n, 24)) return false;
    for (uint32_t i = 0; i < n; ++i) {
        MemoryRun run;
        if (!d.u64(run.memory) || !d.u64(run.offset) || !d.blob_view(run.bytes, run.size)) return false;
        if (!on_run(run)) return d.ok() ? d.fail("memory run rejected") : false;
    }
    return true;
}

/// One range of one allocation, without bytes (stale and fetched lists).
struct MemoryRangeRef {
    uint64_t memory = 0;
    uint64_t offset = 0;
    uint64_t size = 0;
};

/// Appends a list of ranges: constructing reserves the count, add() each range, finish() patches the count.
class MemoryRangesEncoder {
public:
    explicit MemoryRangesEncoder(WireEncoder& e) : e_(e), count_at_(e.reserve_u32()) {}
    void add(uint64_t memory, uint64_t offset, uint64_t size) {
        e_.u64(memory);
        e_.u64(offset);
        e_.u64(size);
        ++count_;
    }
    uint32_t finish() {
        e_.patch_u32(count_at_, count_);
        return count_;
    }

private:
    WireEncoder& e_;
    size_t count_at_;
    uint32_t count_ = 0;
};

/// Decodes a list of ranges, calling on_range(const MemoryRangeRef&) for each (false rejects it).
template <typename OnRange>
[[nodiscard]] bool decode_memory_ranges(WireDecoder& d, OnRange&& on_range) {
    uint32_t n = 0;
    if (!d.count(n, 24)) return false;
    for (uint32_t i = 0; i < n; ++i) {
        MemoryRangeRef r;
        if (!d.u64(r.memory) || !d.u64(r.offset) || !d.u64(r.size)) return false;
        if (!on_range(r)) return d.ok() ? d.fail("memory range rejected") : false;
    }
    return true;
}

/// CustomCommand::FetchMemory's payload: a page-aligned range of a host-visible allocation (at most
/// kMaxFetchBytes; the server clamps its end to the allocation).
struct FetchMemoryMessage {
    static constexpr uint64_t kMaxFetchBytes = uint64_t(64) << 20;
    uint64_t memory = 0;
    uint64_t offset = 0;
    uint64_t size = 0;
    void encode(WireEncoder& e) const {
        e.u64(memory);
        e.u64(offset);
        e.u64(size);
    }
    [[nodiscard]] bool decode(WireDecoder& d) { return d.u64(memory) && d.u64(offset) && d.u64(size); }
};

/// CustomCommand::MemoryOptions's payload. stale_threshold_bytes: GPU-written ranges larger than this become
/// stale instead of travelling in the reply; 0: never stale.
struct MemoryOptionsMessage {
    uint64_t stale_threshold_bytes = 0;
    void encode(WireEncoder& e) const { e.u64(stale_threshold_bytes); }
    [[nodiscard]] bool decode(WireDecoder& d) { return d.u64(stale_threshold_bytes); }
};

/// CustomCommand::MapMemory's payload.
struct MapMemoryMessage {
    uint64_t memory = 0;
    void encode(WireEncoder& e) const { e.u64(memory); }
    [[nodiscard]] bool decode(WireDecoder& d) { return d.u64(memory); }
};

}  // namespace anarchy::protocol
