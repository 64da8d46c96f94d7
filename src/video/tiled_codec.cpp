#include "video/tiled_codec.h"

#include <lz4.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "video/bgra_packer.h"
#include "video/frame_packet_header.h"
#include "video/task_pool.h"

namespace anarchy::video {
namespace {

constexpr uint8_t kLayoutVersion = 1;
constexpr size_t kPayloadHeaderBytes = 12;
constexpr size_t kEntryBytes = 16;
/// A changed tile whose sampled words are at least this many 64ths unchanged is compressed as its XOR with the
/// previous frame, any other as its pixels.
constexpr uint32_t kDeltaUnchanged64ths = 24;

enum TileMethod : uint8_t { kStored = 0, kLz4 = 1, kLz4Xor = 2 };

void put_u16(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v);
    p[1] = uint8_t(v >> 8);
}
void put_u32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
uint32_t get_u16(const uint8_t* p) { return p[0] | uint32_t(p[1]) << 8; }
uint32_t get_u32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }

uint64_t load64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
uint64_t rotl(uint64_t v, int r) { return v << r | v >> (64 - r); }

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4Full;
uint64_t mix(uint64_t acc, uint64_t v) { return rotl(acc + v * kPrime2, 31) * kPrime1; }

// The tiles of a frame: a row-major grid, every tile stored in a slot as large as the largest tile (edge tiles use the
// start of theirs), so each tile's pixels are contiguous for LZ4 and memcmp. A slot is never larger than the frame:
// a packet that names 1024x1024 tiles for a 16384x1 frame costs no more memory than the frame.
struct TileGrid {
    uint32_t width = 0, height = 0;
    uint32_t tile_width = 0, tile_height = 0;
    uint32_t columns = 0, rows = 0;

    TileGrid() = default;
    TileGrid(uint32_t w, uint32_t h, uint32_t tw, uint32_t th)
        : width(w), height(h), tile_width(tw), tile_height(th), columns((w + tw - 1) / tw), rows((h + th - 1) / th) {}

    uint32_t count() const { return columns * rows; }
    size_t slot_bytes() const { return size_t(std::min(tile_width, width)) * std::min(tile_height, height) * 4; }
    size_t frame_bytes() const { return slot_bytes() * count(); }
    uint32_t x0(uint32_t i) const { return (i % columns) * tile_width; }
    uint32_t y0(uint32_t i) const { return (i / columns) * tile_height; }
    uint32_t w(uint32_t i) const { return std::min(tile_width, width - x0(i)); }
    uint32_t h(uint32_t i) const { return std::min(tile_height, height - y0(i)); }
    size_t bytes(uint32_t i) const { return size_t(w(i)) * h(i) * 4; }
};

// Roughly what share of a tile is unchanged, in 1/64ths: compares one 8-byte word in each 64 bytes (the tile is in
// cache from the gather, so this costs a small part of a full comparison).
uint32_t unchanged_64ths(const uint8_t* a, const uint8_t* b, size_t size) {
    size_t equal = 0, sampled = 0;
    for (size_t i = 0; i + 8 <= size; i += 64, ++sampled) equal += load64(a + i) == load64(b + i);
    return sampled ? uint32_t(equal * 64 / sampled) : 0;
}

void xor_bytes(const uint8_t* a, const uint8_t* b, uint8_t* dst, size_t size) {
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        const uint64_t x = load64(a + i) ^ load64(b + i);
        std::memcpy(dst + i, &x, 8);
    }
    for (; i < size; ++i) dst[i] = a[i] ^ b[i];
}

void xor_into(uint8_t* dst, const uint8_t* src, size_t size) {
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        const uint64_t x = load64(dst + i) ^ load64(src + i);
        std::memcpy(dst + i, &x, 8);
    }
    for (; i < size; ++i) dst[i] ^= src[i];
}

