/* LD_PRELOAD shim for tests of OpenGL programs on X11 (glxgears through zink): at the Nth glXSwapBuffers
 * (ANARCHY_GL_DUMP_FRAME=N) reads the back buffer with glReadPixels, writes it to $ANARCHY_SNAPSHOT as a binary
 * PPM, and sends the window an Escape key press, so the program ends the way a user ends it. The read goes through
 * the GL driver (zink: a Vulkan copy and a mapped buffer), so a native and a remote run can be compared exactly. */
#define _GNU_SOURCE
#include <GL/gl.h>
#include <GL/glx.h>
#include <X11/Xlib.h>
#include <X11/keysym.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static void dump_back_buffer(const char* path) {
    GLint vp[4] = {0, 0, 0, 0};
    glGetIntegerv(GL_VIEWPORT, vp);
    const int w = vp[2], h = vp[3];
    unsigned char* px = malloc((size_t)w * h * 4);
    if (!px || w <= 0 || h <= 0) {
        free(px);
        return;
    }
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, px);
    FILE* f = fopen(path, "wb");
    if (f) {
        fprintf(f, "P6\n%d %d\n255\n", w, h);
        for (int y = h - 1; y >= 0; --y)  // GL rows go bottom-up
            for (int x = 0; x < w; ++x) fwrite(px + ((size_t)y * w + x) * 4, 1, 3, f);
        fclose(f);
        fprintf(stderr, "gl_frame_dump: wrote %dx%d to %s\n", w, h, path);
    }
    free(px);
}

static void press_escape(Display* dpy, Window window) {
    XKeyEvent key = {0};
    key.type = KeyPress;
    key.display = dpy;
    key.window = window;
    key.root = DefaultRootWindow(dpy);
    key.same_screen = True;
    key.keycode = XKeysymToKeycode(dpy, XK_Escape);
    XSendEvent(dpy, window, True, KeyPressMask, (XEvent*)&key);
    XFlush(dpy);
}

void glXSwapBuffers(Display* dpy, GLXDrawable drawable) {
    static void (*real)(Display*, GLXDrawable);
    static long frames, dump_at = -2;
    if (!real) real = (void (*)(Display*, GLXDrawable))dlsym(RTLD_NEXT, "glXSwapBuffers");
    if (dump_at == -2) {
        const char* v = getenv("ANARCHY_GL_DUMP_FRAME");
        dump_at = v && *v ? strtol(v, NULL, 10) : -1;
    }
    if (++frames == dump_at) {
        const char* path = getenv("ANARCHY_SNAPSHOT");
        if (path && *path) dump_back_buffer(path);
        press_escape(dpy, (Window)drawable);
    }
    real(dpy, drawable);
}
