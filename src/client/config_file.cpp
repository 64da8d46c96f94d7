#include "client/config_file.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/log.h"

namespace anarchy::client {
namespace {

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    size_t e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

}  // namespace

std::vector<std::string> config_file_paths() {
    std::vector<std::string> out;
#ifdef _WIN32
    std::string data = env_or_empty("ProgramData");
    if (!data.empty()) out.push_back(data + "\\Anarchy\\anarchy.conf");
#else
    std::string xdg = env_or_empty("XDG_CONFIG_HOME");
    std::string home = env_or_empty("HOME");
    if (!xdg.empty())
        out.push_back(xdg + "/anarchy/anarchy.conf");
    else if (!home.empty())
        out.push_back(home + "/.config/anarchy/anarchy.conf");
    out.push_back("/etc/anarchy/anarchy.conf");
#endif
    return out;
}

bool parse_config(const std::string& text, std::vector<std::pair<std::string, std::string>>* out, std::string* error) {
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        line = trim(line);
        if (line.empty()) continue;
        size_t eq = line.find('=');
        std::string key = eq == std::string::npos ? "" : trim(line.substr(0, eq));
        if (key.empty()) {
            if (error) *error = "line " + std::to_string(number) + ": expected key = value";
            return false;
        }
        out->emplace_back(key, trim(line.substr(eq + 1)));
    }
    return true;
}

std::optional<std::string> client_setting(const char* env, const char* key) {
    if (std::string v = env_or_empty(env); !v.empty()) return v;
    for (const std::string& path : config_file_paths()) {
        std::ifstream f(path, std::ios::binary);
        if (!f) continue;
        std::stringstream text;
        text << f.rdbuf();
        std::vector<std::pair<std::string, std::string>> entries;
        std::string error;
        if (!parse_config(text.str(), &entries, &error)) {
            LOG_ERROR("%s: %s", path.c_str(), error.c_str());
            return std::nullopt;
        }
        std::optional<std::string> found;
        for (auto& [k, v] : entries)
            if (k == key && !v.empty()) found = v;  // the last one wins
        return found;  // only the first file that exists counts
    }
    return std::nullopt;
}

std::string client_log_folder() {
#ifdef _WIN32
    std::string local = env_or_empty("LOCALAPPDATA");
    return local.empty() ? std::string() : local + "\\Anarchy";
#else
    return {};
#endif
}

bool ensure_folder(const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path), ec);
    return std::filesystem::is_directory(std::filesystem::path(path), ec);
}

}  // namespace anarchy::client
