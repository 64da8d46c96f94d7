#include "png_writer.h"

#include <png.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace anarchy::demo {
namespace {

// libpng reports errors by longjmp; this function holds no objects with destructors, so jumping out of
// libpng back into it is safe. Returns an error message, or nullptr on success.
const char* write_rows(FILE* file, uint32_t width, uint32_t height, png_bytep* rows) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    if (!png) return "png_create_write_struct failed";
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, nullptr);
        return "png_create_info_struct failed";
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return "libpng failed while writing";
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return nullptr;
}

}  // namespace

void write_png_rgb(const std::string& path, uint32_t width, uint32_t height, const std::vector<uint8_t>& rgb) {
    if (rgb.size() != size_t(width) * height * 3) throw std::runtime_error("write_png_rgb: pixel buffer has the wrong size");
    std::vector<png_bytep> rows(height);
    for (uint32_t y = 0; y < height; ++y) rows[y] = const_cast<png_bytep>(&rgb[size_t(y) * width * 3]);

    FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) throw std::runtime_error("cannot open " + path + " for writing: " + std::strerror(errno));
    const char* error = write_rows(file, width, height, rows.data());
    const bool closed = std::fclose(file) == 0;
    if (error) throw std::runtime_error(path + ": " + error);
    if (!closed) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

}  // namespace anarchy::demo
