#include "protocol/arena.h"

#include <cstring>

namespace anarchy::protocol {

void* Arena::alloc(size_t n) {
    if (n > kMaxBytes || used_ + n > kMaxBytes) return nullptr;
    if (n == 0) n = 1;
    size_t need = (n + 15) & ~size_t(15);
    if (blocks_.empty() || blocks_.back().pos + need > blocks_.back().size) {
        size_t sz = need > 64 * 1024 ? need : 64 * 1024;
        Block b;
        b.data.reset(new uint8_t[sz]);
        b.size = sz;
        blocks_.push_back(std::move(b));
    }
    Block& b = blocks_.back();
    void* p = b.data.get() + b.pos;
    b.pos += need;
    used_ += need;
    std::memset(p, 0, need);
    return p;
}

void Arena::reset() {
    if (blocks_.size() > 1) {
        // Keep the largest block so steady-state decoding does not allocate.
        size_t best = 0;
        for (size_t i = 1; i < blocks_.size(); ++i)
            if (blocks_[i].size > blocks_[best].size) best = i;
        Block keep = std::move(blocks_[best]);
        blocks_.clear();
        blocks_.push_back(std::move(keep));
    }
    // One command that needed a huge block (a query result of 1 GiB) must not hold it for the rest of the session.
    if (!blocks_.empty() && blocks_.back().size > kKeepBytes) blocks_.clear();
    if (!blocks_.empty()) blocks_.back().pos = 0;
    used_ = 0;
}

}  // namespace anarchy::protocol
