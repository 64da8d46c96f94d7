// Writes an RGB8 image as a PNG file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace anarchy::demo {

/// Writes `rgb` (width * height * 3 bytes, rows top to bottom) to `path`. The file holds no time stamp or
/// other varying chunk, so equal pixels give equal bytes. Throws std::runtime_error on failure.
void write_png_rgb(const std::string& path, uint32_t width, uint32_t height, const std::vector<uint8_t>& rgb);

}  // namespace anarchy::demo
