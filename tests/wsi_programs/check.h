// Failures and their messages: every Vulkan call is checked, and a failure names the check, the call and the
// VkResult. main() turns TestFailure into exit status 1 and Unsupported into 77.
#pragma once

#include <vulkan/vulkan.h>

#include <stdexcept>
#include <string>

namespace anarchy::wsitest {

/// A failed Vulkan call or a failed self-check.
class TestFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The implementation lacks what the scenario needs (an extension, a present mode): not a wrong answer, but not
/// a pass either; exit status 77, which CTest can be told to count as skipped (SKIP_RETURN_CODE).
class Unsupported : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// printf into a std::string.
#ifdef _WIN32
// mingw's printf checks follow msvcrt unless told the C99 one (__USE_MINGW_ANSI_STDIO) is what runs.
std::string strprintf(const char* format, ...) __attribute__((format(gnu_printf, 1, 2)));
#else
std::string strprintf(const char* format, ...) __attribute__((format(printf, 1, 2)));
#endif

/// "VK_ERROR_OUT_OF_DATE_KHR", or the number for results this file does not name.
std::string result_name(VkResult result);

/// "B8G8R8A8_UNORM" for the formats a swapchain here may have, else the number.
std::string format_name(VkFormat format);

/// "320x240".
std::string extent_text(VkExtent2D extent);

/// Throws TestFailure naming the call, the result and the source line unless `result` is VK_SUCCESS.
void check_result(VkResult result, const char* call, const char* file, int line);

/// Throws TestFailure with `message` unless `condition` holds.
void require(bool condition, const std::string& message);

/// An extension's device command, which the loader does not export: through vkGetDeviceProcAddr; throws if absent.
template <typename Fn>
Fn device_proc(VkDevice device, const char* name) {
    auto fn = reinterpret_cast<Fn>(vkGetDeviceProcAddr(device, name));
    require(fn != nullptr, std::string("vkGetDeviceProcAddr returned no ") + name);
    return fn;
}

#define VK_CHECK(call) ::anarchy::wsitest::check_result((call), #call, __FILE__, __LINE__)

}  // namespace anarchy::wsitest
