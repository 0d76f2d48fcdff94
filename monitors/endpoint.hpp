// An IP literal and a port: where the rpc-null monitor probes
// (HA_NFSD_ADDRESS), also used by the service for other listeners. Owned
// here so the monitors need nothing from service/; service/config.cpp
// parses it.
#pragma once

#include <cstdint>
#include <string>

namespace gha {

struct Endpoint {
    std::string host;  // IPv4 or IPv6 literal
    std::uint16_t port = 0;
    // "127.0.0.1:2049", "[::1]:2049"
    std::string to_string() const {
        const std::string port_text = std::to_string(port);
        return host.find(':') != std::string::npos ? "[" + host + "]:" + port_text : host + ":" + port_text;
    }
    bool operator==(const Endpoint&) const = default;
};

}  // namespace gha
