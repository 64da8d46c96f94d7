#include "xcb_window.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "check.h"

namespace anarchy::wsitest {

namespace {

constexpr auto kStateTimeout = std::chrono::seconds(3);
constexpr auto kPollInterval = std::chrono::milliseconds(5);

}  // namespace

XcbWindow::XcbWindow(uint32_t width, uint32_t height, const char* title) {
    int screen_number = 0;
    connection_ = xcb_connect(nullptr, &screen_number);
    if (xcb_connection_has_error(connection_)) {
        xcb_disconnect(connection_);
        connection_ = nullptr;
        const char* display = std::getenv("DISPLAY");
        throw TestFailure(strprintf("cannot connect to the X display '%s'",
                                    display && *display ? display : "(DISPLAY unset or empty)"));
    }
    xcb_screen_iterator_t screens = xcb_setup_roots_iterator(xcb_get_setup(connection_));
    for (int i = 0; i < screen_number && screens.rem; ++i) xcb_screen_next(&screens);
    require(screens.rem > 0, "the X display has no screen " + std::to_string(screen_number));
    const xcb_screen_t* screen = screens.data;
    visual_ = screen->root_visual;

    window_ = xcb_generate_id(connection_);
    // A black background so that a frame never presented shows as black in screenshots, not as garbage.
    const uint32_t values[] = {screen->black_pixel};
    xcb_void_cookie_t created = xcb_create_window_checked(
        connection_, XCB_COPY_FROM_PARENT, window_, screen->root, 0, 0, uint16_t(width), uint16_t(height), 0,
        XCB_WINDOW_CLASS_INPUT_OUTPUT, visual_, XCB_CW_BACK_PIXEL, values);
    if (xcb_generic_error_t* error = xcb_request_check(connection_, created)) {
        const int code = error->error_code;
        std::free(error);
        throw TestFailure(strprintf("xcb_create_window %ux%u failed with X error %d", width, height, code));
    }
    xcb_change_property(connection_, XCB_PROP_MODE_REPLACE, window_, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8,
                        uint32_t(std::strlen(title)), title);
    map();
}

XcbWindow::~XcbWindow() {
    if (!connection_) return;
    if (window_) xcb_destroy_window(connection_, window_);
    xcb_flush(connection_);
    xcb_disconnect(connection_);
}

void XcbWindow::throw_if_broken(const char* what) {
    if (xcb_connection_has_error(connection_))
        throw TestFailure(
            strprintf("the X connection broke (error %d) during %s", xcb_connection_has_error(connection_), what));
}

VkExtent2D XcbWindow::geometry() {
    xcb_get_geometry_reply_t* reply =
        xcb_get_geometry_reply(connection_, xcb_get_geometry(connection_, window_), nullptr);
    if (!reply) {
        throw_if_broken("xcb_get_geometry");
        throw TestFailure("xcb_get_geometry of the test window failed");
    }
    const VkExtent2D extent{reply->width, reply->height};
    std::free(reply);
    return extent;
}

bool XcbWindow::viewable() {
    xcb_get_window_attributes_reply_t* reply =
        xcb_get_window_attributes_reply(connection_, xcb_get_window_attributes(connection_, window_), nullptr);
    if (!reply) {
        throw_if_broken("xcb_get_window_attributes");
        throw TestFailure("xcb_get_window_attributes of the test window failed");
    }
    const bool result = reply->map_state == XCB_MAP_STATE_VIEWABLE;
    std::free(reply);
    return result;
}

void XcbWindow::resize(uint32_t width, uint32_t height) {
    const uint32_t values[] = {width, height};
    xcb_configure_window(connection_, window_, XCB_CONFIG_WINDOW_WIDTH | XCB_CONFIG_WINDOW_HEIGHT, values);
    xcb_flush(connection_);
    const auto deadline = std::chrono::steady_clock::now() + kStateTimeout;
    for (;;) {
        const VkExtent2D now = geometry();
        if (now.width == width && now.height == height) return;
        if (std::chrono::steady_clock::now() > deadline)
            throw TestFailure(strprintf("the window is still %s after xcb_configure_window to %ux%u",
                                        extent_text(now).c_str(), width, height));
        std::this_thread::sleep_for(kPollInterval);
    }
}

void XcbWindow::unmap() {
    xcb_unmap_window(connection_, window_);
    xcb_flush(connection_);
    const auto deadline = std::chrono::steady_clock::now() + kStateTimeout;
    while (viewable()) {
        if (std::chrono::steady_clock::now() > deadline)
            throw TestFailure("the window is still viewable after xcb_unmap_window");
        std::this_thread::sleep_for(kPollInterval);
    }
}

void XcbWindow::map() {
    xcb_map_window(connection_, window_);
    xcb_flush(connection_);
    const auto deadline = std::chrono::steady_clock::now() + kStateTimeout;
    while (!viewable()) {
        if (std::chrono::steady_clock::now() > deadline)
            throw TestFailure("the window is not viewable after xcb_map_window");
        std::this_thread::sleep_for(kPollInterval);
    }
}

void XcbWindow::drain_events() {
    while (xcb_generic_event_t* event = xcb_poll_for_event(connection_)) {
        if (event->response_type == 0) {
            const auto* error = reinterpret_cast<const xcb_generic_error_t*>(event);
            const std::string message =
                strprintf("X error %d (request %d.%d, resource 0x%x) on the program's connection", error->error_code,
                          error->major_code, error->minor_code, error->resource_id);
            std::free(event);
            throw TestFailure(message);
        }
        std::free(event);
    }
    throw_if_broken("event processing");
}

}  // namespace anarchy::wsitest
