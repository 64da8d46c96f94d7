// `anarchy run`: start a program with Anarchy's driver as its only Vulkan driver.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace anarchy::cli {

/// The environment a program needs to use the remote GPU at server (HOST:PORT).
std::map<std::string, std::string> remote_environment(const std::string& server, std::string* error);
/// How frames come back (`anarchy run` options); empty/unset fields leave the driver's defaults.
struct StreamOptions {
    std::string codec;
    uint32_t bitrate_kbps = 0;
    int quality = -1;
    bool software_only = false;
    bool hud = false;
    std::string stats;  ///< CSV path
};
/// Adds the driver's variables for the stream options (ANARCHY_CODEC, ANARCHY_STATS_CSV, ...).
void add_stream_environment(const StreamOptions& options, std::map<std::string, std::string>& env);
/// Runs program as a child, waits for it, then prints the stats summary of csv. Returns the child's exit code.
int run_and_summarise(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                      const std::string& csv);
/// Replaces this process with program (never returns on success). Returns an exit code on failure.
int exec_with_environment(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);

}  // namespace anarchy::cli
