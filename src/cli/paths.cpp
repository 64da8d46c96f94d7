#include "cli/paths.h"

#include <unistd.h>

#include <climits>
#include <vector>

namespace anarchy::cli {

std::string executable_dir() {
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return ".";
    buf[n] = 0;
    std::string p(buf);
    return p.substr(0, p.rfind('/'));
}

static bool exists(const std::string& p) { return access(p.c_str(), R_OK) == 0; }

std::string find_icd_manifest() {
    std::string dir = executable_dir();
    for (const std::string& p : {dir + "/anarchy_icd.json", dir + "/../share/anarchy/anarchy_icd.json"})
        if (exists(p)) return p;
    return "";
}

std::string find_companion(const std::string& name) {
    std::string dir = executable_dir();
    for (const std::string& p : {dir + "/" + name, dir + "/src/demo/" + name, dir + "/tests/programs/" + name})
        if (access(p.c_str(), X_OK) == 0) return p;
    return "";
}

}  // namespace anarchy::cli
