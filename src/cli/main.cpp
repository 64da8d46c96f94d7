// The anarchy command: serve, run, demo.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/demo_command.h"
#include "cli/run_command.h"
#include "common/log.h"
#include "server/server.h"

namespace {
anarchy::server::Server* g_server = nullptr;
void on_signal(int) {
    if (g_server) g_server->stop();
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

    std::string server_addr;
    std::vector<std::string> program;
    auto* run = app.add_subcommand("run", "Run PROGRAM with the remote GPU as its Vulkan device");
    run->add_option("--server", server_addr, "HOST:PORT of `anarchy serve`")->required();
    anarchy::cli::StreamOptions stream;
    run->add_option("--codec", stream.codec,
                    "Frame codec: raw, lz4, lz4-delta, lz4-tiles, h264, hevc, av1 (default: lz4-tiles on loopback, h264 "
                    "otherwise)")
        ->check(CLI::IsMember({"raw", "lz4", "lz4-delta", "lz4-tiles", "h264", "hevc", "av1"}));
    run->add_option("--bitrate", stream.bitrate_kbps, "Video bitrate in kbit/s (0: chosen from the resolution)")
        ->check(CLI::Range(0, 1000000));
    run->add_option("--quality", stream.quality, "Constant quality instead of a bitrate (CRF/CQ scale of the codec)")
        ->check(CLI::Range(0, 63));
    run->add_flag("--software-encoder", stream.software_only, "Never try NVENC");
    run->add_flag("--hud", stream.hud, "Draw frames per second and latency on the window (as ANARCHY_HUD=1)");
    run->add_option("--stats", stream.stats, "Write a CSV row per frame to FILE; print p50/p99 per stage at exit");
    run->add_option("program", program, "PROGRAM ARGS... (after --)")->required();

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
                     "Frame codec of the remote run (raw, lz4, lz4-delta, lz4-tiles, h264, hevc, av1)")
        ->check(CLI::IsMember({"raw", "lz4", "lz4-delta", "lz4-tiles", "h264", "hevc", "av1"}));

    CLI11_PARSE(app, argc, argv);

    if (*serve) {
        anarchy::server::ServerOptions so;
        so.listen = listen;
        so.device_index = device < 0 ? UINT32_MAX : static_cast<uint32_t>(device);
        anarchy::server::Server srv(so);
        std::string err;
        if (!srv.start(&err)) {
            std::fprintf(stderr, "anarchy serve: %s\n", err.c_str());
            return 1;
        }
        g_server = &srv;
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
        std::signal(SIGPIPE, SIG_IGN);
        LOG_INFO("listening on %s (port %u)", listen.c_str(), srv.port());
        srv.serve();
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
    if (*demo) {
        std::signal(SIGPIPE, SIG_IGN);
        return anarchy::cli::run_demo(demo_opts);
    }
    return 1;
}
