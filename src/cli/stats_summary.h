// Reads the per-frame CSV the client driver writes (`anarchy run --stats FILE`) and prints p50/p99 per stage.
#pragma once

#include <cstdio>
#include <string>

namespace anarchy::cli {

/// Prints a table of p50 and p99 per stage, frames and bytes per frame, to out. False with *error if the file
/// cannot be read or holds no frames.
bool print_stats_summary(const std::string& csv_path, std::FILE* out, std::string* error);

}  // namespace anarchy::cli