// Compresses src into dst (sized for LZ4_compressBound); 0 when LZ4 fails.
size_t compress(const uint8_t* src, size_t size, std::vector<uint8_t>& dst, int acceleration) {
    const int n = LZ4_compress_fast(reinterpret_cast<const char*>(src), reinterpret_cast<char*>(dst.data()),
                                    int(size), int(dst.size()), acceleration);
    return n > 0 ? size_t(n) : 0;
}

class TiledEncoder final : public Encoder {
public:
    explicit TiledEncoder(const TiledEncoderOptions& o)
        : Encoder(CodecKind::Lz4Tiles, o.width, o.height),
          grid_(o.width, o.height, o.tile_width, o.tile_height),
          keyframe_interval_(o.keyframe_interval),
          acceleration_(std::max(o.lz4_acceleration, 1)),
          slices_(o.slices),
          pool_(std::max(o.threads, 1u)),
          current_(grid_.frame_bytes()),
          previous_(grid_.frame_bytes()),
          tiles_(grid_.count()),
          scratch_(pool_.threads()) {
        const size_t bound = size_t(LZ4_compressBound(int(grid_.slot_bytes())));
        for (Tile& t : tiles_) t.packed.resize(bound);
        for (Scratch& s : scratch_) s.delta.resize(grid_.slot_bytes());
    }
    const char* name() const override { return "lz4-tiles"; }
    PixelFormat input_format() const override { return PixelFormat::Bgra8; }
    void request_keyframe() override { keyframe_requested_ = true; }

protected:
    CodecStatus encode_frame(const FrameView& frame, EncodedFrame& out) override {
        FrameView source;
        if (CodecStatus s = bgra_source(frame, source); !s) return s;
        const bool key = next_is_key();
        pool_.run(grid_.count(), [&](uint32_t i, uint32_t worker) { encode_tile(source, key, i, scratch_[worker]); });
        build_packet(0, grid_.count(), key, 0, out);
        finish_frame(key);
        return CodecStatus::success();
    }

    CodecStatus encode_frame_slices(const FrameView& frame, const SliceSink& emit) override {
        const uint32_t rows_per_slice = slice_tile_rows();
        if (rows_per_slice == 0) return Encoder::encode_frame_slices(frame, emit);
        FrameView source;
        if (CodecStatus s = bgra_source(frame, source); !s) return s;
        const bool key = next_is_key();
        // One job over every tile, handed out in row-major order, with no barrier between slices: the thread that
        // finishes a slice's last tile sends it (and any finished slices after it, in order) while the others go
        // on compressing the next.
        const uint32_t slices = (grid_.rows + rows_per_slice - 1) / rows_per_slice;
        std::unique_ptr<std::atomic<uint32_t>[]> left(new std::atomic<uint32_t>[slices]);
        for (uint32_t k = 0; k < slices; ++k)
            left[k].store((std::min(grid_.rows, (k + 1) * rows_per_slice) - k * rows_per_slice) * grid_.columns);
        std::mutex emit_mu;
        uint32_t next_slice = 0;  // guarded by emit_mu
        bool stopped = false;     // guarded by emit_mu: emit refused a slice
        pool_.run(grid_.count(), [&](uint32_t i, uint32_t worker) {
            encode_tile(source, key, i, scratch_[worker]);
            if (left[i / grid_.columns / rows_per_slice].fetch_sub(1, std::memory_order_acq_rel) != 1) return;
            std::lock_guard<std::mutex> lock(emit_mu);
            while (next_slice < slices && left[next_slice].load(std::memory_order_acquire) == 0) {
                const uint32_t first = next_slice * rows_per_slice * grid_.columns;
                const uint32_t end = std::min(grid_.rows, (next_slice + 1) * rows_per_slice) * grid_.columns;
                const bool last = end == grid_.count();
                if (!stopped) {
                    EncodedFrame packet;
                    build_packet(first, end, key, uint8_t(kFramePacketSlice | (last ? kFramePacketLastSlice : 0)),
                                 packet, false);
                    stopped = !emit(packet, last);
                }
                ++next_slice;
            }
        });
        if (stopped) {
            // Part of the frame went out: the tiles after it still hold an older frame, so no delta may follow.
            have_previous_ = false;
            return CodecStatus::failure(CodecError::Backend, "a slice of the frame was not taken");
        }
        finish_frame(key);
        return CodecStatus::success();
    }

private:
    struct Tile {
        bool changed = false;
        uint8_t method = kStored;
        uint32_t checksum = 0;
        size_t size = 0;
        const uint8_t* data = nullptr;  // packed.data(), or the tile's pixels in current_ when stored
        std::vector<uint8_t> packed;    // LZ4 output, LZ4_compressBound of a slot
    };
    struct Scratch {  // one per pool thread
        std::vector<uint8_t> delta;  // the tile XOR the previous frame's
    };
    struct Copy {
        const uint8_t* data;
        size_t at;
        size_t size;
    };

