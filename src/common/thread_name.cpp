#include "common/thread_name.h"

#include <cstring>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#endif

namespace anarchy {

void set_thread_name(const char* name) {
    char cut[16];
    std::strncpy(cut, name, sizeof cut - 1);
    cut[sizeof cut - 1] = 0;
#ifdef _WIN32
    // SetThreadDescription is Windows 10 1607 and later: looked up, so older systems just keep unnamed threads.
    using SetDescription = HRESULT(WINAPI*)(HANDLE, PCWSTR);
    static const auto set = reinterpret_cast<SetDescription>(
        reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "SetThreadDescription")));
    if (!set) return;
    wchar_t wide[16];
    size_t i = 0;
    for (; cut[i]; ++i) wide[i] = wchar_t(static_cast<unsigned char>(cut[i]));
    wide[i] = 0;
    set(GetCurrentThread(), wide);
#else
    pthread_setname_np(pthread_self(), cut);
#endif
}

}  // namespace anarchy
