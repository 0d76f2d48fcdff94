// Tickle ACKs (as CTDB sends them when it takes an IP over): a bare TCP ACK
// from VIP:port to a client's known connection, with sequence and
// acknowledgment numbers it cannot match. The client's kernel answers with
// an ACK of its real numbers; this node has no such connection, so its
// kernel answers that with a RST the client accepts. The client's RPC layer
// reconnects at once instead of waiting for its own retransmission timer
// (a node loss) or RPC timeout (a hung server behind a dropped FIN).
#pragma once

#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "monitors/client_connection.hpp"

namespace gha {

// The 20-byte TCP header of the tickle, checksum included.
std::vector<std::uint8_t> tickle_segment(const ClientConnection& connection, std::uint16_t vip_port);

// RFC 1071 one's complement sum over the pseudo-header and the segment,
// folded, not inverted: 0xffff for a segment whose checksum is right.
std::uint16_t tcp_checksum_sum(const asio::ip::address& source, const asio::ip::address& destination,
                               std::span<const std::uint8_t> segment);

// A gratuitous ARP request for an IPv4 VIP on interface `ifindex` (packet
// socket, CAP_NET_RAW): the clients' kernels point the VIP at this node's
// MAC before the tickles ask them to answer. The resource agent sends its own
// too, but only after it added the address, i.e. after our tickle would go
// out. An IPv6 VIP: nothing (its neighbour advertisement is the agent's).
std::error_code send_gratuitous_arp(const asio::ip::address& vip, int ifindex);

// Sends one tickle per connection from a raw socket bound to the VIP (the
// VIP must be a local address by now). Needs CAP_NET_RAW. Returns how many
// were sent; ec holds the first error.
std::size_t send_tickles(const std::vector<ClientConnection>& connections, std::uint16_t vip_port,
                         std::error_code& ec);

}  // namespace gha