    // The frame as BGRA: lossless streams get BGRA from the capture; I420 (rare) is converted once, then tiled.
    CodecStatus bgra_source(const FrameView& frame, FrameView& source) {
        source = frame;
        if (frame.format != PixelFormat::I420) return CodecStatus::success();
        i420_bgra_.resize(size_t(width()) * height() * 4);
        if (CodecStatus s = packer_.pack(frame, i420_bgra_.data()); !s) return s;
        source = FrameView::packed(PixelFormat::Bgra8, i420_bgra_.data(), width(), height());
        return CodecStatus::success();
    }

    bool next_is_key() const {
        return !have_previous_ || keyframe_requested_ ||
               (keyframe_interval_ != 0 && frames_since_key_ + 1 >= keyframe_interval_);
    }

    // Tile rows per slice: enough tiles for every pool thread to take about three, so a slice keeps them all busy;
    // 0 (one packet for the whole frame) when that would give fewer than two slices, or slicing is off.
    uint32_t slice_tile_rows() const {
        if (!slices_) return 0;
        const uint32_t want_tiles = 3 * pool_.threads();
        const uint32_t rows = std::max(1u, (want_tiles + grid_.columns - 1) / grid_.columns);
        return rows < grid_.rows ? rows : 0;
    }

    // The packet for tiles [first, end) (whole tile rows), their encode_tile() done: header, payload header, the
    // table of changed tiles, then their bytes, copied in parallel. A whole frame's rows are the band its changed
    // tiles cover; a slice's are its tile rows, whatever changed. parallel_copy false: called from inside a pool job
    // (a slice is a few hundred KB, copied on the calling thread).
    void build_packet(uint32_t first, uint32_t end, bool key, uint8_t slice_flags, EncodedFrame& out,
                      bool parallel_copy = true) {
        uint32_t changed = 0, first_row = height(), end_row = 0;
        size_t data_bytes = 0;
        for (uint32_t i = first; i < end; ++i) {
            const Tile& t = tiles_[i];
            if (!t.changed) continue;
            ++changed;
            data_bytes += t.size;
            first_row = std::min(first_row, grid_.y0(i));
            end_row = std::max(end_row, grid_.y0(i) + grid_.h(i));
        }
        const size_t table_at = kFramePacketHeaderBytes + kPayloadHeaderBytes;
        const size_t data_at = table_at + size_t(changed) * kEntryBytes;
        out.bytes.resize(data_at + data_bytes);
        uint8_t* p = out.bytes.data() + kFramePacketHeaderBytes;
        p[0] = kLayoutVersion;
        p[1] = 0;
        put_u16(p + 2, grid_.tile_width);
        put_u16(p + 4, grid_.tile_height);
        put_u16(p + 6, 0);
        put_u32(p + 8, changed);
        std::vector<Copy>& copies = parallel_copy ? copies_ : slice_copies_;
        copies.clear();
        size_t at = data_at;
        uint8_t* entry = out.bytes.data() + table_at;
        for (uint32_t i = first; i < end; ++i) {
            const Tile& t = tiles_[i];
            if (!t.changed) continue;
            put_u32(entry, i);
            entry[4] = t.method;
            entry[5] = entry[6] = entry[7] = 0;
            put_u32(entry + 8, uint32_t(t.size));
            put_u32(entry + 12, t.checksum);
            entry += kEntryBytes;
            copies.push_back({t.data, at, t.size});
            at += t.size;
        }
        uint8_t* base = out.bytes.data();
        if (parallel_copy) {
            pool_.run(uint32_t(copies.size()), [&](uint32_t c, uint32_t) {
                std::memcpy(base + copies[c].at, copies[c].data, copies[c].size);
            });
        } else {
            for (const Copy& c : copies) std::memcpy(base + c.at, c.data, c.size);
        }

        FramePacketHeader h;
        h.codec = CodecKind::Lz4Tiles;
        h.flags = uint8_t((key ? kFramePacketKeyframe : 0) | slice_flags);
        h.width = width();
        h.height = height();
        h.sequence = sequence_;
        h.reference = key ? 0 : sequence_ - 1;
        if (slice_flags) {
            h.first_row = grid_.y0(first);
            h.row_count = std::min(height(), grid_.y0(end - 1) + grid_.h(end - 1)) - h.first_row;
        } else {
            h.first_row = changed ? first_row : 0;
            h.row_count = changed ? end_row - first_row : 0;
        }
        h.payload_bytes = static_cast<uint32_t>(out.bytes.size() - kFramePacketHeaderBytes);
        write_frame_packet_header(h, out.bytes.data());
        out.keyframe = key;
    }

