#include "cli/connect_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "client/config_file.h"
#include "transport/connection.h"
#include "transport/handshake.h"
#include "vk_schema_autogen.h"

namespace anarchy::cli {
namespace {

/// A handshake as the driver makes it, then goodbye: "" when the server accepted us, else why not.
std::string try_server(const std::string& address) {
    std::string err;
    transport::ConnectionOptions co;
    auto conn = transport::tcp_connect(address, std::chrono::milliseconds(3000), co, &err);
    if (!conn) return err;
    transport::PeerInfo mine, theirs;
    mine.schema_hash = protocol::kSchemaHash;
    mine.software = "anarchy " ANARCHY_VERSION;
    mine.role = "probe";
    if (!transport::client_handshake(*conn, mine, &theirs, &err)) return err;
    conn->send(transport::FrameType::Bye, nullptr, 0);
    conn->close();
    std::printf("anarchy connect: %s answers (%s)\n", address.c_str(), theirs.software.c_str());
    return {};
}

/// The file's lines with `key` set to `value` (replacing earlier settings of it, keeping everything else).
std::string with_setting(const std::string& text, const std::string& key, const std::string& value) {
    std::istringstream in(text);
    std::string line, out;
    while (std::getline(in, line)) {
        std::vector<std::pair<std::string, std::string>> entry;
        if (client::parse_config(line, &entry, nullptr) && entry.size() == 1 && entry[0].first == key) continue;
        out += line + "\n";
    }
    return out + key + " = " + value + "\n";
}

}  // namespace

int run_connect(const ConnectOptions& o) {
    if (o.server.find(':') == std::string::npos) {
        std::fprintf(stderr, "anarchy connect: expected HOST:PORT, got \"%s\"\n", o.server.c_str());
        return 2;
    }
    if (o.check) {
        if (std::string why = try_server(o.server); !why.empty()) {
            std::fprintf(stderr, "anarchy connect: no Anarchy server at %s: %s\n"
                                 "(start `anarchy serve --listen 0.0.0.0:PORT` on the GPU host, or pass --no-check)\n",
                         o.server.c_str(), why.c_str());
            return 1;
        }
    }
    std::vector<std::string> paths = client::config_file_paths();
    if (paths.empty()) {
        std::fprintf(stderr, "anarchy connect: no place for the configuration file (is %s set?)\n",
#ifdef _WIN32
                     "ProgramData"
#else
                     "HOME"
#endif
        );
        return 1;
    }
    const std::string& path = paths.front();
    std::string text;
    if (std::ifstream f(path, std::ios::binary); f) {
        std::stringstream ss;
        ss << f.rdbuf();
        text = ss.str();
    }
    text = with_setting(text, "server", o.server);
    if (!o.codec.empty()) text = with_setting(text, "codec", o.codec);
    std::filesystem::path p(path);
    if (!client::ensure_folder(p.parent_path().string())) {
        std::fprintf(stderr, "anarchy connect: cannot create %s\n", p.parent_path().string().c_str());
        return 1;
    }
    // Written beside and renamed over: a driver reading meanwhile sees the old file or the new one.
    std::string temp = path + ".new";
    {
        std::ofstream f(temp, std::ios::binary | std::ios::trunc);
        f << text;
        if (!f.flush()) {
            std::fprintf(stderr, "anarchy connect: cannot write %s\n", temp.c_str());
            return 1;
        }
    }
    std::error_code ec;
    std::filesystem::rename(std::filesystem::path(temp), p, ec);
    if (ec) {
        std::fprintf(stderr, "anarchy connect: cannot replace %s: %s\n", path.c_str(), ec.message().c_str());
        return 1;
    }
    std::printf("anarchy connect: programs now use the GPU at %s (written to %s)\n", o.server.c_str(), path.c_str());
    return 0;
}

}  // namespace anarchy::cli
