#define VK_USE_PLATFORM_XCB_KHR
#include "test_window.h"

#include <xcb/xcb.h>

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

struct TestWindow::Impl {
    xcb_connection_t* connection = nullptr;
    xcb_window_t window = 0;
    xcb_visualid_t visual = 0;
    bool viewable();
    void throw_if_broken(const char* what);
};

TestWindow::TestWindow(uint32_t width, uint32_t height, const char* title) : impl_(std::make_unique<Impl>()) {
    xcb_connection_t*& connection_ = impl_->connection;
    xcb_window_t& window_ = impl_->window;
    xcb_visualid_t& visual_ = impl_->visual;
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

TestWindow::~TestWindow() {
    if (!impl_->connection) return;
    if (impl_->window) xcb_destroy_window(impl_->connection, impl_->window);
    xcb_flush(impl_->connection);
    xcb_disconnect(impl_->connection);
}

const char* TestWindow::surface_extension() { return VK_KHR_XCB_SURFACE_EXTENSION_NAME; }

VkSurfaceKHR TestWindow::create_surface(VkInstance instance) {
    VkXcbSurfaceCreateInfoKHR info{VK_STRUCTURE_TYPE_XCB_SURFACE_CREATE_INFO_KHR};
    info.connection = impl_->connection;
    info.window = impl_->window;
    VkSurfaceKHR surface = VK_NULL_HANDLE;
    VK_CHECK(vkCreateXcbSurfaceKHR(instance, &info, nullptr, &surface));
    return surface;
}

bool TestWindow::presentation_support(VkPhysicalDevice physical_device, uint32_t family) {
    return vkGetPhysicalDeviceXcbPresentationSupportKHR(physical_device, family, impl_->connection, impl_->visual);
}

uint64_t TestWindow::id() const { return impl_->window; }

void TestWindow::destroy() {
    if (!impl_->window) return;
    xcb_destroy_window(impl_->connection, impl_->window);
    xcb_flush(impl_->connection);
    impl_->window = 0;
}

void TestWindow::Impl::throw_if_broken(const char* what) {
    xcb_connection_t* connection_ = connection;
    if (xcb_connection_has_error(connection_))
        throw TestFailure(
            strprintf("the X connection broke (error %d) during %s", xcb_connection_has_error(connection_), what));
}

VkExtent2D TestWindow::geometry() {
    xcb_connection_t* connection_ = impl_->connection;
    xcb_window_t window_ = impl_->window;
    xcb_get_geometry_reply_t* reply =
        xcb_get_geometry_reply(connection_, xcb_get_geometry(connection_, window_), nullptr);
    if (!reply) {
        impl_->throw_if_broken("xcb_get_geometry");
        throw TestFailure("xcb_get_geometry of the test window failed");
    }
    const VkExtent2D extent{reply->width, reply->height};
    std::free(reply);
    return extent;
}

bool TestWindow::Impl::viewable() {
    xcb_connection_t* connection_ = connection;
    xcb_window_t window_ = window;
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

void TestWindow::resize(uint32_t width, uint32_t height) {
    xcb_connection_t* connection_ = impl_->connection;
    xcb_window_t window_ = impl_->window;
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

void TestWindow::unmap() {
    xcb_connection_t* connection_ = impl_->connection;
    xcb_window_t window_ = impl_->window;
    xcb_unmap_window(connection_, window_);
    xcb_flush(connection_);
    const auto deadline = std::chrono::steady_clock::now() + kStateTimeout;
    while (impl_->viewable()) {
        if (std::chrono::steady_clock::now() > deadline)
            throw TestFailure("the window is still viewable after xcb_unmap_window");
        std::this_thread::sleep_for(kPollInterval);
    }
}

void TestWindow::map() {
    xcb_connection_t* connection_ = impl_->connection;
    xcb_window_t window_ = impl_->window;
    xcb_map_window(connection_, window_);
    xcb_flush(connection_);
    const auto deadline = std::chrono::steady_clock::now() + kStateTimeout;
    while (!impl_->viewable()) {
        if (std::chrono::steady_clock::now() > deadline)
            throw TestFailure("the window is not viewable after xcb_map_window");
        std::this_thread::sleep_for(kPollInterval);
    }
}

uint32_t TestWindow::pixel_rgb(uint32_t x, uint32_t y) {
    xcb_connection_t* connection_ = impl_->connection;
    xcb_generic_error_t* error = nullptr;
    xcb_get_image_reply_t* reply = xcb_get_image_reply(
        connection_, xcb_get_image(connection_, XCB_IMAGE_FORMAT_Z_PIXMAP, impl_->window, int16_t(x), int16_t(y), 1, 1,
                                   ~0u),
        &error);
    if (!reply) {
        const int code = error ? error->error_code : 0;
        std::free(error);
        impl_->throw_if_broken("xcb_get_image");
        throw TestFailure(strprintf("xcb_get_image of the test window at (%u, %u) failed with X error %d", x, y, code));
    }
    const int length = xcb_get_image_data_length(reply);
    uint32_t value = 0;
    // A TrueColor visual of depth 24 stores a pixel as 32 bits, 0x00RRGGBB in the client's byte order.
    const bool usable = reply->depth >= 24 && length >= 4;
    if (usable) std::memcpy(&value, xcb_get_image_data(reply), 4);
    const int depth = reply->depth;
    std::free(reply);
    if (!usable) throw TestFailure(strprintf("xcb_get_image gave %d bytes of depth %d for one pixel", length, depth));
    return value & 0xFFFFFFu;
}

void TestWindow::drain_events() {
    xcb_connection_t* connection_ = impl_->connection;
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
    impl_->throw_if_broken("event processing");
}

}  // namespace anarchy::wsitest
