// `anarchy connect HOST:PORT`: checks that an Anarchy server answers there and records it in the client's
// configuration file (client/config_file.h), which the driver reads when ANARCHY_SERVER is not set.
#pragma once

#include <string>

namespace anarchy::cli {

struct ConnectOptions {
    std::string server;   ///< HOST:PORT
    std::string codec;    ///< written too when not empty
    bool check = true;    ///< try a handshake with the server first
};

/// Returns the process exit code; prints what it did (and why it failed) on stdout/stderr.
int run_connect(const ConnectOptions& options);

}  // namespace anarchy::cli
