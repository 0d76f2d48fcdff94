// One NFS client's TCP connection to a VIP, as the node serving the VIP sees
// it: what the node that takes the VIP over needs to send that client a
// tickle ACK (actions/tickle.hpp).
#pragma once

#include <asio/ip/address.hpp>
#include <cstdint>
#include <string>
#include <tuple>

namespace gha {

struct ClientConnection {
    asio::ip::address vip;     // the local end's address (a VIP)
    asio::ip::address client;  // the remote end
    std::uint16_t client_port = 0;

    bool operator==(const ClientConnection&) const = default;
    bool operator<(const ClientConnection& o) const {
        return std::tie(vip, client, client_port) < std::tie(o.vip, o.client, o.client_port);
    }
    std::string to_string() const;  // "192.0.2.101 <- 192.0.2.201:812"
};

}  // namespace gha
