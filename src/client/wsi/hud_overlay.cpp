#include "client/wsi/hud_overlay.h"

#include <algorithm>

#include "client/wsi/hud_font.h"

namespace anarchy::client::wsi {
namespace {

// Layout in font dots (multiplied by the scale): padding around the text, gaps between glyphs and lines.
constexpr uint32_t kPadding = 3;
constexpr uint32_t kGlyphGap = 1;
constexpr uint32_t kLineGap = 2;

}  // namespace

HudOverlay::HudOverlay(HudStyle style) noexcept : style_(style) {
    style_.scale = std::clamp<uint32_t>(style_.scale, 1, 4);
}

void HudOverlay::set_text(std::string_view text) noexcept {
    length_ = std::min(text.size(), kMaxChars);
    std::copy_n(text.data(), length_, text_);
    lines_ = 0;
    longest_ = 0;
    size_t start = 0;
    for (size_t i = 0; i <= length_ && lines_ < kMaxLines; ++i) {
        if (i == length_ || text_[i] == '\n') {
            line_start_[lines_] = static_cast<uint16_t>(start);
            line_length_[lines_] = static_cast<uint16_t>(i - start);
            longest_ = std::max(longest_, i - start);
            ++lines_;
            start = i + 1;
        }
    }
    // A trailing newline does not make an empty last line.
    if (lines_ > 0 && line_length_[lines_ - 1] == 0 && length_ > 0 && text_[length_ - 1] == '\n') --lines_;
    if (length_ == 0) lines_ = 0;
}

HudRect HudOverlay::box() const noexcept {
    if (lines_ == 0) return {};
    const uint32_t s = style_.scale;
    const uint32_t advance = (kGlyphWidth + kGlyphGap) * s;
    const uint32_t line_height = (kGlyphHeight + kLineGap) * s;
    const uint32_t text_w = longest_ > 0 ? static_cast<uint32_t>(longest_) * advance - kGlyphGap * s : 0;
    const uint32_t text_h = static_cast<uint32_t>(lines_) * line_height - kLineGap * s;
    return {0, 0, text_w + 2 * kPadding * s, text_h + 2 * kPadding * s};
}

HudRect HudOverlay::draw(uint8_t* bgra, uint32_t width, uint32_t height, uint32_t stride) const noexcept {
    HudRect r = box();
    if (!bgra || r.empty() || stride < size_t{width} * 4) return {};
    r.width = std::min(r.width, width);
    r.height = std::min(r.height, height);
    if (r.empty()) return {};

    // Darken: c * (256 - darkness) / 256, exact enough and free of divisions.
    const uint32_t keep = 256u - style_.box_darkness;
    for (uint32_t y = 0; y < r.height; ++y) {
        uint8_t* p = bgra + size_t{y} * stride;
        for (uint32_t x = 0; x < r.width; ++x, p += 4) {
            p[0] = static_cast<uint8_t>((p[0] * keep) >> 8);
            p[1] = static_cast<uint8_t>((p[1] * keep) >> 8);
            p[2] = static_cast<uint8_t>((p[2] * keep) >> 8);
            p[3] = 255;
        }
    }

    const uint32_t s = style_.scale;
    const uint32_t pad = kPadding * s;
    const uint32_t advance = (kGlyphWidth + kGlyphGap) * s;
    const uint32_t line_height = (kGlyphHeight + kLineGap) * s;
    for (size_t line = 0; line < lines_; ++line) {
        const uint32_t top = pad + static_cast<uint32_t>(line) * line_height;
        if (top >= r.height) break;
        for (size_t i = 0; i < line_length_[line]; ++i) {
            const uint32_t left = pad + static_cast<uint32_t>(i) * advance;
            if (left >= r.width) break;
            const uint8_t* rows = hud_glyph(text_[line_start_[line] + i]);
            for (uint32_t gy = 0; gy < kGlyphHeight; ++gy) {
                for (uint32_t gx = 0; gx < kGlyphWidth; ++gx) {
                    if (!(rows[gy] & (0x10u >> gx))) continue;
                    // One font dot: an s x s block, clipped to the box.
                    const uint32_t x0 = left + gx * s, y0 = top + gy * s;
                    const uint32_t x1 = std::min(x0 + s, r.width), y1 = std::min(y0 + s, r.height);
                    for (uint32_t y = y0; y < y1; ++y) {
                        uint8_t* p = bgra + size_t{y} * stride + size_t{x0} * 4;
                        for (uint32_t x = x0; x < x1; ++x, p += 4) p[0] = p[1] = p[2] = p[3] = 255;
                    }
                }
            }
        }
    }
    return r;
}

}  // namespace anarchy::client::wsi
