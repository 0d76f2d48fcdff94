// Which node held a VIP last, kept on the shared state volume so that every
// node can read it: <HA_VOL_MNT>/nfs-ganesha/.vip-holders/<VIP>, a symbolic
// link whose target is the node's name (written with symlink + rename, so a
// reader sees the old holder or the new one, never half of either).
//
// Why: a client's record lives in the recovery directory of the node it last
// talked to. When a VIP arrives on a node, that node's ganesha must be in a
// take-ip grace for the records of the VIP's last holder (ganesha reads
// <RecoveryRoot>/<holder's VIP>/v4recov, which the ganesha_nfsd agent links to
// the holder's directory) before the VIP's clients come to reclaim: the
// failed home node after a failover, the survivor after it took the VIP over
// (fail-back, or a second failure).
#pragma once

#include <optional>
#include <string>
#include <system_error>

namespace gha {

class VipHolders {
public:
    explicit VipHolders(std::string vol_mnt) : dir_(std::move(vol_mnt) + "/nfs-ganesha/.vip-holders") {}
    const std::string& dir() const { return dir_; }
    // nullopt when never recorded (or unreadable: ec says why).
    std::optional<std::string> holder(const std::string& vip, std::error_code& ec) const;
    std::error_code set_holder(const std::string& vip, const std::string& node) const;

private:
    std::string dir_;
};

}  // namespace gha
