/* LD_PRELOAD shim for tests: when the program destroys an X window (xcb_destroy_window), first writes what the
 * window shows to $ANARCHY_SNAPSHOT as a binary PPM. The same shim runs in native and remote runs of a program,
 * so the two runs' last frames can be compared as the user saw them. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xcb/xcb.h>

static void snapshot(xcb_connection_t* c, xcb_window_t window) {
    const char* path = getenv("ANARCHY_SNAPSHOT");
    if (!path || !*path) return;
    xcb_get_geometry_reply_t* geo = xcb_get_geometry_reply(c, xcb_get_geometry(c, window), NULL);
    if (!geo) return;
    const unsigned w = geo->width, h = geo->height, depth = geo->depth;
    free(geo);
    xcb_get_image_reply_t* img =
        xcb_get_image_reply(c, xcb_get_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, window, 0, 0, w, h, ~0u), NULL);
    if (!img) {
        fprintf(stderr, "window_snapshot: xcb_get_image failed\n");
        return;
    }
    const uint8_t* px = xcb_get_image_data(img);
    const int len = xcb_get_image_data_length(img);
    if (depth < 24 || len < (int)(w * h * 4)) {
        fprintf(stderr, "window_snapshot: unsupported depth %u or short image\n", depth);
        free(img);
        return;
    }
    FILE* f = fopen(path, "wb");
    if (f) {
        fprintf(f, "P6\n%u %u\n255\n", w, h);
        for (unsigned i = 0; i < w * h; ++i) {
            const uint8_t rgb[3] = {px[i * 4 + 2], px[i * 4 + 1], px[i * 4 + 0]};
            fwrite(rgb, 1, 3, f);
        }
        fclose(f);
        fprintf(stderr, "window_snapshot: wrote %ux%u to %s\n", w, h, path);
    }
    free(img);
}

xcb_void_cookie_t xcb_destroy_window(xcb_connection_t* c, xcb_window_t window) {
    static xcb_void_cookie_t (*real)(xcb_connection_t*, xcb_window_t);
    if (!real) real = (xcb_void_cookie_t(*)(xcb_connection_t*, xcb_window_t))dlsym(RTLD_NEXT, "xcb_destroy_window");
    snapshot(c, window);
    return real(c, window);
}
