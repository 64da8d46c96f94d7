#include "check.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace anarchy::wsitest {

std::string strprintf(const char* format, ...) {
    va_list args;
    va_start(args, format);
    va_list copy;
    va_copy(copy, args);
    const int length = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    std::string text(length > 0 ? size_t(length) : 0, '\0');
    if (length > 0) std::vsnprintf(text.data(), text.size() + 1, format, args);
    va_end(args);
    return text;
}

std::string result_name(VkResult result) {
    switch (result) {
#define RESULT_CASE(name) \
    case name: return #name;
        RESULT_CASE(VK_SUCCESS)
        RESULT_CASE(VK_NOT_READY)
        RESULT_CASE(VK_TIMEOUT)
        RESULT_CASE(VK_INCOMPLETE)
        RESULT_CASE(VK_SUBOPTIMAL_KHR)
        RESULT_CASE(VK_ERROR_OUT_OF_DATE_KHR)
        RESULT_CASE(VK_ERROR_SURFACE_LOST_KHR)
        RESULT_CASE(VK_ERROR_NATIVE_WINDOW_IN_USE_KHR)
        RESULT_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
        RESULT_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        RESULT_CASE(VK_ERROR_INITIALIZATION_FAILED)
        RESULT_CASE(VK_ERROR_DEVICE_LOST)
        RESULT_CASE(VK_ERROR_MEMORY_MAP_FAILED)
        RESULT_CASE(VK_ERROR_LAYER_NOT_PRESENT)
        RESULT_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
        RESULT_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
        RESULT_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
        RESULT_CASE(VK_ERROR_TOO_MANY_OBJECTS)
        RESULT_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
        RESULT_CASE(VK_ERROR_UNKNOWN)
        RESULT_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
        RESULT_CASE(VK_ERROR_VALIDATION_FAILED_EXT)
#undef RESULT_CASE
        default: return "VkResult " + std::to_string(int(result));
    }
}

std::string format_name(VkFormat format) {
    switch (format) {
        case VK_FORMAT_B8G8R8A8_UNORM: return "B8G8R8A8_UNORM";
        case VK_FORMAT_B8G8R8A8_SRGB: return "B8G8R8A8_SRGB";
        default: return "VkFormat " + std::to_string(int(format));
    }
}

std::string extent_text(VkExtent2D extent) {
    if (extent.width == 0xFFFFFFFFu && extent.height == 0xFFFFFFFFu) return "0xFFFFFFFFx0xFFFFFFFF";
    return std::to_string(extent.width) + "x" + std::to_string(extent.height);
}

namespace {

// "vkCreateFence(device, &info, nullptr, &fence)" -> "vkCreateFence": the arguments only add noise.
std::string call_name(const char* call) {
    std::string name(call);
    const auto paren = name.find('(');
    return paren == std::string::npos ? name : name.substr(0, paren);
}

std::string where(const char* file, int line) {
    const char* slash = std::strrchr(file, '/');
    return std::string(slash ? slash + 1 : file) + ":" + std::to_string(line);
}

}  // namespace

void check_result(VkResult result, const char* call, const char* file, int line) {
    if (result != VK_SUCCESS)
        throw TestFailure(call_name(call) + " returned " + result_name(result) + " (" + where(file, line) + ")");
}

void require(bool condition, const std::string& message) {
    if (!condition) throw TestFailure(message);
}

}  // namespace anarchy::wsitest
