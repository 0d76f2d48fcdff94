// The remote ends of the TCP connections to one local address and port, read
// from the kernel with netlink sock_diag (NETLINK_SOCK_DIAG, inet_diag), not
// from `ss` output. The node that gives a VIP up asks which clients were
// connected to it, to release their NFSv4 state.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

namespace gha {

// Every TCP socket of this network namespace whose local end is
// local_address:local_port, in any state but LISTEN; each remote address once,
// IPv4-mapped IPv6 addresses written as IPv4. At most max_peers. The kernel
// answers a dump at once (it never waits on the network), so this is called
// on the loop.
std::vector<std::string> tcp_peers(const std::string& local_address, std::uint16_t local_port, std::error_code& ec,
                                   std::size_t max_peers = 4096);

// "::ffff:192.0.2.1" -> "192.0.2.1"; anything else unchanged.
std::string unmapped_address(const std::string& address);

}  // namespace gha
