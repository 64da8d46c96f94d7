// Address text shared by the platform socket files (socket_posix.cpp, socket_win32.cpp): "host:port", with IPv6
// hosts in brackets.
#pragma once

#include <cstdint>
#include <string>

struct sockaddr;

namespace anarchy::transport::net {

/// "host:port", or "[host]:port" when host is an IPv6 address.
std::string format_host_port(const std::string& host, uint16_t port);
/// The text of an IPv4 or IPv6 socket address as format_host_port gives it; empty for other families.
std::string format_address(const sockaddr* address);

}  // namespace anarchy::transport::net
