// `anarchy run`: start a program with Anarchy's driver as its only Vulkan driver.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace anarchy::cli {

/// The environment a program needs to use the remote GPU at server (HOST:PORT).
std::map<std::string, std::string> remote_environment(const std::string& server, std::string* error);
/// Replaces this process with program (never returns on success). Returns an exit code on failure.
int exec_with_environment(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);

}  // namespace anarchy::cli
