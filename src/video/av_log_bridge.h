// FFmpeg's log, routed into ours, and a way to collect what FFmpeg said while a call failed: avcodec_open2 returns
// only "Generic error in an external library" where its log says "Cannot load libcuda.so.1".
#pragma once

#include <string>

namespace anarchy::video {

/// Routes FFmpeg's log into the project logger (warnings and errors at debug, category "ffmpeg"; the rest at trace). The
/// callback is process-wide; installed once, on first use of any libavcodec backend.
void install_av_log_bridge();

/// The text of an AVERROR code.
std::string av_error_text(int error);

/// While alive, collects the warning and error lines FFmpeg logs on this thread.
class AvLogCapture {
public:
    AvLogCapture();
    ~AvLogCapture();
    AvLogCapture(const AvLogCapture&) = delete;
    AvLogCapture& operator=(const AvLogCapture&) = delete;

    /// The collected lines joined with "; ", or "" if FFmpeg said nothing.
    const std::string& text() const { return text_; }
    /// "<text>: <error text>" or just the error text: the best one-line explanation of error.
    std::string explain(int error) const;

private:
    friend void append_captured_line(const std::string& line);
    std::string text_;
    AvLogCapture* outer_;  // the capture this one shadows on the same thread, restored on destruction
};

}  // namespace anarchy::video
