// The anarchy command: serve, run, demo (and serve-worker, which the server starts for each session).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cli/connect_command.h"
#include "cli/demo_command.h"
#include "cli/run_command.h"
#include "common/log.h"
#include "server/server.h"
#include "server/session_worker.h"

namespace {

// SIGINT and SIGTERM only write their number here (async-signal-safe); the main thread stops the server.
int g_signal_pipe[2] = {-1, -1};
void on_signal(int sig) {
    const int saved = errno;
    const unsigned char b = static_cast<unsigned char>(sig);
    [[maybe_unused]] ssize_t n = ::write(g_signal_pipe[1], &b, 1);
    errno = saved;
}

/// Blocks until SIGINT or SIGTERM; returns its number.
int wait_for_stop_signal() {
    for (;;) {
        pollfd p{g_signal_pipe[0], POLLIN, 0};
        if (::poll(&p, 1, -1) < 0 && errno != EINTR) return 0;
        unsigned char b = 0;
        if (::read(g_signal_pipe[0], &b, 1) == 1) return b;
    }
}

}  // namespace

int main(int argc, char** argv) {
    anarchy::log_set_component("anarchy");
    CLI::App app{"Anarchy: use a remote machine's GPU through Vulkan"};
    app.require_subcommand(1);

    std::string listen = "127.0.0.1:7400";
    int device = 0;
    auto* serve = app.add_subcommand("serve", "Run the server on the GPU host");
    serve->add_option("--listen", listen, "ADDR:PORT to listen on")->capture_default_str();
    serve->add_option("--device", device, "Index of the GPU to expose (-1: all)")->capture_default_str();
    std::string session_mode = "process";
    serve->add_option("--session-mode", session_mode,
                      "process: each session in a worker process of its own (a driver crash or hang ends that "
                      "session only); thread: every session in the server's process")
        ->capture_default_str()
        ->check(CLI::IsMember({"process", "thread"}));
    double driver_timeout = 30;
    serve->add_option("--driver-timeout", driver_timeout,
                      "Seconds a session may spend on one batch of commands (or its clean-up) before its worker is "
                      "killed (0: never; waits the program asked for do not count)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 86400.0));
    uint64_t worker_memory_mb = 0;
    serve->add_option("--worker-memory", worker_memory_mb,
                      "MiB of resident memory a worker may hold before it is killed (0: no limit)")
        ->capture_default_str();
    uint64_t worker_files = 4096;
    serve->add_option("--worker-max-files", worker_files, "Open files a worker may hold (RLIMIT_NOFILE)")
        ->capture_default_str()
        ->check(CLI::Range(uint64_t(64), uint64_t(1) << 20));
    uint32_t max_sessions = 64;
    serve->add_option("--max-sessions", max_sessions, "Sessions served at once")
        ->capture_default_str()
        ->check(CLI::Range(1u, 100000u));
    double stop_grace = 3;
    serve->add_option("--stop-grace", stop_grace,
                      "Seconds workers have to end their sessions on SIGTERM/SIGINT before they are killed")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 3600.0));

    bool no_spare = false;
    serve->add_flag("--no-spare-worker", no_spare,
                    "Start each session's worker when the client comes (by default one worker waits ready, its "
                    "driver loaded)");

    int control_fd = 3, status_fd = 4;
    bool warm_up = false;
    auto* worker = app.add_subcommand("serve-worker", "One session's worker process (started by `anarchy serve`)");
    worker->group("");  // not for people
    worker->add_option("--control-fd", control_fd, "The server's channel")->capture_default_str();
    worker->add_option("--status-fd", status_fd, "The status page the server's watchdog reads")->capture_default_str();
    worker->add_flag("--warm-up", warm_up, "Load the Vulkan driver before the session comes");

    std::string server_addr;
    std::vector<std::string> program;
    auto* run = app.add_subcommand("run", "Run PROGRAM with the remote GPU as its Vulkan device");
    run->add_option("--server", server_addr, "HOST:PORT of `anarchy serve`")->required();
    anarchy::cli::StreamOptions stream;
    run->add_option("--codec", stream.codec,
                    "Frame codec: auto, raw, lz4, lz4-delta, lz4-tiles, h264, hevc, av1 (default auto: lossless when the "
                    "measured link carries 2 Gbit/s, else h264; a lossless stream that queues on the link moves to h264)")
        ->check(CLI::IsMember({"auto", "raw", "lz4", "lz4-delta", "lz4-tiles", "h264", "hevc", "av1"}));
    run->add_option("--bitrate", stream.bitrate_kbps, "Video bitrate in kbit/s (0: chosen from the resolution)")
        ->check(CLI::Range(0, 1000000));
    run->add_option("--quality", stream.quality, "Constant quality instead of a bitrate (CRF/CQ scale of the codec)")
        ->check(CLI::Range(0, 63));
    run->add_flag("--software-encoder", stream.software_only, "Never try NVENC");
    run->add_flag("--hud", stream.hud, "Draw frames per second and latency on the window (as ANARCHY_HUD=1)");
    run->add_option("--stats", stream.stats, "Write a CSV row per frame to FILE; print p50/p99 per stage at exit");
    run->add_option("program", program, "PROGRAM ARGS... (after --)")->required();

    anarchy::cli::ConnectOptions connect;
    bool no_check = false;
    auto* connect_cmd = app.add_subcommand("connect", "Use the Anarchy server at HOST:PORT for every program (config file)");
    connect_cmd->add_option("server", connect.server, "HOST:PORT of `anarchy serve`")->required();
    connect_cmd->add_option("--codec", connect.codec, "Frame codec to ask for (default auto, as for run)")
        ->check(CLI::IsMember({"auto", "raw", "lz4", "lz4-delta", "lz4-tiles", "h264", "hevc", "av1"}));
    connect_cmd->add_flag("--no-check", no_check, "Write the setting without checking that the server answers");

    anarchy::cli::DemoOptions demo_opts;
    auto* demo = app.add_subcommand("demo", "Render the bundled scene natively and through a loopback server");
    demo->add_option("--frames", demo_opts.frames, "Frames to render")->capture_default_str()->check(CLI::Range(1, 1000000));
    demo->add_option("--width", demo_opts.width)->capture_default_str()->check(CLI::Range(16, 8192));
    demo->add_option("--height", demo_opts.height)->capture_default_str()->check(CLI::Range(16, 8192));
    demo->add_option("--png", demo_opts.png, "Where to write the last remote frame")->capture_default_str();
    demo->add_option("--present", demo_opts.present,
                     "auto (a window when DISPLAY is set), none (offscreen), window, headless")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "none", "window", "headless"}));
    demo->add_option("--codec", demo_opts.codec,
                     "Frame codec of the remote run (auto, raw, lz4, lz4-delta, lz4-tiles, h264, hevc, av1)")
        ->check(CLI::IsMember({"auto", "raw", "lz4", "lz4-delta", "lz4-tiles", "h264", "hevc", "av1"}));

    CLI11_PARSE(app, argc, argv);

    if (*worker) {
        anarchy::log_set_component("anarchy worker " + std::to_string(getpid()));
        std::signal(SIGPIPE, SIG_IGN);
        int status = anarchy::server::run_session_worker(control_fd, status_fd, warm_up);
        // The session is cleaned up; skip the driver's and libraries' exit handlers (a driver's own may hang).
        std::fflush(nullptr);
        _exit(status);
    }
    if (*serve) {
        anarchy::server::ServerOptions so;
        so.listen = listen;
        so.device_index = device < 0 ? UINT32_MAX : static_cast<uint32_t>(device);
        so.session_mode =
            session_mode == "thread" ? anarchy::server::SessionMode::Thread : anarchy::server::SessionMode::Process;
        so.driver_timeout = std::chrono::milliseconds(static_cast<int64_t>(driver_timeout * 1000));
        so.worker_memory_bytes = worker_memory_mb << 20;
        so.worker_max_files = worker_files;
        so.max_sessions = max_sessions;
        so.stop_grace = std::chrono::milliseconds(static_cast<int64_t>(stop_grace * 1000));
        so.spare_worker = !no_spare;
        if (pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
            std::fprintf(stderr, "anarchy serve: pipe: %s\n", std::strerror(errno));
            return 1;
        }
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);
        std::signal(SIGPIPE, SIG_IGN);
        anarchy::server::Server srv(so);
        std::string err;
        if (!srv.start(&err)) {
            std::fprintf(stderr, "anarchy serve: %s\n", err.c_str());
            return 1;
        }
        LOG_INFO("listening on %s (port %u), sessions in %s", listen.c_str(), srv.port(),
                 so.session_mode == anarchy::server::SessionMode::Process ? "worker processes" : "threads");
        srv.serve_in_background();
        int sig = wait_for_stop_signal();
        LOG_INFO("stopping (%s)", sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal");
        srv.stop();
        LOG_INFO("stopped");
        return 0;
    }
    if (*run) {
        std::string err;
        auto env = anarchy::cli::remote_environment(server_addr, &err);
        if (env.empty()) {
            std::fprintf(stderr, "anarchy run: %s\n", err.c_str());
            return 1;
        }
        anarchy::cli::add_stream_environment(stream, env);
        if (!stream.stats.empty()) return anarchy::cli::run_and_summarise(program, env, stream.stats);
        return anarchy::cli::exec_with_environment(program, env);
    }
    if (*connect_cmd) {
        connect.check = !no_check;
        return anarchy::cli::run_connect(connect);
    }
    if (*demo) {
        std::signal(SIGPIPE, SIG_IGN);
        return anarchy::cli::run_demo(demo_opts);
    }
    return 1;
}
