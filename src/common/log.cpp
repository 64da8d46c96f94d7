#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace anarchy {
namespace {

struct LogState {
    std::atomic<int> level{-1};
    int default_level = static_cast<int>(LogLevel::Info);
    std::string component = "anarchy";
    std::string categories;  // empty: all categories
    std::mutex mu;
    bool env_read = false;
    FILE* file = nullptr;  // a copy of every line (log_set_file), never closed

    void read_env() {
        if (env_read) return;
        env_read = true;
        if (const char* c = std::getenv("ANARCHY_LOG_CATEGORIES")) categories = std::string(",") + c + ",";
        int lv = default_level;
        if (const char* e = std::getenv("ANARCHY_LOG")) {
            static const char* names[] = {"error", "warn", "info", "debug", "trace"};
            for (int i = 0; i < 5; ++i)
                if (std::strcmp(e, names[i]) == 0) lv = i;
        }
        level.store(lv);
    }
};

LogState& state() {
    static LogState* s = new LogState();  // never destroyed: logging may happen during static teardown
    return *s;
}

}  // namespace

void log_set_default_level(LogLevel level) {
    LogState& s = state();
    std::lock_guard<std::mutex> lock(s.mu);
    s.default_level = static_cast<int>(level);
    s.env_read = false;
    s.read_env();
}

void log_set_component(const std::string& name) {
    LogState& s = state();
    std::lock_guard<std::mutex> lock(s.mu);
    s.component = name;
}

bool log_enabled(LogLevel level, const char* category) {
    LogState& s = state();
    int lv = s.level.load(std::memory_order_relaxed);
    if (lv < 0) {
        std::lock_guard<std::mutex> lock(s.mu);
        s.read_env();
        lv = s.level.load();
    }
    if (static_cast<int>(level) > lv) return false;
    if (category && level >= LogLevel::Debug && !s.categories.empty())
        return s.categories.find(std::string(",") + category + ",") != std::string::npos;
    return true;
}

void log_write(LogLevel level, const char* category, const char* fmt, ...) {
    static const char* tags[] = {"error", "warn", "info", "debug", "trace"};
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    LogState& s = state();
    std::lock_guard<std::mutex> lock(s.mu);
    for (FILE* out : {stderr, s.file}) {
        if (!out) continue;
        if (category)
            std::fprintf(out, "[%s %s %s] %s\n", s.component.c_str(), tags[static_cast<int>(level)], category, msg);
        else
            std::fprintf(out, "[%s %s] %s\n", s.component.c_str(), tags[static_cast<int>(level)], msg);
        if (out != stderr) std::fflush(out);
    }
}

bool log_set_file(const std::string& path) {
    LogState& s = state();
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.file) return true;
    s.file = std::fopen(path.c_str(), "a");
    return s.file != nullptr;
}

}  // namespace anarchy
