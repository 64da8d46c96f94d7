#include "xcb_window.h"

#include "vulkan_error.h"

#include <vulkan/vulkan_xcb.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace anarchy::demo {
namespace {

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};
/// xcb replies and events are malloc'd and freed by the caller.
template <typename T>
using XcbPtr = std::unique_ptr<T, FreeDeleter>;

void set_string_property(xcb_connection_t* connection, xcb_window_t window, xcb_atom_t property, xcb_atom_t type,
                         const std::string& value) {
    xcb_change_property(connection, XCB_PROP_MODE_REPLACE, window, property, type, 8, uint32_t(value.size()),
                        value.data());
}

}  // namespace

XcbWindow::XcbWindow(VkExtent2D extent, const std::string& title) : extent_(extent) {
    const char* display = std::getenv("DISPLAY");
    if (display == nullptr || *display == '\0') {
        throw std::runtime_error("--present window needs an X display, but DISPLAY is not set");
    }
    int screen_number = 0;
    connection_.reset(xcb_connect(display, &screen_number));  // never null: a failed one carries an error
    if (xcb_connection_has_error(connection_.get())) {
        throw std::runtime_error(std::string("cannot connect to the X display '") + display + "'");
    }
    xcb_connection_t* connection = connection_.get();
    xcb_screen_iterator_t screens = xcb_setup_roots_iterator(xcb_get_setup(connection));
    for (int i = 0; i < screen_number && screens.rem > 0; ++i) xcb_screen_next(&screens);
    if (screens.rem == 0) {
        throw std::runtime_error(std::string("the X display '") + display + "' has no screen " +
                                 std::to_string(screen_number));
    }
    const xcb_screen_t* screen = screens.data;

    window_ = xcb_generate_id(connection);
    const uint32_t value_mask = XCB_CW_BACK_PIXEL | XCB_CW_EVENT_MASK;
    const uint32_t values[] = {screen->black_pixel, XCB_EVENT_MASK_STRUCTURE_NOTIFY};
    xcb_create_window(connection, XCB_COPY_FROM_PARENT, window_, screen->root, 0, 0, uint16_t(extent.width),
                      uint16_t(extent.height), 0, XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual, value_mask,
                      values);

    set_string_property(connection, window_, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, title);
    set_string_property(connection, window_, intern_atom("_NET_WM_NAME"), intern_atom("UTF8_STRING"), title);
    // WM_CLASS is instance and class name, each NUL-terminated.
    set_string_property(connection, window_, XCB_ATOM_WM_CLASS, XCB_ATOM_STRING,
                        std::string("anarchy_demo_scene\0Anarchy demo\0", 32));
    // Without WM_DELETE_WINDOW in WM_PROTOCOLS a window manager's close button kills the connection instead
    // of asking us.
    wm_protocols_ = intern_atom("WM_PROTOCOLS");
    wm_delete_window_ = intern_atom("WM_DELETE_WINDOW");
    xcb_change_property(connection, XCB_PROP_MODE_REPLACE, window_, wm_protocols_, XCB_ATOM_ATOM, 32, 1,
                        &wm_delete_window_);

    xcb_map_window(connection, window_);
    xcb_flush(connection);
}

XcbWindow::~XcbWindow() {
    if (!window_destroyed_) xcb_destroy_window(connection_.get(), window_);
}

xcb_atom_t XcbWindow::intern_atom(const char* name) const {
    xcb_intern_atom_cookie_t cookie = xcb_intern_atom(connection_.get(), 0, uint16_t(std::strlen(name)), name);
    XcbPtr<xcb_intern_atom_reply_t> reply(xcb_intern_atom_reply(connection_.get(), cookie, nullptr));
    if (!reply) throw std::runtime_error(std::string("the X server did not intern the atom ") + name);
    return reply->atom;
}

std::vector<const char*> XcbWindow::instance_extensions() const {
    return {VK_KHR_SURFACE_EXTENSION_NAME, VK_KHR_XCB_SURFACE_EXTENSION_NAME};
}

VkSurfaceKHR XcbWindow::create_surface(VkInstance instance) {
    VkXcbSurfaceCreateInfoKHR info{VK_STRUCTURE_TYPE_XCB_SURFACE_CREATE_INFO_KHR};
    info.connection = connection_.get();
    info.window = window_;
    VkSurfaceKHR surface = VK_NULL_HANDLE;
    VK_CHECK(vkCreateXcbSurfaceKHR(instance, &info, nullptr, &surface));
    return surface;
}

SurfaceEvents XcbWindow::poll_events() {
    SurfaceEvents events;
    while (XcbPtr<xcb_generic_event_t> event{xcb_poll_for_event(connection_.get())}) {
        switch (event->response_type & 0x7f) {  // the top bit only says the event was sent by a client
            case XCB_CLIENT_MESSAGE: {
                const auto* message = reinterpret_cast<const xcb_client_message_event_t*>(event.get());
                if (message->window == window_ && message->format == 32 && message->type == wm_protocols_ &&
                    message->data.data32[0] == wm_delete_window_) {
                    events.close_requested = true;
                }
                break;
            }
            case XCB_CONFIGURE_NOTIFY: {
                const auto* configure = reinterpret_cast<const xcb_configure_notify_event_t*>(event.get());
                if (configure->window == window_ &&
                    (configure->width != extent_.width || configure->height != extent_.height)) {
                    extent_ = {configure->width, configure->height};
                    events.resized = true;
                }
                break;
            }
            case XCB_DESTROY_NOTIFY:
                if (reinterpret_cast<const xcb_destroy_notify_event_t*>(event.get())->window == window_) {
                    window_destroyed_ = true;
                    events.close_requested = true;
                }
                break;
            default:
                break;
        }
    }
    if (xcb_connection_has_error(connection_.get())) throw std::runtime_error("lost the connection to the X server");
    return events;
}

}  // namespace anarchy::demo
