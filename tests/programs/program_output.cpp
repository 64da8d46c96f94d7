#include "program_output.h"

#include "test_context.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace anarchy::testprog {

Output bytes_of(const void* data, size_t size) {
    const auto* begin = static_cast<const uint8_t*>(data);
    return Output(begin, begin + size);
}

Output encode_pam_rgba(uint32_t width, uint32_t height, const void* rgba) {
    char header[128];
    int length =
        std::snprintf(header, sizeof header,
                      "P7\nWIDTH %u\nHEIGHT %u\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n", width, height);
    Output out(header, header + length);
    const auto* pixels = static_cast<const uint8_t*>(rgba);
    out.insert(out.end(), pixels, pixels + size_t(width) * height * 4);
    return out;
}

void TextReport::line(const char* fmt, ...) {
    char buffer[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buffer, sizeof buffer, fmt, args);
    va_end(args);
    std::printf("  %s\n", buffer);
    text_ += buffer;
    text_ += '\n';
}

void write_output_file(const std::string& path, std::span<const uint8_t> bytes) {
    std::filesystem::path file(path);
    std::error_code error;
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), error);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    out.close();
    require(out.good(), "cannot write " + path + ": " + std::strerror(errno));
}

}  // namespace anarchy::testprog