    void finish_frame(bool key) {
        // Unchanged tiles are equal in both buffers, so the current frame becomes the reference by a swap.
        std::swap(current_, previous_);
        have_previous_ = true;
        keyframe_requested_ = false;
        frames_since_key_ = key ? 0 : frames_since_key_ + 1;
        ++sequence_;
    }

    // Gathers tile i into current_, decides whether it changed, and compresses it the smaller way.
    void encode_tile(const FrameView& source, bool key, uint32_t i, Scratch& scratch) {
        Tile& t = tiles_[i];
        const uint32_t tw = grid_.w(i), th = grid_.h(i);
        const size_t row = size_t(tw) * 4, bytes = row * th;
        uint8_t* cur = current_.data() + grid_.slot_bytes() * i;
        const uint8_t* prev = previous_.data() + grid_.slot_bytes() * i;
        const uint8_t* src = source.planes[0] + size_t(grid_.y0(i)) * source.strides[0] + size_t(grid_.x0(i)) * 4;
        for (uint32_t y = 0; y < th; ++y) pack_row(source.format, src + size_t(y) * source.strides[0], cur + y * row, tw);

        t.changed = key || std::memcmp(cur, prev, bytes) != 0;
        if (!t.changed) return;
        t.checksum = tile_checksum(cur, bytes);
        size_t plain = 0, delta = 0;
        if (key) {
            plain = compress(cur, bytes, t.packed, acceleration_);
        } else {
            // Mostly unchanged: the XOR is mostly zeros and wins. Mostly changed (motion, scrolling): the XOR is
            // as busy as the pixels and usually loses. One compression a tile, chosen by the sampled share of
            // unchanged words: trying both in between cost about a fifth more encoding time (NVIDIA H200 host,
            // 2560x1600 demo scene, 8 threads: 2.4-2.8 -> 2.2-2.3 ms a frame) to save under 3 % of the bytes.
            if (unchanged_64ths(cur, prev, bytes) >= kDeltaUnchanged64ths) {
                xor_bytes(cur, prev, scratch.delta.data(), bytes);
                delta = compress(scratch.delta.data(), bytes, t.packed, acceleration_);
            } else {
                plain = compress(cur, bytes, t.packed, acceleration_);
            }
        }
        const size_t packed = plain ? plain : delta;
        if (packed == 0 || packed >= bytes) {
            t.method = kStored;
            t.size = bytes;
            t.data = cur;
        } else {
            t.method = plain ? kLz4 : kLz4Xor;
            t.size = packed;
            t.data = t.packed.data();
        }
    }

