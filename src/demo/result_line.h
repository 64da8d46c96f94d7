// The one line of stdout a run ends with; `anarchy demo` parses it, so its format is fixed.
#pragma once

#include <cstdint>
#include <string>

namespace anarchy::demo {

/// Prints `RESULT frames=N seconds=S fps=F device="NAME"` and flushes stdout.
void print_result(uint32_t frames, double seconds, const std::string& device_name);

}  // namespace anarchy::demo
