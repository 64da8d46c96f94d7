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
    run->add_option("program", program, "PROGRAM ARGS... (after --)")->required();

    anarchy::cli::DemoOptions demo_opts;
    auto* demo = app.add_subcommand("demo", "Render the bundled scene natively and through a loopback server");
    demo->add_option("--frames", demo_opts.frames, "Frames to render")->capture_default_str()->check(CLI::Range(1, 1000000));
    demo->add_option("--width", demo_opts.width)->capture_default_str()->check(CLI::Range(16, 8192));
    demo->add_option("--height", demo_opts.height)->capture_default_str()->check(CLI::Range(16, 8192));
    demo->add_option("--png", demo_opts.png, "Where to write the last remote frame")->capture_default_str();

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
        return anarchy::cli::exec_with_environment(program, env);
    }
    if (*demo) {
        std::signal(SIGPIPE, SIG_IGN);
        return anarchy::cli::run_demo(demo_opts);
    }
    return 1;
}
