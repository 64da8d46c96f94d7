#include "cli/run_command.h"

#include <sys/wait.h>
#include <csignal>
#include <cstdio>

#include "cli/stats_summary.h"

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

void add_stream_environment(const StreamOptions& o, std::map<std::string, std::string>& env) {
    if (!o.codec.empty()) env["ANARCHY_CODEC"] = o.codec;
    if (o.bitrate_kbps) env["ANARCHY_BITRATE"] = std::to_string(o.bitrate_kbps);
    if (o.quality >= 0) env["ANARCHY_QUALITY"] = std::to_string(o.quality);
    if (o.software_only) env["ANARCHY_HW_ENCODE"] = "0";
    if (o.hud) env["ANARCHY_HUD"] = "1";
    if (!o.stats.empty()) env["ANARCHY_STATS_CSV"] = o.stats;
}

namespace {
pid_t g_child = 0;
void forward_signal(int sig) {
    if (g_child > 0) kill(g_child, sig);
}
}  // namespace

int run_and_summarise(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                      const std::string& csv) {
    std::remove(csv.c_str());  // the driver appends: start from an empty file
    pid_t pid = fork();
    if (pid < 0) {
        std::fprintf(stderr, "anarchy: fork failed: %s\n", std::strerror(errno));
        return 1;
    }
    if (pid == 0) _exit(exec_with_environment(argv, env));
    g_child = pid;
    std::signal(SIGINT, forward_signal);
    std::signal(SIGTERM, forward_signal);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::string err;
    if (!print_stats_summary(csv, stderr, &err)) std::fprintf(stderr, "anarchy: no frame statistics: %s\n", err.c_str());
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
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
