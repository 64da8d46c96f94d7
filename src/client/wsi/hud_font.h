// The HUD's built-in bitmap font: 5x7 glyphs for printable ASCII (32-126), drawn for this project.
#pragma once

#include <cstdint>

namespace anarchy::client::wsi {

inline constexpr uint32_t kGlyphWidth = 5;
inline constexpr uint32_t kGlyphHeight = 7;

/// Rows of the glyph for `c`, top first; bit 4 is the leftmost column. Characters outside 32-126 get '?'.
const uint8_t* hud_glyph(char c);

}  // namespace anarchy::client::wsi
