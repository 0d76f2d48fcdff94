// How a node steers NFS clients across a VIP move (issue 12): drop, do not
// refuse, their packets while the VIP is leaving; tickle their connections
// when a VIP arrives. Filled by service/ from HA_CLIENT_DROP,
// HA_CLIENT_TICKLE and HA_NFT.
#pragma once

#include <string>

namespace gha {

struct ClientSteeringSettings {
    bool drop = true;          // the nftables table (actions/nfs_firewall.hpp)
    bool tickle = true;        // tickle ACKs on a VIP's arrival (actions/tickle.hpp)
    std::string nft = "nft";   // the nft program (a path, or found in PATH)
    bool operator==(const ClientSteeringSettings&) const = default;
};

}  // namespace gha
