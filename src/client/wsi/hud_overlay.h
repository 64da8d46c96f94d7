// A small text HUD (frame rate, per-stage timings) drawn into a decoded BGRA frame in place, at its top-left
// corner: a darkened box with white text in the built-in 5x7 font. Only the box's pixels are read or written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace anarchy::client::wsi {

/// Look of the HUD.
struct HudStyle {
    uint32_t scale = 1;          ///< pixel size of a font dot, 1-4
    uint8_t box_darkness = 160;  ///< how much the box darkens the frame under it: 0 not at all, 255 black
};

/// A rectangle in pixels.
struct HudRect {
    uint32_t x = 0, y = 0, width = 0, height = 0;
    bool empty() const { return width == 0 || height == 0; }
};

/// The HUD's text and where it goes. No allocation: text beyond kMaxChars or kMaxLines is cut off.
class HudOverlay {
public:
    static constexpr size_t kMaxChars = 512;
    static constexpr size_t kMaxLines = 16;

    explicit HudOverlay(HudStyle style = {}) noexcept;

    /// Replaces the text; '\n' separates lines. Characters outside printable ASCII show as '?'.
    void set_text(std::string_view text) noexcept;

    /// The box the text needs at the image's top-left corner, before clipping to an image.
    HudRect box() const noexcept;

    /// Darkens the box and draws the text into a BGRA image (rows `stride` bytes apart). The box is clipped to
    /// the image; its pixels get alpha 255 so the HUD stays visible in windows that blend. Returns the clipped
    /// box: the only pixels touched.
    HudRect draw(uint8_t* bgra, uint32_t width, uint32_t height, uint32_t stride) const noexcept;

private:
    HudStyle style_;
    char text_[kMaxChars] = {};
    size_t length_ = 0;
    uint16_t line_start_[kMaxLines] = {};  ///< offset of each line in text_
    uint16_t line_length_[kMaxLines] = {};
    size_t lines_ = 0;
    size_t longest_ = 0;  ///< characters in the longest line
};

}  // namespace anarchy::client::wsi