    BgraPacker packer_;
    const TileGrid grid_;
    const uint32_t keyframe_interval_;
    const int acceleration_;
    const bool slices_;
    TaskPool pool_;
    std::vector<uint8_t> current_;   // tiles of the frame being encoded
    std::vector<uint8_t> previous_;  // tiles of the last frame sent; valid when have_previous_
    std::vector<Tile> tiles_;
    std::vector<Scratch> scratch_;
    std::vector<Copy> copies_;
    std::vector<Copy> slice_copies_;  // build_packet inside a pool job (under the slices' emit lock)
    std::vector<uint8_t> i420_bgra_;
    bool have_previous_ = false;
    bool keyframe_requested_ = false;
    uint32_t frames_since_key_ = 0;
    uint32_t sequence_ = 0;
};

/// Picture numbers (DecodedFrame::picture) come from one counter for the whole process: a number a target recorded
/// under an earlier decoder is smaller than any tile's of a later one, so it never passes for a picture of it.
uint64_t next_picture_number() {
    static std::atomic<uint64_t> counter{0};
    return ++counter;
}

class TiledDecoder final : public Decoder {
public:
    TiledDecoder(uint32_t width, uint32_t height, uint32_t threads)
        : Decoder(CodecKind::Lz4Tiles, width, height), pool_(std::max(threads, 1u)), scratch_(pool_.threads()) {}
    const char* name() const override { return "lz4-tiles"; }

protected:
    CodecStatus decode_packet(const uint8_t* data, size_t size, DecodedFrame& out) override {
        out.bgra.resize(size_t(width()) * height() * 4);
        return decode_packet_into(data, size, PictureTarget{out.bgra.data(), size_t(width()) * 4}, out);
    }

    CodecStatus decode_packet_into(const uint8_t* data, size_t size, const PictureTarget& target,
                                   DecodedFrame& out) override {
        FramePacketHeader h;
        if (CodecStatus s = read_frame_packet_header(data, size, CodecKind::Lz4Tiles, width(), height(), h); !s)
            return s;
        if (CodecStatus s = read_table(data + kFramePacketHeaderBytes, h); !s) return s;

        // One pass over every tile of the packet (the frame's, or a slice's rows): expand and check the changed ones
        // into the reference, then copy each tile's rows into the target while they are in this core's cache, unless
        // the target already holds the tile: it has not changed since the picture the target holds.
        std::atomic<bool> failed{false};
        std::mutex error_mu;
        std::string error;
        const uint32_t first = first_tile_;
        pool_.run(end_tile_ - first_tile_, [&](uint32_t k, uint32_t worker) {
            const uint32_t i = first + k;
            if (failed.load(std::memory_order_relaxed)) return;
            if (entry_of_tile_[i] >= 0) {
                std::string why = expand_tile(i, entries_[size_t(entry_of_tile_[i])], scratch_[worker]);
                if (!why.empty()) {
                    std::lock_guard<std::mutex> lock(error_mu);
                    if (!failed.exchange(true)) error = std::move(why);
                    return;
                }
                changed_in_[i] = building_;
            } else if (target.holds != 0 && changed_in_[i] <= target.holds) {
                return;
            }
            const uint32_t tw = grid_.w(i), th = grid_.h(i);
            const size_t row = size_t(tw) * 4;
            const uint8_t* tile = reference_.data() + grid_.slot_bytes() * i;
            uint8_t* dst = target.pixels + size_t(grid_.y0(i)) * target.stride + size_t(grid_.x0(i)) * 4;
            // pack_row forces A = 255 as it copies: a crafted packet with a matching checksum still shows opaque.
            for (uint32_t y = 0; y < th; ++y) pack_row(PixelFormat::Bgra8, tile + y * row, dst + y * target.stride, tw);
        });
        if (failed) return corrupt(error);
        out.picture = 0;
        if (h.completes_frame()) {
            have_reference_ = true;
            reference_sequence_ = h.sequence;
            in_frame_ = false;
            out.picture = building_;
        }
        out.keyframe = h.keyframe();
        return CodecStatus::success();
    }

