#include "transport/socket_address.h"

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

namespace anarchy::transport::net {

std::string format_host_port(const std::string& host, uint16_t port) {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string format_address(const sockaddr* address) {
    char text[INET6_ADDRSTRLEN] = {};
    if (address->sa_family == AF_INET) {
        auto* a = reinterpret_cast<const sockaddr_in*>(address);
        if (!::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text)) return {};
        return format_host_port(text, ntohs(a->sin_port));
    }
    if (address->sa_family == AF_INET6) {
        auto* a = reinterpret_cast<const sockaddr_in6*>(address);
        if (!::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text)) return {};
        return format_host_port(text, ntohs(a->sin6_port));
    }
    return {};
}

}  // namespace anarchy::transport::net
