/* LD_PRELOAD shim for tests: ANARCHY_FAKE_CLOCK=STEP_US[:FREEZE] makes gettimeofday, when the program itself
 * calls it (not its libraries or the driver), advance STEP_US per call and stop after FREEZE calls. Demos that
 * animate by wall-clock time (glxgears, vkd3d-gears) then draw the same frames in every run, native or remote;
 * frames drawn after the freeze are identical, which covers a remote frame still on its way when the window goes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static int first_object_base(struct dl_phdr_info* info, size_t size, void* out) {
    (void)size;
    *(uintptr_t*)out = info->dlpi_addr;
    return 1;  // the first object listed is the program itself
}

static int called_from_program(const void* caller) {
    static uintptr_t base = 1;
    if (base == 1) dl_iterate_phdr(first_object_base, &base);
    Dl_info info;
    return dladdr(caller, &info) && (uintptr_t)info.dli_fbase == base;
}

int gettimeofday(struct timeval* restrict tv, void* restrict tz) {
    static int (*real)(struct timeval*, void*);
    static long step_us = -2, freeze = -1, calls = 0;
    if (!real) real = (int (*)(struct timeval*, void*))dlsym(RTLD_NEXT, "gettimeofday");
    if (step_us == -2) {
        const char* v = getenv("ANARCHY_FAKE_CLOCK");
        step_us = v && *v ? strtol(v, NULL, 10) : -1;
        const char* colon = v ? strchr(v, ':') : NULL;
        if (colon) freeze = strtol(colon + 1, NULL, 10);
    }
    if (step_us < 0 || !called_from_program(__builtin_return_address(0))) return real(tv, tz);
    if (freeze < 0 || calls < freeze) ++calls;
    const long long us = 1000000000000LL + (long long)calls * step_us;  // any fixed start will do
    tv->tv_sec = (time_t)(us / 1000000);
    tv->tv_usec = (suseconds_t)(us % 1000000);
    if (tz) memset(tz, 0, sizeof(struct timezone));
    return 0;
}
