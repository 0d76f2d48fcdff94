// The Pacemaker layout of a ganesha-ha cluster, as a pure function of
// ganesha-ha.conf: the same configuration always gives the same XML.
//
// Mirrors GlusterFS's ganesha-ha.sh (setup_create_resources,
// do_create_virt_ip_constraints), adapted to DESIGN.md, and sized for large
// clusters: O(n) objects of O(1) size each, where ganesha-ha.sh gives every
// VIP a score on every node (n^2 constraints).
//
//   resources                                  constraints
//   nfs_setup-clone  ocf:ganesha:ganesha_nfsd  nfs-grace-clone-grace-active: -INFINITY where
//                    (ha_vol_mnt)                grace-active is not defined or ne 1
//   nfs-mon-clone    ocf:ganesha:ganesha_mon   ganesha-ha-triggers-then-nfs-grace-clone: order,
//   nfs-grace-clone  ocf:ganesha:ganesha_grace   Optional, not symmetrical, every T (a set) first
//                    (meta notify=true)        nfs-grace-clone-then-ganesha-ha-vips: order,
//   per node N (V = N-cluster_ip-1,              Mandatory, every V (a set, unordered) then
//               T = N-trigger_ip-1):           for every V and T (one rsc-pattern constraint
//   V  ocf:heartbeat:IPaddr2 (ip, cidr_netmask,  each, reading the resource's meta attributes):
//      [nic]; monitor 10s)                       ganesha-ha-vips-ganesha-active: -INFINITY where
//   T  ocf:ganesha:ganesha_handover (ip;           ganesha-active is not defined or ne 1
//      monitor 10s)                              ganesha-ha-window (V only): W*1000 on the node
//   both: meta stickiness 0, the window of V       ganesha-ha-home, (W-1)*1000 on ganesha-ha-next-1,
//     (W = min(n, kFallbacks + 1) nodes):          ... (fail-back: home wins)
//     ganesha-ha-home N, ganesha-ha-next-K       ganesha-ha-elsewhere (only when W < n): score 0
//     the K-th node after N in HA_CLUSTER_NODES    and resource-discovery=never on every node
//     order, wrapping                              outside the window
//   crm_config: ganesha-ha-options               ganesha-ha-needs-grace: -INFINITY on every node
//     no-quorum-policy ignore (2 nodes) /          but the home whose attribute grace-for-<home>
//     stop (3+)                                    is not 1 (issue 11)
//                                                per node N:
//                                                  V-with-T: colocation INFINITY
//                                                  T-then-V: order, Mandatory
//
// Beyond the window (all W nodes unable to run V) V still runs: every other
// node has score 0 (a symmetric cluster's default, which
// ganesha-ha-elsewhere keeps), and Pacemaker takes the one with the fewest
// resources, then the first by name. V is only probed inside its window,
// so a node's resource history (the CIB status section, what the scheduler
// unpacks on every run) holds 3 clone instances + 2W primitives instead of
// 3 + 2n.
//
// Why the trigger -> grace order is Optional (GlusterFS's is Mandatory):
// with Mandatory, every move of a trigger restarts the whole grace clone,
// and through "nfs-grace-clone then V" every VIP of the cluster (measured
// with crm_simulate: one node's failover stops and starts all VIPs). As
// Optional it still orders the actions that happen in the same transition:
// on failover the grace instance of the failed node stops, its post-stop
// notification reaches the survivors, then T moves, then V starts (T-then-V);
// on fail-back T moves first, the grace clone starts there, then V starts.
// The two set orders are what Pacemaker makes of them anyway (pcmk 2.1
// order_rsc_sets: one ordering per member, both directions), in two objects
// instead of 2n.
//
// The rules on every VIP are one rsc_location each for all VIPs (issue 15:
// one per VIP, or per VIP and node, was most of a 32-node CIB). Their
// rsc-pattern "^(node1|node2|...)-(cluster|trigger)_ip-1$" captures the
// home's name for the readiness attribute "grace-for-%1"; everything else a
// rule needs per VIP (its home, its window) is the resource's own meta
// attributes (value-source="meta"; Pacemaker expands %1 in attribute names
// only, not in values). Nodes whose names start with a digit (ids
// "_<node>-...") get a second constraint of each. A VIP away from home
// never moves to a node of its window that comes back: only to a node in
// grace for it, which a daemon declares when it takes a failed VIP, or home.
//
// Every object setup creates belongs to one CIB tag, <tag id="ganesha-ha">,
// so teardown removes exactly those objects, and setup can tell its own
// objects from an operator's with the same id. The tag lists every object
// but a VIP's own constraints (colocation and order, and in earlier
// layouts its window's), which belong to it through the VIP's entry
// (owned_ids): O(n) short entries instead of 10 per node.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
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
inline constexpr std::string_view kVipsGaneshaActive = "ganesha-ha-vips-ganesha-active";
inline constexpr std::string_view kTriggersThenGrace = "ganesha-ha-triggers-then-nfs-grace-clone";
inline constexpr std::string_view kGraceThenVips = "nfs-grace-clone-then-ganesha-ha-vips";
inline constexpr std::string_view kNeedsGrace = "ganesha-ha-needs-grace";
inline constexpr std::string_view kWindow = "ganesha-ha-window";
inline constexpr std::string_view kElsewhere = "ganesha-ha-elsewhere";
// Meta attribute of every VIP and trigger: its home node, the first of its
// window (window_meta).
inline constexpr std::string_view kHomeMeta = "ganesha-ha-home";
inline constexpr int kScoreStep = 1000;
// A VIP's window: its home and the kFallbacks nodes after it in
// HA_CLUSTER_NODES order (every node when there are no more than that).
inline constexpr std::size_t kFallbacks = 3;

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
// The ids of the constraints of `home`'s VIP: the colocation with its
// trigger and their order; in earlier layouts also its window's scores and
// the rule outside the window (which setup removes).
std::string prefers_id(std::string_view home, std::string_view node);  // "<vip>-prefers-<node>"
std::string elsewhere_id(std::string_view home);                       // "<vip>-elsewhere"
std::string colocation_id(std::string_view home);                      // "<vip>-with-<trigger>"
std::string trigger_order_id(std::string_view home);                   // "<trigger>-then-<vip>"

