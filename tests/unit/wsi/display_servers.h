// Private display servers for the WSI tests: an Xvfb on a display number it picks itself (-displayfd) and a
// headless weston in a private runtime directory. Tests never use the caller's DISPLAY or WAYLAND_DISPLAY, and a
// server that cannot start fails the test instead of skipping it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace anarchy::client::wsi::test {

/// A child process killed (SIGTERM, then reaped) on destruction; it also dies if the test process dies first.
class ChildProcess {
public:
    ChildProcess() = default;
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    /// Starts argv[0] (searched in PATH) with extra environment `env` ("NAME=value"; "NAME=" unsets) and its
    /// stdout/stderr appended to `log_path`. `keep_fd` stays open in the child. False with *error on failure.
    bool start(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& log_path,
               int keep_fd, const std::string& cwd, std::string* error);
    /// Waits up to timeout_ms for the child to exit; its exit code, or -1 if it is still running or was killed.
    int wait_exit(int timeout_ms);
    bool running();
    void stop();
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
};

/// Xvfb with one 1280x1024x24 screen, MIT-SHM, BIG-REQUESTS and 32-bit ARGB visuals (Composite).
class XvfbServer {
public:
    /// Starts a server on a free display; check ok() and error(). With `listen_tcp` it also accepts TCP
    /// connections (from this host), which the targets must treat as a remote server.
    explicit XvfbServer(bool listen_tcp = false);
    bool ok() const { return !display_.empty(); }
    const std::string& error() const { return error_; }
    /// ":N", for xcb_connect / XOpenDisplay.
    const std::string& display() const { return display_; }

private:
    ChildProcess process_;
    std::string display_;
    std::string error_;
};

/// The one Xvfb of this test process, started on first use and stopped at exit.
XvfbServer& shared_xvfb();

/// weston with the headless backend, pixman renderer, desktop shell and --debug (so weston-screenshooter may take
/// screenshots), in a fresh XDG_RUNTIME_DIR. (weston 10's kiosk shell never repaints on the headless backend.)
class WestonServer {
public:
    WestonServer(int width, int height);
    ~WestonServer();
    bool ok() const { return ready_; }
    const std::string& error() const { return error_; }
    /// Absolute path of the socket, for wl_display_connect.
    std::string socket_path() const { return runtime_dir_ + "/" + socket_name_; }
    const std::string& runtime_dir() const { return runtime_dir_; }
    const std::string& socket_name() const { return socket_name_; }
    /// The compositor's log so far (for failure messages).
    std::string log() const;

private:
    ChildProcess process_;
    std::string runtime_dir_;
    std::string socket_name_ = "wsi-test";
    bool ready_ = false;
    std::string error_;
};

/// Runs weston-screenshooter against `weston` and loads the screenshot as BGRA bytes. False with *error.
bool take_weston_screenshot(const WestonServer& weston, std::vector<uint8_t>* bgra, uint32_t* width,
                            uint32_t* height, std::string* error);

}  // namespace anarchy::client::wsi::test