    void reset_after_error() override {
        have_reference_ = false;
        in_frame_ = false;
    }

private:
    struct Entry {
        uint8_t method;
        uint32_t checksum;
        const uint8_t* data;
        size_t size;
    };
    struct Scratch {
        std::vector<uint8_t> delta;
    };

    // Checks the payload header and tile table against the frame and the reference held, and indexes the entries.
    CodecStatus read_table(const uint8_t* payload, const FramePacketHeader& h) {
        const size_t size = h.payload_bytes;
        if (size < kPayloadHeaderBytes) return corrupt("lz4-tiles payload shorter than its header");
        if (payload[0] != kLayoutVersion)
            return corrupt("lz4-tiles layout " + std::to_string(payload[0]) + ", expected " +
                           std::to_string(kLayoutVersion));
        if (payload[1] != 0 || get_u16(payload + 6) != 0) return corrupt("lz4-tiles payload with non-zero reserved bytes");
        const uint32_t tw = get_u16(payload + 2), th = get_u16(payload + 4);
        if (tw < kMinTileSide || tw > kMaxTileSide || th < kMinTileSide || th > kMaxTileSide)
            return corrupt("lz4-tiles tile size " + std::to_string(tw) + "x" + std::to_string(th) + " out of range");
        const uint32_t end_row = h.first_row + h.row_count;
        if (h.slice() && (h.first_row % th != 0 || (end_row != height() && end_row % th != 0)))
            return corrupt("lz4-tiles slice of rows " + std::to_string(h.first_row) + "-" + std::to_string(end_row) +
                           " that are not whole tile rows");
        if (h.slice() && h.first_row != 0) {
            // A later slice of the frame under way: same frame, same kind, the rows right after the last slice's.
            // The reference was checked at the frame's first slice and is being replaced tile by tile since.
            if (!in_frame_ || h.sequence != frame_sequence_ || h.keyframe() != frame_key_ || h.first_row != next_row_)
                return CodecStatus::failure(CodecError::MissingReference,
                                            "lz4-tiles slice of frame " + std::to_string(h.sequence) + " at row " +
                                                std::to_string(h.first_row) + " does not follow the slices before it");
            if (grid_.tile_width != tw || grid_.tile_height != th)
                return corrupt("lz4-tiles slice with another tile size than its frame's first");
        } else if (h.keyframe()) {
            if (grid_.tile_width != tw || grid_.tile_height != th || grid_.width != width()) {
                grid_ = TileGrid(width(), height(), tw, th);
                reference_.assign(grid_.frame_bytes(), 0);
                entry_of_tile_.resize(grid_.count());
                changed_in_.assign(grid_.count(), UINT64_MAX);
                for (Scratch& s : scratch_) s.delta.resize(grid_.slot_bytes());
            }
        } else {
            if (!have_reference_)
                return CodecStatus::failure(CodecError::MissingReference,
                                            "delta frame " + std::to_string(h.sequence) + " without a key frame before it");
            if (h.reference != reference_sequence_)
                return CodecStatus::failure(CodecError::MissingReference,
                                            "delta frame " + std::to_string(h.sequence) + " applies to frame " +
                                                std::to_string(h.reference) + " but the decoder holds frame " +
                                                std::to_string(reference_sequence_));
            if (grid_.tile_width != tw || grid_.tile_height != th)
                return corrupt("lz4-tiles delta frame with another tile size than its key frame");
        }
        // A frame's first packet names the picture it builds (its tiles are marked with it as they change).
        if (!h.slice() || h.first_row == 0) building_ = next_picture_number();
        // The tiles this packet covers: the whole grid, or its slice's tile rows.
        first_tile_ = h.slice() ? h.first_row / th * grid_.columns : 0;
        end_tile_ = h.slice() ? std::min(grid_.rows, (end_row + th - 1) / th) * grid_.columns : grid_.count();
        if (h.slice()) {
            // From here on the reference holds parts of two frames until the last slice: no whole frame or other
            // frame's slice may build on it before then.
            in_frame_ = !h.completes_frame();
            have_reference_ = false;
            frame_sequence_ = h.sequence;
            frame_key_ = h.keyframe();
            next_row_ = end_row;
        } else {
            in_frame_ = false;
        }
        const uint32_t count = get_u32(payload + 8);
        if (count > end_tile_ - first_tile_) return corrupt("lz4-tiles packet with more tiles than it covers");
        if (h.keyframe() && count != end_tile_ - first_tile_) return corrupt("lz4-tiles key frame without every tile");
        const size_t table_end = kPayloadHeaderBytes + size_t(count) * kEntryBytes;
        if (table_end > size) return corrupt("lz4-tiles tile table runs past the payload");
        std::fill(entry_of_tile_.begin(), entry_of_tile_.end(), -1);
        entries_.clear();
        size_t at = table_end;
        int64_t last = -1;
        for (uint32_t e = 0; e < count; ++e) {
            const uint8_t* p = payload + kPayloadHeaderBytes + size_t(e) * kEntryBytes;
            const uint32_t index = get_u32(p);
            const uint8_t method = p[4];
            const size_t bytes = get_u32(p + 8);
            if (int64_t(index) <= last || index < first_tile_ || index >= end_tile_)
                return corrupt("lz4-tiles tile index " + std::to_string(index) + " out of order or out of range");
            last = index;
            if (p[5] || p[6] || p[7]) return corrupt("lz4-tiles entry with non-zero reserved bytes");
            const size_t raw = grid_.bytes(index);
            if (method == kStored) {
                if (bytes != raw) return corrupt("stored lz4-tiles tile of the wrong size");
            } else if (method == kLz4 || method == kLz4Xor) {
                if (method == kLz4Xor && h.keyframe()) return corrupt("lz4-tiles key frame with a delta tile");
                if (bytes == 0 || bytes >= raw) return corrupt("compressed lz4-tiles tile of an impossible size");
            } else {
                return corrupt("lz4-tiles tile with unknown method " + std::to_string(method));
            }
            if (bytes > size - at) return corrupt("lz4-tiles tile data runs past the payload");
            entry_of_tile_[index] = int32_t(entries_.size());
            entries_.push_back({method, get_u32(p + 12), payload + at, bytes});
            at += bytes;
        }
        if (at != size) return corrupt("lz4-tiles payload has " + std::to_string(size - at) + " bytes after its tiles");
        return CodecStatus::success();
    }

