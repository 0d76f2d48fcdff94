// The remote ends of the TCP connections to one local address and port, read
// from the kernel with netlink sock_diag (NETLINK_SOCK_DIAG, inet_diag), not
// from `ss` output. The node that gives a VIP up asks which clients were
// connected to it, to release their NFSv4 state.
#pragma once

#include <chrono>
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

// Which sockets destroy_connections() closes.
enum class StaleSockets {
    all,        // every one but listeners
    not_fresh,  // those no new client could own: closing states, and established
                // ones that keep retransmitting or have heard nothing from
                // their client for quiet_limit (the VIP has just arrived)
};

// A connection made in the milliseconds since a VIP's arrival was seen has
// heard from its client within this; one left from the VIP's earlier stay
// here has heard nothing since the VIP left.
inline constexpr std::chrono::milliseconds kQuietBeforeArrival{1000};

// Closes (sock_diag SOCK_DESTROY: the kernel sends the peer a reset)
// the TCP sockets of this network namespace whose local end is
// local:local_port, as `which` says. A connection left from an earlier stay
// of a VIP on this node would take the segments of a client that reuses its
// port (a rebooted Linux NFS client often picks the same one) and the tickle
// ACK's answer with them: the client would never be reset. Returns how many
// were closed; ec is operation_not_supported when the kernel lacks
// CONFIG_INET_DIAG_DESTROY.
std::size_t destroy_connections(const asio::ip::address& local, std::uint16_t local_port, StaleSockets which,
                                std::error_code& ec, std::chrono::milliseconds quiet_limit = kQuietBeforeArrival);

// "::ffff:192.0.2.1" -> "192.0.2.1"; anything else unchanged.
std::string unmapped_address(const std::string& address);

}  // namespace gha
