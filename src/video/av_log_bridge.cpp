#include "video/av_log_bridge.h"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "common/log.h"

namespace anarchy::video {

void append_captured_line(const std::string& line);

namespace {

thread_local AvLogCapture* t_capture = nullptr;
// FFmpeg sometimes logs a line in pieces; pieces are joined per thread until the newline.
thread_local std::string t_partial;

void forward(void* avcl, int level, const char* fmt, va_list args) {
    const bool capture = t_capture && level <= AV_LOG_WARNING;
    // Even FFmpeg's fatal messages go to debug: they explain failures (an encoder that cannot open, a damaged
    // packet) that our own result already reports, where they belong.
    const LogLevel ours = level <= AV_LOG_WARNING ? LogLevel::Debug : LogLevel::Trace;
    const bool log = log_enabled(ours, "ffmpeg");
    if (!capture && !log) return;

    char text[1024];
    std::vsnprintf(text, sizeof text, fmt, args);
    t_partial += text;
    if (t_partial.empty() || t_partial.back() != '\n') return;
    t_partial.pop_back();
    std::string line;
    line.swap(t_partial);
    if (line.empty()) return;

    if (capture) append_captured_line(line);
    if (log) {
        const AVClass* cls = avcl ? *static_cast<const AVClass* const*>(avcl) : nullptr;
        const char* who = cls && cls->item_name ? cls->item_name(avcl) : "ffmpeg";
        log_write(ours, "ffmpeg", "%s: %s", who, line.c_str());
    }
}

}  // namespace

void append_captured_line(const std::string& line) {
    std::string& text = t_capture->text_;
    if (text.find(line) != std::string::npos) return;  // FFmpeg repeats itself on retries
    if (!text.empty()) text += "; ";
    text += line;
}

void install_av_log_bridge() {
    static std::once_flag once;
    std::call_once(once, [] { av_log_set_callback(forward); });
}

std::string av_error_text(int error) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(error, text, sizeof text);
    return text;
}

AvLogCapture::AvLogCapture() : outer_(t_capture) { t_capture = this; }

AvLogCapture::~AvLogCapture() { t_capture = outer_; }

std::string AvLogCapture::explain(int error) const {
    const std::string code = av_error_text(error);
    return text_.empty() ? code : text_ + " (" + code + ")";
}

}  // namespace anarchy::video
