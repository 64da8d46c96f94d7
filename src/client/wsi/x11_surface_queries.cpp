#include "client/wsi/x11_surface_queries.h"

#include <cstdlib>

#include "client/wsi/x11_error.h"

namespace anarchy::client::wsi {
namespace {

// Finds the visual in the connection setup (no round trip) together with the depth it belongs to.
const xcb_visualtype_t* find_visual(const xcb_setup_t* setup, xcb_visualid_t id, uint8_t* depth) {
    for (auto screen = xcb_setup_roots_iterator(setup); screen.rem; xcb_screen_next(&screen)) {
        for (auto d = xcb_screen_allowed_depths_iterator(screen.data); d.rem; xcb_depth_next(&d)) {
            for (auto v = xcb_depth_visuals_iterator(d.data); v.rem; xcb_visualtype_next(&v)) {
                if (v.data->visual_id == id) {
                    *depth = d.data->depth;
                    return v.data;
                }
            }
        }
    }
    return nullptr;
}

uint8_t bits_per_pixel(const xcb_setup_t* setup, uint8_t depth) {
    for (auto f = xcb_setup_pixmap_formats_iterator(setup); f.rem; xcb_format_next(&f))
        if (f.data->depth == depth) return f.data->bits_per_pixel;
    return 0;
}

}  // namespace

std::optional<PixelInfo> x11_visual_pixel_info(xcb_connection_t* conn, xcb_visualid_t visual) {
    if (!conn || xcb_connection_has_error(conn)) return std::nullopt;
    const xcb_setup_t* setup = xcb_get_setup(conn);
    uint8_t depth = 0;
    const xcb_visualtype_t* v = find_visual(setup, visual, &depth);
    if (!v) return std::nullopt;
    // DirectColor is excluded: its pixel values go through a colormap that is rarely the identity.
    if (v->_class != XCB_VISUAL_CLASS_TRUE_COLOR) return std::nullopt;
    if (v->red_mask != 0xff0000u || v->green_mask != 0x00ff00u || v->blue_mask != 0x0000ffu) return std::nullopt;
    if (depth != 24 && depth != 32) return std::nullopt;
    if (bits_per_pixel(setup, depth) != 32) return std::nullopt;
    return PixelInfo{depth, depth == 32};
}

bool x11_visual_supported(xcb_connection_t* conn, xcb_visualid_t visual) {
    return x11_visual_pixel_info(conn, visual).has_value();
}

std::optional<X11WindowInfo> query_x11_window(xcb_connection_t* conn, xcb_window_t window) {
    if (!conn || xcb_connection_has_error(conn)) return std::nullopt;
    // Requests with replies deliver their errors to the reply call, never to the event queue.
    auto geo_cookie = xcb_get_geometry(conn, window);
    auto attr_cookie = xcb_get_window_attributes(conn, window);
    xcb_generic_error_t* err = nullptr;
    xcb_get_geometry_reply_t* geo = xcb_get_geometry_reply(conn, geo_cookie, &err);
    consume_x_error(err, "GetGeometry");
    err = nullptr;
    xcb_get_window_attributes_reply_t* attr = xcb_get_window_attributes_reply(conn, attr_cookie, &err);
    consume_x_error(err, "GetWindowAttributes");
    std::optional<X11WindowInfo> info;
    if (geo && attr) {
        X11WindowInfo i;
        i.extent = {geo->width, geo->height};
        i.root = geo->root;
        i.visual = attr->visual;
        i.pixels.depth = geo->depth;
        if (auto p = x11_visual_pixel_info(conn, attr->visual); p && p->depth == geo->depth) {
            i.pixels = *p;
            i.visual_supported = true;
        }
        info = i;
    }
    std::free(geo);
    std::free(attr);
    return info;
}

}  // namespace anarchy::client::wsi
