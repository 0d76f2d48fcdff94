// `ganesha-hactl cluster ...`: the cluster layout (ctl/cluster_layout.hpp)
// applied to, checked in and removed from a running Pacemaker cluster, and
// the cluster's state read back, all through Pacemaker's own tools
// (cibadmin, crm_verify, crm_diff, crm_mon --output-as=xml), run without a
// shell. Every CIB change is one patch computed against the CIB as read
// (crm_diff --cib, cibadmin --patch), so it is atomic and fails instead of
// overwriting a concurrent change (it is then recomputed and retried).
// These tools honour CIB_file, so everything but waiting for placement also
// works offline on a CIB file.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/cluster_layout.hpp"
#include "ctl/xml_tree.hpp"
#include "service/config.hpp"

namespace gha::cluster {

inline constexpr const char* kDefaultConfigPath = "/etc/ganesha/ganesha-ha.conf";

struct ClusterOptions {
    std::string socket;  // ganesha-had's control socket (mentioned in notes only)
    bool json = false;   // `ganesha-hactl --json cluster status`
    std::string config = kDefaultConfigPath;
};

// Exit codes of `ganesha-hactl cluster ...`.
enum ClusterExit {
    exit_ok = 0,          // status: HEALTHY
    exit_failed = 1,      // a tool failed, a refusal, or placement did not finish in time
    exit_usage = 2,
    exit_no_cluster = 4,  // no cluster running here (cibadmin/crm_mon rc 102)
    exit_config = 6,      // invalid ganesha-ha.conf or arguments (OCF_ERR_CONFIGURED)
    exit_failover = 8,    // status: every VIP served, some away from home
    exit_bad = 9,         // status: a VIP not served, or served by a node whose nfsd is down
};

// `ganesha-hactl cluster ...` as ctl/command_line.cpp read it.
struct ClusterArgs {
    std::vector<std::string> words;  // the subcommand and its operands ("add", NODE, VIP)
    ClusterOptions options;
    std::chrono::seconds wait{120};  // --wait
    std::string ganesha_conf;        // --ganesha-conf; "" = HA_GANESHA_CONF
    bool adopt_glusterfs = false;    // setup --adopt-glusterfs (ctl/glusterfs_adoption.hpp)
};

// `ganesha-hactl cluster --help`: the subcommands, options and exit codes.
extern const char* const kClusterHelp;

int cluster_main(const ClusterArgs& args);

// ---- exposed for tests ------------------------------------------------------

// What a CIB change would do. `configuration` is the <configuration> to
// write; `conflicts` and `dangling` make the change refused.
struct Plan {
    pugi::xml_document configuration;  // its root element is the <configuration>
    bool changed = false;
    std::vector<std::string> created, replaced, removed;
    std::vector<std::string> conflicts;  // ids we need that something else already uses
    std::vector<std::string> dangling;   // other objects referring to ones we would remove
};
// desired == nullptr: remove everything the ganesha-ha tag lists (teardown).
// `configuration`: the <configuration> element, or a document holding it.
// `adopted`: top-level objects to treat as ours although the tag does not
// list them (setup --adopt-glusterfs).
Plan plan_change(pugi::xml_node configuration, const Layout* desired, const std::set<std::string>& adopted = {});
// The ids tag ganesha-ha lists, and the tag itself.
std::set<std::string> tagged_ids(pugi::xml_node configuration);

struct NodeState {
    std::string name;
    bool member = false;  // known to the cluster
    bool online = false;
    std::optional<std::string> ganesha_active, grace_active;  // attribute values
    bool drained = false;  // HA_DRAINED_ATTR (permanent, in the CIB) says so
    bool ganesha_healthy() const { return ganesha_active && *ganesha_active == "1"; }
};
struct VipState {
    std::string home, address, resource;
    std::vector<std::string> running_on;
    // Nodes that declared their ganesha in grace for it (grace-for-<home>=1,
    // issue 11): where it may run away from home.
    std::vector<std::string> ready_on;
    bool failed = false;
    bool at_home() const { return running_on.size() == 1 && running_on.front() == home; }
};
struct ClusterStatus {
    std::string verdict;  // HEALTHY, FAILOVER, BAD
    std::vector<std::string> reasons;
    std::vector<NodeState> nodes;  // HA_CLUSTER_NODES order
    std::vector<VipState> vips;
    std::string dc;  // "" = no DC
    bool quorum = false;
    std::optional<bool> stonith_enabled;
    std::string no_quorum_policy;
};
// `cluster move`: the configuration with the move of `home`'s VIP to
// `target` (its location constraint, INFINITY, and the request attribute
// on the target's <node>, any other node's request for that VIP removed),
// or without any move of it (target nullopt). Throws std::invalid_argument
// when the target has no <node> in the CIB.
Plan plan_move(pugi::xml_node configuration, const std::string& home, const std::optional<std::string>& target);

// From `crm_mon --output-as=xml -1 -A` (its root element, or the document).
ClusterStatus evaluate_status(const Config& config, pugi::xml_node crm_mon);
// `cluster status` without --json: a header, node and VIP counts (naming
// what is not fine), one row per node and its VIP, the verdict and reasons.
std::string format_cluster_status(const ClusterStatus& status, const Config& config);

// ganesha-ha.conf text with a node added (its VIP_ line after the last VIP_
// line) or removed; the result is parsed again, so an invalid result throws
// ConfigError. Throws std::invalid_argument for a node that is (not) there.
std::string config_with_node_added(std::string_view text, const Config& config, const std::string& node,
                                   const std::string& vip);
std::string config_with_node_deleted(std::string_view text, const Config& config, const std::string& node);

}  // namespace gha::cluster
