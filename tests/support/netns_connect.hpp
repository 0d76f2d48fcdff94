// A TCP connection attempt from inside a network namespace (a child process
// joins it with setns), for tests that must tell a dropped SYN from a
// refused one: what a Linux NFS client's reconnect meets.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gha::lab {

// 0 connected, ECONNREFUSED (a RST came back), ETIMEDOUT (nothing came back
// within `timeout`: the SYN was dropped), another errno, or -1 when the
// namespace (/run/netns/NAME) could not be joined.
int connect_outcome(const std::string& netns, const std::string& address, std::uint16_t port,
                    std::chrono::milliseconds timeout);

}  // namespace gha::lab