    // Expands one tile into the reference and checks it; returns why it failed, or "".
    std::string expand_tile(uint32_t i, const Entry& e, Scratch& scratch) {
        const size_t raw = grid_.bytes(i);
        uint8_t* tile = reference_.data() + grid_.slot_bytes() * i;
        if (e.method == kStored) {
            std::memcpy(tile, e.data, raw);
        } else {
            uint8_t* into = e.method == kLz4 ? tile : scratch.delta.data();
            const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(e.data), reinterpret_cast<char*>(into),
                                              int(e.size), int(raw));
            if (n < 0 || size_t(n) != raw) return "tile " + std::to_string(i) + ": malformed or truncated LZ4 data";
            if (e.method == kLz4Xor) xor_into(tile, into, raw);
        }
        if (tile_checksum(tile, raw) != e.checksum)
            return "tile " + std::to_string(i) + " fails its checksum (damaged, or a delta on another picture)";
        return {};
    }

    TaskPool pool_;
    std::vector<Scratch> scratch_;
    TileGrid grid_;                   // of the last key frame
    std::vector<uint8_t> reference_;  // the last decoded frame's tiles; valid when have_reference_
    std::vector<int32_t> entry_of_tile_;  // this packet's entry for each tile, or -1
    std::vector<uint64_t> changed_in_;    // the picture each tile last changed in (UINT64_MAX before any)
    uint64_t building_ = 0;               // the picture the packets being decoded build
    std::vector<Entry> entries_;
    bool have_reference_ = false;
    uint32_t reference_sequence_ = 0;
    uint32_t first_tile_ = 0, end_tile_ = 0;  // the tiles the packet being decoded covers
    // A frame sent in slices, its first slice decoded and its last not yet.
    bool in_frame_ = false;
    bool frame_key_ = false;
    uint32_t frame_sequence_ = 0;
    uint32_t next_row_ = 0;  // where its next slice starts
};

}  // namespace

