/* LD_PRELOAD shim for tests: when the program destroys an X window (xcb_destroy_window, or Xlib's XDestroyWindow
 * as Wine's X11 driver calls it for a Win32 window), first writes what the window shows to $ANARCHY_SNAPSHOT as a
 * binary PPM. The same shim runs in native and remote runs of a program, so the two runs' last frames can be
 * compared as the user saw them. Windows smaller than 16x16 and unmapped ones (helper windows) are skipped.
 *
 * Programs that draw until their window is closed (the vkd3d demos) can be driven too:
 *   ANARCHY_CLOSE_AFTER_FRAMES=N  the program's xcb event loop is handed WM_DELETE_WINDOW for its window (what a
 *       window manager sends on close) after N frames: a program polling for events draws a frame each time none
 *       is pending; one waiting for events is handed a synthetic Expose each time none is pending.
 * With fake_clock.c beside it, a time-based animation shows the same last frame in every run. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <X11/Xlib-xcb.h>
#include <X11/Xlib.h>
#include <xcb/xcb.h>

static void snapshot(xcb_connection_t* c, xcb_window_t window) {
    const char* path = getenv("ANARCHY_SNAPSHOT");
    if (!path || !*path) return;
    xcb_get_geometry_reply_t* geo = xcb_get_geometry_reply(c, xcb_get_geometry(c, window), NULL);
    if (!geo) return;
    const unsigned w = geo->width, h = geo->height, depth = geo->depth;
    free(geo);
    if (w < 16 || h < 16) return;
    xcb_get_window_attributes_reply_t* attrs =
        xcb_get_window_attributes_reply(c, xcb_get_window_attributes(c, window), NULL);
    const int viewable = attrs && attrs->map_state == XCB_MAP_STATE_VIEWABLE;
    free(attrs);
    if (!viewable) return;
    xcb_get_image_reply_t* img =
        xcb_get_image_reply(c, xcb_get_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, window, 0, 0, w, h, ~0u), NULL);
    if (!img) {
        fprintf(stderr, "window_snapshot: xcb_get_image of window 0x%x (%ux%u) failed\n", window, w, h);
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

/* Xlib programs (Wine's X11 driver for Win32 windows): the same through the connection Xlib runs on, after what Xlib
 * queued is done. Wine unmaps a window before destroying it, so the last window of 16x16 or more the process
 * created is also taken when it is unmapped; and a Windows program often exits without destroying its window (the
 * window goes with the process), so that window is also taken when the process exits, through a connection of the
 * shim's own (X window ids are global), before the process's connections close. The last snapshot wins. */
static xcb_window_t last_xlib_window;

Window XCreateWindow(Display* dpy, Window parent, int x, int y, unsigned int width, unsigned int height,
                     unsigned int border_width, int depth, unsigned int class_, Visual* visual,
                     unsigned long valuemask, XSetWindowAttributes* attributes) {
    static Window (*real)(Display*, Window, int, int, unsigned, unsigned, unsigned, int, unsigned, Visual*,
                          unsigned long, XSetWindowAttributes*);
    if (!real) real = dlsym(RTLD_NEXT, "XCreateWindow");
    Window w = real(dpy, parent, x, y, width, height, border_width, depth, class_, visual, valuemask, attributes);
    if (width >= 16 && height >= 16) last_xlib_window = (xcb_window_t)w;
    return w;
}

/* Wine hides a Win32 window (XUnmapWindow) before it destroys it: take it while it still shows. */
int XUnmapWindow(Display* dpy, Window window) {
    static int (*real)(Display*, Window);
    if (!real) real = (int (*)(Display*, Window))dlsym(RTLD_NEXT, "XUnmapWindow");
    const char* path = getenv("ANARCHY_SNAPSHOT");
    if (path && *path && (xcb_window_t)window == last_xlib_window) {
        XSync(dpy, False);
        snapshot(XGetXCBConnection(dpy), (xcb_window_t)window);
    }
    return real(dpy, window);
}

int XDestroyWindow(Display* dpy, Window window) {
    static int (*real)(Display*, Window);
    if (!real) real = (int (*)(Display*, Window))dlsym(RTLD_NEXT, "XDestroyWindow");
    const char* path = getenv("ANARCHY_SNAPSHOT");
    if (path && *path) {
        XSync(dpy, False);
        snapshot(XGetXCBConnection(dpy), (xcb_window_t)window);
    }
    if ((xcb_window_t)window == last_xlib_window) last_xlib_window = 0;
    return real(dpy, window);
}

