// anarchy.exe, the Windows client's command: `connect` records the server the driver uses, `run` starts a program
// with Anarchy as its only Vulkan driver. (The server, `serve`, runs on the Linux GPU host.)
#include <windows.h>

#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/connect_command.h"

namespace {

std::wstring widen(const std::string& s) {
    if (s.empty()) return {};
    int n = ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
    std::wstring out(static_cast<size_t>(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), out.data(), n);
    return out;
}

/// One argument quoted the way CommandLineToArgvW and the C runtime split it back.
std::wstring quote(const std::wstring& arg) {
    if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) return arg;
    std::wstring out = L"\"";
    size_t backslashes = 0;
    for (wchar_t c : arg) {
        if (c == L'\\') {
            ++backslashes;
            continue;
        }
        // Backslashes before a quote are doubled, and the quote escaped; elsewhere they stand for themselves.
        out.append(c == L'"' ? backslashes * 2 + 1 : backslashes, L'\\');
        backslashes = 0;
        out += c;
    }
    out.append(backslashes * 2, L'\\');
    return out + L"\"";
}

std::wstring folder_of_this_exe() {
    std::wstring path(MAX_PATH, L'\0');
    for (;;) {
        DWORD n = ::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
        if (n < path.size()) {
            path.resize(n);
            break;
        }
        path.resize(path.size() * 2);
    }
    size_t slash = path.find_last_of(L"\\/");
    return slash == std::wstring::npos ? L"." : path.substr(0, slash);
}

/// Starts the program with the loader pointed at our manifest only, waits, and returns its exit code.
int run_program(const std::vector<std::string>& program, const std::string& server, const std::string& codec) {
    std::wstring manifest = folder_of_this_exe() + L"\\anarchy_icd.json";
    if (::GetFileAttributesW(manifest.c_str()) == INVALID_FILE_ATTRIBUTES) {
        std::fprintf(stderr, "anarchy run: no anarchy_icd.json beside anarchy.exe (reinstall Anarchy)\n");
        return 1;
    }
    // Both names: VK_DRIVER_FILES for new loaders, VK_ICD_FILENAMES for old ones; and the driver filter of loaders
    // since 1.3.234, for a program that also finds other drivers. The loader ignores all three in an elevated
    // (administrator) program, as every program under Wine is; there it uses the drivers registered by the
    // installer.
    ::SetEnvironmentVariableW(L"VK_DRIVER_FILES", manifest.c_str());
    ::SetEnvironmentVariableW(L"VK_ICD_FILENAMES", manifest.c_str());
    ::SetEnvironmentVariableW(L"VK_LOADER_DRIVERS_SELECT", L"*anarchy_icd.json");
    if (!server.empty()) ::SetEnvironmentVariableW(L"ANARCHY_SERVER", widen(server).c_str());
    if (!codec.empty()) ::SetEnvironmentVariableW(L"ANARCHY_CODEC", widen(codec).c_str());
    std::wstring command_line;
    for (const std::string& a : program) command_line += (command_line.empty() ? L"" : L" ") + quote(widen(a));
    STARTUPINFOW si{};
    si.cb = sizeof si;
    PROCESS_INFORMATION pi{};
    if (!::CreateProcessW(nullptr, command_line.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si, &pi)) {
        std::fprintf(stderr, "anarchy run: cannot start %s (error %lu)\n", program[0].c_str(), ::GetLastError());
        return 1;
    }
    ::WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 1;
    ::GetExitCodeProcess(pi.hProcess, &code);
    ::CloseHandle(pi.hThread);
    ::CloseHandle(pi.hProcess);
    return static_cast<int>(code);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Anarchy: use a remote machine's GPU through Vulkan"};
    app.require_subcommand(1);

    anarchy::cli::ConnectOptions connect;
    auto* connect_cmd = app.add_subcommand("connect", "Use the Anarchy server at HOST:PORT for every program");
    connect_cmd->add_option("server", connect.server, "HOST:PORT of `anarchy serve`")->required();
    connect_cmd->add_option("--codec", connect.codec, "Frame codec to ask for (auto, raw, lz4, lz4-delta, lz4-tiles, h264, hevc)")
        ->check(CLI::IsMember({"auto", "raw", "lz4", "lz4-delta", "lz4-tiles", "h264", "hevc"}));
    bool no_check = false;
    connect_cmd->add_flag("--no-check", no_check, "Write the setting without checking that the server answers");

    std::string server, codec;
    std::vector<std::string> program;
    auto* run = app.add_subcommand("run", "Run PROGRAM with the remote GPU as its only Vulkan device");
    run->add_option("--server", server, "HOST:PORT (default: the one `anarchy connect` recorded)");
    run->add_option("--codec", codec,
                    "Frame codec (auto, raw, lz4, lz4-delta, lz4-tiles, h264, hevc: these two where Media Foundation "
                    "decodes them)")
        ->check(CLI::IsMember({"auto", "raw", "lz4", "lz4-delta", "lz4-tiles", "h264", "hevc"}));
    run->add_option("program", program, "PROGRAM ARGS... (after --)")->required();

    CLI11_PARSE(app, argc, argv);
    if (*connect_cmd) {
        connect.check = !no_check;
        return anarchy::cli::run_connect(connect);
    }
    if (*run) return run_program(program, server, codec);
    return 1;
}