struct Preference {
    std::string node;
    int score;
};
// min(nodes, kFallbacks + 1).
std::size_t window_size(std::size_t nodes);
// The meta attribute of every VIP and trigger that names the node of rank
// `rank` in its window: kHomeMeta for 0, "ganesha-ha-next-<rank>" after it.
std::string window_meta(std::size_t rank);
// The failover order of nodes[home]'s VIP, its window: home first (W * 1000),
// then the following nodes of the list, wrapping around, 1000 less each.
std::vector<Preference> vip_preferences(const std::vector<std::string>& nodes, std::size_t home);

// Throws LayoutError with "insufficient servers" for fewer than two nodes.
Layout build_layout(const Config& config, const LayoutOptions& options);

// <tag id="ganesha-ha"> listing the objects' ids, but for the constraints
// of one VIP: those are owned through the VIP's own entry (owned_ids), which
// keeps the tag at O(n) short entries (issue 15: it was 18 KB of a 32-node
// CIB, one entry per object).
CibObject layout_tag(const std::vector<CibObject>& objects);

// The node a VIP's id names ("node1-cluster_ip-1" -> "node1",
// "_2nd-cluster_ip-1" -> "2nd"), or nothing for another id.
std::optional<std::string> node_of_vip_id(std::string_view id);
// The ids of the constraints of `node`'s VIP, in this layout or an earlier
// one: a `prefers` for every node of `nodes`, elsewhere, needs-grace, the
// colocation and the order with its trigger.
std::vector<std::string> vip_constraint_ids(std::string_view node, const std::vector<std::string>& nodes);
// What a tag listing `tagged` makes ganesha-hactl's: those ids, and the
// constraints of every VIP among them, for the nodes of those VIPs.
std::set<std::string> owned_ids(const std::set<std::string>& tagged);

// <configuration> with <crm_config>, <resources>, <constraints> and <tags>:
// what `ganesha-hactl cluster show-cib` prints (no <nodes>).
std::string render_configuration(const Layout& layout);

}  // namespace gha::cluster
