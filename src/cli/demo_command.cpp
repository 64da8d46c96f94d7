#include "cli/demo_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "cli/paths.h"
#include "cli/run_command.h"
#include "cli/stats_summary.h"
#include "server/server.h"

namespace anarchy::cli {
namespace {

struct SceneResult {
    bool ok = false;
    double fps = 0;
    double seconds = 0;
    int frames = 0;
    std::string device;
    std::string error;
};

/// Runs the scene program with extra environment, streaming its progress to our stderr, parsing its RESULT.
SceneResult run_scene(const std::string& scene, const DemoOptions& o, const std::string& present,
                      const std::string& png, const std::map<std::string, std::string>& env) {
    SceneResult r;
    int out_pipe[2];
    if (pipe(out_pipe) != 0) {
        r.error = "pipe failed";
        return r;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out_pipe[1], 1);
        close(out_pipe[0]);
        close(out_pipe[1]);
        std::vector<std::string> argv = {scene, "--frames", std::to_string(o.frames), "--width", std::to_string(o.width),
                                         "--height", std::to_string(o.height), "--png", png};
        if (present != "none") {
            // MAILBOX: both runs go as fast as they can while the window shows the newest frame.
            for (const char* a : {"--present", present.c_str(), "--present-mode", "mailbox"}) argv.push_back(a);
        }
        _exit(exec_with_environment(argv, env));
    }
    close(out_pipe[1]);
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = read(out_pipe[0], buf, sizeof buf)) > 0) text.append(buf, n);
    close(out_pipe[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("RESULT ", 0) != 0) continue;
        std::sscanf(line.c_str(), "RESULT frames=%d seconds=%lf fps=%lf", &r.frames, &r.seconds, &r.fps);
        auto q = line.find("device=\"");
        if (q != std::string::npos) r.device = line.substr(q + 8, line.rfind('"') - q - 8);
        r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    if (!r.ok) r.error = "the demo scene failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")";
    return r;
}

std::map<std::string, std::string> read_stats(const std::string& path) {
    std::map<std::string, std::string> m;
    std::ifstream f(path);
    std::string tok;
    while (f >> tok) {
        auto eq = tok.find('=');
        if (eq != std::string::npos) m[tok.substr(0, eq)] = tok.substr(eq + 1);
    }
    return m;
}

}  // namespace

int run_demo(const DemoOptions& o) {
    std::string scene = find_companion("anarchy_demo_scene");
    if (scene.empty()) {
        std::fprintf(stderr, "anarchy demo: cannot find anarchy_demo_scene next to %s\n", executable_dir().c_str());
        return 1;
    }
    server::ServerOptions so;
    so.listen = "127.0.0.1:0";
    server::Server srv(so);
    std::string err;
    if (!srv.start(&err)) {
        std::fprintf(stderr, "anarchy demo: cannot start the loopback server: %s\n", err.c_str());
        return 1;
    }
    srv.serve_in_background();
    std::string address = "127.0.0.1:" + std::to_string(srv.port());
    std::fprintf(stderr, "[demo] server listening on %s\n", address.c_str());

    std::string native_png = o.png;
    auto dot = native_png.rfind(".png");
    native_png = (dot == std::string::npos ? native_png : native_png.substr(0, dot)) + "-native.png";

    std::string present = o.present;
    if (present == "auto") {
        const char* display = std::getenv("DISPLAY");
        present = display && *display ? "window" : "none";
    }
    const std::string native_present = present == "headless" ? "none" : present;
    std::fprintf(stderr, "[demo] 1/2 native: %d frames at %dx%d (%s)\n", o.frames, o.width, o.height,
                 native_present == "none" ? "offscreen" : native_present.c_str());
    SceneResult native = run_scene(scene, o, native_present, native_png, {});
    if (!native.ok) {
        std::fprintf(stderr, "anarchy demo: native run failed: %s\n", native.error.c_str());
        return 1;
    }
    std::fprintf(stderr, "[demo] 2/2 remote through %s: %d frames\n", address.c_str(), o.frames);
    auto env = remote_environment(address, &err);
    if (env.empty()) {
        std::fprintf(stderr, "anarchy demo: %s\n", err.c_str());
        return 1;
    }
    char stats_path[] = "/tmp/anarchy-demo-stats-XXXXXX";
    int fd = mkstemp(stats_path);
    if (fd >= 0) close(fd);
    env["ANARCHY_STATS_FILE"] = stats_path;
    char frames_path[] = "/tmp/anarchy-demo-frames-XXXXXX";
    fd = mkstemp(frames_path);
    if (fd >= 0) close(fd);
    std::remove(frames_path);
    if (present != "none") {
        env["ANARCHY_STATS_CSV"] = frames_path;
        env["ANARCHY_HUD"] = "1";
        if (!o.codec.empty()) env["ANARCHY_CODEC"] = o.codec;
    }
    SceneResult remote = run_scene(scene, o, present, o.png, env);
    auto stats = read_stats(stats_path);
    unlink(stats_path);
    srv.stop();
    if (!remote.ok) {
        std::fprintf(stderr, "anarchy demo: remote run failed: %s\n", remote.error.c_str());
        return 1;
    }
    double rt = stats.count("round_trips") ? std::atof(stats["round_trips"].c_str()) : -1;
    std::printf("Anarchy demo: %d frames at %dx%d on %s\n", o.frames, o.width, o.height, remote.device.c_str());
    std::printf("  native : %8.1f frames/s\n", native.fps);
    std::printf("  remote : %8.1f frames/s  (%.2fx native)\n", remote.fps, native.fps > 0 ? remote.fps / native.fps : 0);
    if (rt >= 0)
        std::printf("  round trips: %.0f in the whole run, %.2f per frame (set-up included)\n", rt, rt / o.frames);
    std::printf("  last frame : %s (native: %s)\n", o.png.c_str(), native_png.c_str());
    if (present != "none") {
        std::printf("  presented into %s; per-frame latency of the remote run:\n",
                    present == "window" ? "a window (HUD drawn by the driver)" : "a headless surface");
        std::fflush(stdout);
        std::string why;
        if (!print_stats_summary(frames_path, stdout, &why)) std::printf("  no frame statistics: %s\n", why.c_str());
        std::remove(frames_path);
    }
    return 0;
}

}  // namespace anarchy::cli
