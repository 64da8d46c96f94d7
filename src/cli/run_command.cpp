#include "cli/run_command.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/paths.h"

namespace anarchy::cli {

std::map<std::string, std::string> remote_environment(const std::string& server, std::string* error) {
    std::map<std::string, std::string> env;
    std::string manifest = find_icd_manifest();
    if (manifest.empty()) {
        if (error) *error = "cannot find anarchy_icd.json next to " + executable_dir();
        return env;
    }
    env["ANARCHY_SERVER"] = server;
    // Both names: VK_DRIVER_FILES for new loaders, VK_ICD_FILENAMES for old ones. Only our driver is seen.
    env["VK_DRIVER_FILES"] = manifest;
    env["VK_ICD_FILENAMES"] = manifest;
    return env;
}

int exec_with_environment(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
    for (auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "anarchy: cannot start %s: %s\n", argv[0].c_str(), std::strerror(errno));
    return 127;
}

}  // namespace anarchy::cli