int default_lz4_acceleration(uint32_t width, uint32_t height) {
    if (const char* v = std::getenv("ANARCHY_LZ4_ACCELERATION")) {
        const long n = std::strtol(v, nullptr, 10);
        if (n >= 1 && n <= 65537) return int(n);
    }
    // NVIDIA H200 host, server on 8 CPUs, the demo scene at 2560x1600, 3000 frames (bench/device_frames.sh SPLIT=1),
    // acceleration 1 / 6 / 12 / 16 / 24: encode p50 2.3-2.5 / 1.9 / 1.9 / 1.8 / 1.4 ms, present-to-shown p50 5.8-5.9
    // / 5.4 / 5.5 / 5.3 / 5.2 ms, p99 8.3-9.7 / 7.5 / 7.3 / 7.4 / 6.4 ms, bytes +0 / 7 / 12 / 15 / 21 %. At 1920x1080
    // 12 saved 0.1 ms of 3.0 for 14 % more bytes: smaller frames keep LZ4's best ratio.
    return uint64_t(width) * height > uint64_t(1920) * 1088 ? 16 : 1;
}

uint32_t tile_checksum(const uint8_t* data, size_t size) {
    uint64_t a = kPrime1 + kPrime2, b = kPrime2, c = 0, d = 0 - kPrime1;
    size_t i = 0;
    for (; i + 32 <= size; i += 32) {
        a = mix(a, load64(data + i));
        b = mix(b, load64(data + i + 8));
        c = mix(c, load64(data + i + 16));
        d = mix(d, load64(data + i + 24));
    }
    uint64_t h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18) + size;
    for (; i + 8 <= size; i += 8) h = rotl(h ^ mix(0, load64(data + i)), 27) * kPrime1 + kPrime2;
    for (; i < size; ++i) h = rotl(h ^ (data[i] * kPrime1), 11) * kPrime2;
    h ^= h >> 33;
    h *= kPrime2;
    h ^= h >> 29;
    return uint32_t(h ^ (h >> 32));
}

std::unique_ptr<Encoder> make_tiled_encoder(const TiledEncoderOptions& o) {
    if (o.tile_width < kMinTileSide || o.tile_width > kMaxTileSide || o.tile_height < kMinTileSide ||
        o.tile_height > kMaxTileSide)
        return nullptr;
    return std::make_unique<TiledEncoder>(o);
}

std::unique_ptr<Decoder> make_tiled_decoder(uint32_t width, uint32_t height, uint32_t threads) {
    return std::make_unique<TiledDecoder>(width, height, threads);
}

}  // namespace anarchy::video
