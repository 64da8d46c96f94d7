#include "display_servers.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <poll.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <png.h>
#include <wayland-client.h>

namespace anarchy::client::wsi::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string make_temp_dir(const char* prefix) {
    std::string templ = std::string("/tmp/") + prefix + "XXXXXX";
    if (!mkdtemp(templ.data())) return {};
    chmod(templ.c_str(), 0700);
    return templ;
}

void remove_tree(const std::string& dir) {
    if (dir.empty()) return;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
            unlink((dir + "/" + e->d_name).c_str());
        }
        closedir(d);
    }
    rmdir(dir.c_str());
}

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::start(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         const std::string& log_path, int keep_fd, const std::string& cwd, std::string* error) {
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        *error = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    if (pid == 0) {
        // The server must not outlive a test process that crashes or is killed by ctest's timeout.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(126);
        int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (log >= 0) {
            dup2(log, 1);
            dup2(log, 2);
        }
        if (keep_fd >= 0) fcntl(keep_fd, F_SETFD, 0);
        if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
        for (const std::string& e : env) {
            auto eq = e.find('=');
            std::string name = e.substr(0, eq), value = e.substr(eq + 1);
            if (value.empty())
                unsetenv(name.c_str());
            else
                setenv(name.c_str(), value.c_str(), 1);
        }
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        dprintf(2, "exec %s: %s\n", args[0], std::strerror(errno));
        _exit(127);
    }
    pid_ = pid;
    return true;
}

bool ChildProcess::running() {
    if (pid_ <= 0) return false;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

int ChildProcess::wait_exit(int timeout_ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (pid_ > 0) {
        int status;
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        if (Clock::now() > deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
}

void ChildProcess::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    if (wait_exit(3000) == -1 && pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
}

XvfbServer::XvfbServer(bool listen_tcp) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        error_ = "pipe failed";
        return;
    }
    // -displayfd: Xvfb picks a free display number itself and writes it to the pipe once it accepts clients,
    // so parallel test processes never race for a number.
    std::vector<std::string> argv = {"Xvfb", "-displayfd", std::to_string(fds[1]), "-screen", "0", "1280x1024x24",
                                     listen_tcp ? "-listen" : "-nolisten", "tcp", "-noreset"};
    std::string err;
    bool started = process_.start(argv, {}, "/dev/null", fds[1], "", &err);
    close(fds[1]);
    if (!started) {
        close(fds[0]);
        error_ = err;
        return;
    }
    std::string number;
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    while (Clock::now() < deadline) {
        pollfd p{fds[0], POLLIN, 0};
        if (poll(&p, 1, 100) > 0) {
            char buf[32];
            ssize_t n = read(fds[0], buf, sizeof buf);
            if (n <= 0) break;  // Xvfb exited without a display
            number.append(buf, static_cast<size_t>(n));
            if (number.find('\n') != std::string::npos) break;
        }
    }
    close(fds[0]);
    while (!number.empty() && (number.back() == '\n' || number.back() == ' ')) number.pop_back();
    if (number.empty()) {
        error_ = "Xvfb did not start (is the xvfb package installed?)";
        process_.stop();
        return;
    }
    display_ = ":" + number;
}

namespace {

XvfbServer* g_xvfb = nullptr;

// Stops the shared Xvfb when the test program ends.
class XvfbEnvironment : public ::testing::Environment {
public:
    void TearDown() override {
        delete g_xvfb;
        g_xvfb = nullptr;
    }
};

[[maybe_unused]] ::testing::Environment* const g_xvfb_env = ::testing::AddGlobalTestEnvironment(new XvfbEnvironment);

}  // namespace

XvfbServer& shared_xvfb() {
    if (!g_xvfb) g_xvfb = new XvfbServer();
    return *g_xvfb;
}

WestonServer::WestonServer(int width, int height) {
    runtime_dir_ = make_temp_dir("anarchy-wsi-weston-");
    if (runtime_dir_.empty()) {
        error_ = "mkdtemp failed";
        return;
    }
    // No animations (the startup fade would leave the output black for a while), no panel, no screen lock.
    const std::string config = runtime_dir_ + "/weston.ini";
    {
        std::ofstream ini(config);
        ini << "[core]\nidle-time=0\n"
               "[shell]\nstartup-animation=none\nanimation=none\nclose-animation=none\nfocus-animation=none\n"
               "panel-position=none\nlocking=false\nbackground-color=0xff000000\n";
    }
    std::vector<std::string> argv = {"weston",
                                     "--backend=headless-backend.so",
                                     "--use-pixman",
                                     "--shell=desktop-shell.so",
                                     "--debug",
                                     "--config=" + config,
                                     "--idle-time=0",
                                     "--width=" + std::to_string(width),
                                     "--height=" + std::to_string(height),
                                     "--socket=" + socket_name_};
    std::vector<std::string> env = {"XDG_RUNTIME_DIR=" + runtime_dir_, "WAYLAND_DISPLAY=", "DISPLAY=",
                                    "WAYLAND_SOCKET="};
    std::string err;
    if (!process_.start(argv, env, runtime_dir_ + "/weston.log", -1, runtime_dir_, &err)) {
        error_ = err;
        return;
    }
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    const std::string path = socket_path();
    while (Clock::now() < deadline) {
        if (!process_.running()) {
            error_ = "weston exited (is the weston package installed?):\n" + log();
            return;
        }
        if (access(path.c_str(), F_OK) == 0) {
            if (wl_display* d = wl_display_connect(path.c_str())) {
                int rc = wl_display_roundtrip(d);
                wl_display_disconnect(d);
                if (rc >= 0) {
                    ready_ = true;
                    return;
                }
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    error_ = "weston did not open its socket in time:\n" + log();
}

WestonServer::~WestonServer() {
    process_.stop();
    remove_tree(runtime_dir_);
}

std::string WestonServer::log() const { return read_file(runtime_dir_ + "/weston.log"); }

bool take_weston_screenshot(const WestonServer& weston, std::vector<uint8_t>* bgra, uint32_t* width,
                            uint32_t* height, std::string* error) {
    std::string dir = make_temp_dir("anarchy-wsi-shot-");
    if (dir.empty()) {
        *error = "mkdtemp failed";
        return false;
    }
    ChildProcess shooter;
    std::vector<std::string> env = {"XDG_RUNTIME_DIR=" + weston.runtime_dir(), "WAYLAND_DISPLAY=" + weston.socket_name()};
    if (!shooter.start({"weston-screenshooter"}, env, dir + "/shooter.log", -1, dir, error)) {
        remove_tree(dir);
        return false;
    }
    int rc = shooter.wait_exit(10000);
    std::string png_path;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            std::string n = e->d_name;
            if (n.size() > 4 && n.compare(n.size() - 4, 4, ".png") == 0) png_path = dir + "/" + n;
        }
        closedir(d);
    }
    if (rc != 0 || png_path.empty()) {
        *error = "weston-screenshooter failed (rc " + std::to_string(rc) + "): " + read_file(dir + "/shooter.log");
        remove_tree(dir);
        return false;
    }
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    bool ok = png_image_begin_read_from_file(&image, png_path.c_str()) != 0;
    if (ok) {
        image.format = PNG_FORMAT_BGRA;
        bgra->assign(PNG_IMAGE_SIZE(image), 0);
        ok = png_image_finish_read(&image, nullptr, bgra->data(), 0, nullptr) != 0;
        *width = image.width;
        *height = image.height;
    }
    if (!ok) *error = std::string("reading the screenshot failed: ") + image.message;
    png_image_free(&image);
    remove_tree(dir);
    return ok;
}

}  // namespace anarchy::client::wsi::test
