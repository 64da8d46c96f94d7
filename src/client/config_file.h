// The client driver's settings: an environment variable when set, else the configuration file that
// `anarchy connect` writes (programs on Windows are not started with environment variables).
//
// The file: %ProgramData%\Anarchy\anarchy.conf on Windows; $XDG_CONFIG_HOME/anarchy/anarchy.conf (or
// ~/.config/anarchy/anarchy.conf), then /etc/anarchy/anarchy.conf on Linux. Lines are `key = value`; `#` starts a
// comment. Keys: server (HOST:PORT), codec.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace anarchy::client {

/// The value of setting `key`: the environment variable `env` if set and not empty, else the file's `key`.
std::optional<std::string> client_setting(const char* env, const char* key);

/// Where the configuration file is read from, in order (the first that exists is used).
std::vector<std::string> config_file_paths();

/// Parses `key = value` lines; false and *error (with the line number) on a malformed line.
bool parse_config(const std::string& text, std::vector<std::pair<std::string, std::string>>* out, std::string* error);

/// The folder the driver writes its log file to on Windows (%LocalAppData%\Anarchy); empty elsewhere.
std::string client_log_folder();

/// Creates `path` and its parents if missing; true if it exists afterwards.
bool ensure_folder(const std::string& path);

}  // namespace anarchy::client
