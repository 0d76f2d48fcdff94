// The remote ends of the TCP connections to one local address and port, read
// from the kernel with netlink sock_diag (NETLINK_SOCK_DIAG, inet_diag), not
// from `ss` output. The node that gives a VIP up asks which clients were
// connected to it, to release their NFSv4 state.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "monitors/client_connection.hpp"

namespace gha {

// Every TCP socket of this network namespace whose local end is
// local_address:local_port, in any state but LISTEN; each remote address once,
// IPv4-mapped IPv6 addresses written as IPv4. At most max_peers. The kernel
// answers a dump at once (it never waits on the network), so this is called
// on the loop.
std::vector<std::string> tcp_peers(const std::string& local_address, std::uint16_t local_port, std::error_code& ec,
                                   std::size_t max_peers = 4096);

// The established TCP connections of this network namespace whose local end
// is one of `locals` (the VIPs) on local_port: what a peer needs to tickle
// these clients when it takes a VIP over. IPv4-mapped ends are written as
// IPv4. Sorted, at most max_connections. Called on the loop (see above).
std::vector<ClientConnection> tcp_connections(const std::vector<asio::ip::address>& locals, std::uint16_t local_port,
                                              std::error_code& ec, std::size_t max_connections = 4096);

// "::ffff:192.0.2.1" -> "192.0.2.1"; anything else unchanged.
std::string unmapped_address(const std::string& address);

}  // namespace gha
