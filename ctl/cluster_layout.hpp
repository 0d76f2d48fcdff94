// The Pacemaker layout of a ganesha-ha cluster, as a pure function of
// ganesha-ha.conf: the same configuration always gives the same XML.
//
// Mirrors GlusterFS's ganesha-ha.sh (setup_create_resources,
// do_create_virt_ip_constraints), adapted to DESIGN.md:
//
//   resources                                  constraints
//   nfs_setup-clone  ocf:ganesha:ganesha_nfsd  nfs-grace-clone-grace-active: -INFINITY where
//                    (ha_vol_mnt)                grace-active is not defined or ne 1
//   nfs-mon-clone    ocf:ganesha:ganesha_mon   per node N (V = N-cluster_ip-1, T = N-trigger_ip-1):
//   nfs-grace-clone  ocf:ganesha:ganesha_grace   V-ganesha-active: -INFINITY where ganesha-active
//                    (meta notify=true)            is not defined or ne 1
//   per node N:                                  V-prefers-M: round robin, home n*1000, the next
//   V  ocf:heartbeat:IPaddr2 (ip, cidr_netmask,    node in HA_CLUSTER_NODES order (n-1)*1000, ...,
//      [nic]; monitor 10s; stickiness 0)           the node before home 1000 (fail-back: home wins)
//   T  ocf:ganesha:ganesha_handover (ip; monitor V-with-T: colocation INFINITY
//      10s; stickiness 0)                        T-then-nfs-grace-clone: order, kind Optional
//                                                nfs-grace-clone-then-V: order, Mandatory
//   crm_config: ganesha-ha-options               T-then-V: order, Mandatory
//     no-quorum-policy ignore (2 nodes) / stop (3+)
//
// Why the trigger -> grace order is Optional (GlusterFS's is Mandatory):
// with Mandatory, every move of a trigger restarts the whole grace clone,
// and through "nfs-grace-clone then V" every VIP of the cluster (measured
// with crm_simulate: one node's failover stops and starts all VIPs). As
// Optional it still orders the actions that happen in the same transition:
// on failover the grace instance of the failed node stops, its post-stop
// notification reaches the survivors, then T moves, then V starts (T-then-V);
// on fail-back T moves first, the grace clone starts there, then V starts.
//
// Every object setup creates is listed in one CIB tag, <tag id="ganesha-ha">,
// so teardown removes exactly those objects, and setup can tell its own
// objects from an operator's with the same id.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "service/config.hpp"

namespace gha::cluster {

inline constexpr std::string_view kTagId = "ganesha-ha";
inline constexpr std::string_view kPropertySetId = "ganesha-ha-options";
inline constexpr std::string_view kProvider = "ganesha";
inline constexpr std::string_view kSetupClone = "nfs_setup-clone";
inline constexpr std::string_view kMonClone = "nfs-mon-clone";
inline constexpr std::string_view kGraceClone = "nfs-grace-clone";
inline constexpr int kScoreStep = 1000;

// Thrown by build_layout() for a configuration that cannot be laid out.
class LayoutError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct CibObject {
    std::string section;  // "crm_config", "resources", "constraints" or "tags"
    std::string id;
    std::string xml;  // one element
};

struct Layout {
    std::vector<CibObject> objects;  // everything setup creates, in CIB order per section
    CibObject tag;                   // <tag id="ganesha-ha"> listing objects' ids
    std::string no_quorum_policy;    // "ignore" or "stop"
    std::vector<std::string> nodes;  // HA_CLUSTER_NODES order
};

// Node names are host names (letters, digits, '-', '.'), which are valid in
// an XML ID except as the first character: a leading digit gets a '_'.
std::string id_base(std::string_view node);
std::string vip_id(std::string_view node);      // "<node>-cluster_ip-1"
std::string trigger_id(std::string_view node);  // "<node>-trigger_ip-1"

struct Preference {
    std::string node;
    int score;
};
// The failover order of nodes[home]'s VIP: home first (n * 1000), then the
// following nodes of the list, wrapping around, 1000 less each.
std::vector<Preference> vip_preferences(const std::vector<std::string>& nodes, std::size_t home);

// Throws LayoutError with "insufficient servers" for fewer than two nodes.
Layout build_layout(const Config& config, const LayoutOptions& options);

// <configuration> with <crm_config>, <resources>, <constraints> and <tags>:
// what `ganesha-hactl cluster show-cib` prints (no <nodes>).
std::string render_configuration(const Layout& layout);

}  // namespace gha::cluster