__attribute__((destructor)) static void snapshot_at_exit(void) {
    const char* path = getenv("ANARCHY_SNAPSHOT");
    if (!last_xlib_window || !path || !*path) return;
    xcb_connection_t* c = xcb_connect(NULL, NULL);
    if (!xcb_connection_has_error(c)) snapshot(c, last_xlib_window);
    xcb_disconnect(c);
}

/* --- closing after N frames --- */

static xcb_connection_t* app_conn;  /* the connection and window of the program's first top-level window */
static xcb_window_t app_window;
static long frames_drawn;
static int close_sent;

static long close_after_frames(void) {
    static long n = -2;
    if (n == -2) {
        const char* v = getenv("ANARCHY_CLOSE_AFTER_FRAMES");
        n = v && *v ? strtol(v, NULL, 10) : -1;
    }
    return n;
}

xcb_void_cookie_t xcb_create_window(xcb_connection_t* c, uint8_t depth, xcb_window_t wid, xcb_window_t parent,
                                    int16_t x, int16_t y, uint16_t width, uint16_t height, uint16_t border_width,
                                    uint16_t _class, xcb_visualid_t visual, uint32_t value_mask,
                                    const void* value_list) {
    static xcb_void_cookie_t (*real)(xcb_connection_t*, uint8_t, xcb_window_t, xcb_window_t, int16_t, int16_t,
                                     uint16_t, uint16_t, uint16_t, uint16_t, xcb_visualid_t, uint32_t, const void*);
    if (!real) real = dlsym(RTLD_NEXT, "xcb_create_window");
    if (!app_conn) {
        app_conn = c;
        app_window = wid;
    }
    return real(c, depth, wid, parent, x, y, width, height, border_width, _class, visual, value_mask, value_list);
}

static xcb_atom_t intern(xcb_connection_t* c, const char* name) {
    xcb_intern_atom_reply_t* r = xcb_intern_atom_reply(c, xcb_intern_atom(c, 0, strlen(name), name), NULL);
    xcb_atom_t atom = r ? r->atom : XCB_NONE;
    free(r);
    return atom;
}

/* Events are freed by the program, so they are malloc'd at the size xcb itself allocates. */
static xcb_generic_event_t* new_event(void) {
    return calloc(1, sizeof(xcb_generic_event_t) + 32);
}

static xcb_generic_event_t* delete_window_event(void) {
    xcb_client_message_event_t* e = (xcb_client_message_event_t*)new_event();
    e->response_type = XCB_CLIENT_MESSAGE;
    e->format = 32;
    e->window = app_window;
    e->type = intern(app_conn, "WM_PROTOCOLS");
    e->data.data32[0] = intern(app_conn, "WM_DELETE_WINDOW");
    close_sent = 1;
    fprintf(stderr, "window_snapshot: closing the window after %ld frames\n", frames_drawn);
    return (xcb_generic_event_t*)e;
}

static xcb_generic_event_t* (*real_poll)(xcb_connection_t*);

xcb_generic_event_t* xcb_poll_for_event(xcb_connection_t* c) {
    if (!real_poll) real_poll = dlsym(RTLD_NEXT, "xcb_poll_for_event");
    xcb_generic_event_t* e = real_poll(c);
    if (e || c != app_conn || close_after_frames() < 0 || close_sent) return e;
    if (frames_drawn >= close_after_frames()) return delete_window_event();
    ++frames_drawn;  // no event: the program draws an idle frame
    return NULL;
}

xcb_generic_event_t* xcb_wait_for_event(xcb_connection_t* c) {
    static xcb_generic_event_t* (*real)(xcb_connection_t*);
    if (!real) real = dlsym(RTLD_NEXT, "xcb_wait_for_event");
    if (!real_poll) real_poll = dlsym(RTLD_NEXT, "xcb_poll_for_event");
    if (c != app_conn || close_after_frames() < 0 || close_sent) return real(c);
    xcb_generic_event_t* e = real_poll(c);
    if (e) return e;
    if (frames_drawn >= close_after_frames()) return delete_window_event();
    ++frames_drawn;
    xcb_expose_event_t* ex = (xcb_expose_event_t*)new_event();
    ex->response_type = XCB_EXPOSE;
    ex->window = app_window;
    return (xcb_generic_event_t*)ex;
}
