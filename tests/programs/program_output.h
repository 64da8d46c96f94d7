// How programs hand back their output: raw bytes, an RGBA image as a PAM file, or a text report of facts.
// Whatever goes into the output must be identical between runs and between the native and remote driver.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace anarchy::testprog {

using Output = std::vector<uint8_t>;

/// A copy of `size` bytes at `data`.
Output bytes_of(const void* data, size_t size);

/// Tightly packed RGBA8 pixels behind a PAM (P7) header, so the file opens in ordinary image viewers.
Output encode_pam_rgba(uint32_t width, uint32_t height, const void* rgba);

/// Lines of deterministic facts; each line is echoed to stdout as it is added.
class TextReport {
public:
    void line(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
    Output bytes() const { return Output(text_.begin(), text_.end()); }

private:
    std::string text_;
};

/// Writes `bytes` to `path`, creating parent directories; throws TestFailure on failure.
void write_output_file(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace anarchy::testprog
