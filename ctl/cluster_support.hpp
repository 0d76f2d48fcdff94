// What the `ganesha-hactl cluster` subcommands share (ctl/cluster_command.cpp,
// ctl/cluster_drain.cpp, ctl/cluster_move.cpp): their refusal type, output,
// ganesha-ha.conf, Pacemaker's tools run without a shell, and crm_mon's XML.
// Internal to ganesha-hactl; the tests use cluster_command.hpp.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/cluster_command.hpp"
#include "ctl/run_command.hpp"
#include "ctl/xml_tree.hpp"

namespace gha::cluster {

inline constexpr int kNoCluster = 102;  // CRM_EX_DISCONNECT
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

// A refusal or failure: its message goes to stderr, `code` is the exit code.
struct Failure : std::runtime_error {
    Failure(int exit_code, const std::string& message) : std::runtime_error(message), code(exit_code) {}
    int code;
};

void say(const std::string& line);   // a line on stdout, flushed
void warn(const std::string& line);  // "warning: LINE" on stderr
std::string join(const std::vector<std::string>& items, const std::string& sep);
std::string trim_copy(std::string_view s);
std::string lower(std::string s);

// ---- ganesha-ha.conf
struct Loaded {
    std::string text;
    Config config;
    LayoutOptions options;
};
std::string read_config_text(const std::string& path);  // at most kMaxConfigBytes; throws ConfigError
Loaded parse_loaded(std::string text, const std::string& source);
Loaded load(const std::string& path);
void print_config_warnings(const Config& config);

// ---- Pacemaker's tools
CommandResult tool(const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));
std::string output_of(const CommandResult& r);  // stderr, then stdout, trimmed
pugi::xml_document parse_tool_xml(const std::string& what, const std::string& text);
[[noreturn]] void no_cluster(const CommandResult& r);  // throws Failure(exit_no_cluster)
pugi::xml_document query_cib(std::string& raw);        // cibadmin -Q
pugi::xml_document query_crm_mon();                    // crm_mon --output-as=xml -1 -A

// One atomic, verified change of the CIB's <configuration>: `planner` is
// given the configuration as read and returns what it should be; checked
// with crm_verify, sent as one crm_diff patch (cibadmin --patch), planned
// again when the CIB changed in between. Conflicts or dangling references
// in the plan refuse it (Failure; nothing changed).
struct Applied {
    bool changed = false;
    Plan plan;
    std::set<std::string> adopted;  // setup --adopt-glusterfs: what it took over
};
Applied apply_plan(const std::function<Plan(pugi::xml_node configuration)>& planner);

// Removes the nvpairs of a CIB <node> whose name `which` accepts, and an
// instance_attributes set that is left empty (the one a move created).
void remove_node_attributes(pugi::xml_node node, const std::function<bool(const std::string&)>& which);

// ---- crm_mon's XML
struct MonResource {
    std::string id, role;
    bool active = false;   // started: serving
    bool running = false;  // active in any role, stopping included
    bool failed = false, blocked = false, orphaned = false;
    std::vector<std::string> nodes;
};

struct Mon {
    std::string dc;
    bool quorum = false;
    std::optional<bool> stonith_enabled;
    std::string no_quorum_policy;
    std::map<std::string, bool> nodes;  // name -> online
    // Transient (attrd) and permanent (<nodes>) node attributes alike.
    std::map<std::string, std::map<std::string, std::string>> attributes;
    // Primitive id, or clone id (its instances), or a group member's id.
    std::map<std::string, std::vector<MonResource>> resources;
    // A node attribute's value, nullopt when the node has none of that name.
    std::optional<std::string> attribute(const std::string& node, const std::string& name) const;
};

Mon parse_mon(pugi::xml_node root);
std::vector<std::string> active_nodes(const Mon& mon, const std::string& id, bool* failed = nullptr,
                                      bool any_role = false);

// Polls crm_mon every 500 ms until `check` says done (true) or `bound`
// has passed (false; 0 s: no wait, true). `check` fills in what it still
// waits for; each new summary is printed with the time since the start.
bool wait_for_cluster(std::chrono::seconds bound, const std::function<bool(const Mon&, std::string& summary)>& check);

// ---- who may change the cluster's state through ganesha-hactl
// The daemon's rule for its changing commands: root, or a member of
// HA_CONTROL_GROUP (primary or supplementary group). Throws Failure naming
// what was refused and who may do it; nothing has been changed then.
void require_operator(const Config& config, const std::string& what);
// NODE must be in HA_CLUSTER_NODES: else Failure(exit_config) naming it.
void require_listed_node(const Config& config, const std::string& node, const std::string& what);

// ---- subcommands with a file of their own
int drain_node(const ClusterArgs& a, bool drain);  // ctl/cluster_drain.cpp
int move_vip(const ClusterArgs& a);                // ctl/cluster_move.cpp

// Throws Failure(exit_usage, "usage: ganesha-hactl cluster USAGE") unless
// the subcommand has `n` operands.
void expect_operands(const ClusterArgs& a, std::size_t n, const char* usage);

}  // namespace gha::cluster
