// One logger for the whole project. ANARCHY_LOG=error|warn|info|debug|trace sets the level (default info for
// the server and CLI, warn inside the client driver); ANARCHY_LOG_CATEGORIES=wire,memory,... enables debug
// output of those categories only.
#pragma once

#include <cstdarg>
#include <string>

namespace anarchy {

enum class LogLevel { Error = 0, Warn = 1, Info = 2, Debug = 3, Trace = 4 };

/// Sets the level used when ANARCHY_LOG is unset.
void log_set_default_level(LogLevel level);
/// Sets the prefix every line starts with, e.g. "anarchy-server".
void log_set_component(const std::string& name);
/// Also appends every line to the file at `path` (once; later calls keep the first file). False if it cannot be
/// opened. The Windows driver logs to %LocalAppData%\Anarchy, where a program's stderr is usually nowhere.
bool log_set_file(const std::string& path);
bool log_enabled(LogLevel level, const char* category = nullptr);
void log_write(LogLevel level, const char* category, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace anarchy

#define ANARCHY_LOG_AT(level, cat, ...)                                                   \
    do {                                                                                  \
        if (::anarchy::log_enabled(level, cat)) ::anarchy::log_write(level, cat, __VA_ARGS__); \
    } while (0)
#define LOG_ERROR(...) ANARCHY_LOG_AT(::anarchy::LogLevel::Error, nullptr, __VA_ARGS__)
#define LOG_WARN(...) ANARCHY_LOG_AT(::anarchy::LogLevel::Warn, nullptr, __VA_ARGS__)
#define LOG_INFO(...) ANARCHY_LOG_AT(::anarchy::LogLevel::Info, nullptr, __VA_ARGS__)
#define LOG_DEBUG(cat, ...) ANARCHY_LOG_AT(::anarchy::LogLevel::Debug, cat, __VA_ARGS__)
#define LOG_TRACE(cat, ...) ANARCHY_LOG_AT(::anarchy::LogLevel::Trace, cat, __VA_ARGS__)
