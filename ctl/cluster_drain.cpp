// `ganesha-hactl cluster drain NODE` / `undrain NODE`, from any node: the
// drain is the permanent node attribute HA_DRAINED_ATTR (ganesha-drained)
// in the CIB's <nodes> section, so it survives restarts of ganesha-had and
// of Pacemaker. NODE's daemon reads it every 2 s and runs its drain (or
// undrain) pipeline on the change: grace-active first, its takers' grace,
// then ganesha-active, so its VIP leaves the safe way (README: "Drain").
#include <chrono>

#include "ctl/cluster_support.hpp"

namespace gha::cluster {
namespace {

constexpr int kNoSuchAttribute = 105;  // CRM_EX_NOSUCH: crm_attribute --query of an absent one

std::vector<std::string> attribute_argv(const std::string& node, const std::string& name) {
    return {"crm_attribute", "--type", "nodes", "--node", node, "--name", name};
}

// The permanent attribute's value, nullopt when there is none.
std::optional<std::string> query_permanent(const std::string& node, const std::string& name) {
    auto argv = attribute_argv(node, name);
    argv.insert(argv.end(), {"--query", "--quiet"});
    const auto r = tool(argv);
    if (r.ran() && r.exit_code == kNoCluster) no_cluster(r);
    if (r.ran() && r.exit_code == kNoSuchAttribute) return std::nullopt;
    if (!r.ok()) throw Failure(exit_failed, "crm_attribute --query --name " + name + ": " + r.describe());
    return trim_copy(r.out);
}

bool is_true(const std::optional<std::string>& value) {
    return value && (*value == "1" || *value == "true" || *value == "yes" || *value == "on" || *value == "y");
}

// The homes of the VIPs crm_mon shows started on `node`.
std::vector<std::string> vip_homes_on(const Config& config, const Mon& mon, const std::string& node) {
    std::vector<std::string> out;
    for (const auto& home : config.cluster_nodes)
        for (const auto& on : active_nodes(mon, vip_id(home)))
            if (on == node) out.push_back(home);
    return out;
}

std::string named_vips(const Config& config, const std::vector<std::string>& homes) {
    std::vector<std::string> out;
    for (const auto& home : homes) out.push_back(config.vips.at(home) + " (" + home + "'s)");
    return join(out, ", ");
}

}  // namespace

int drain_node(const ClusterArgs& a, bool drain) {
    const std::string verb = drain ? "drain" : "undrain";
    expect_operands(a, 1, drain ? "drain NODE" : "undrain NODE");
    const Loaded l = load(a.options.config);
    const Config& config = l.config;
    const std::string& node = a.words[1];
    const std::string& attribute = config.drained_attr;
    require_listed_node(config, node, "cluster " + verb);
    require_operator(config, "cluster " + verb + " " + node);
    const Mon before = parse_mon(query_crm_mon().document_element());
    if (!before.nodes.count(node))
        throw Failure(exit_failed, "cluster " + verb + ": node '" + node +
                                       "' is in HA_CLUSTER_NODES but not a node of this Pacemaker cluster "
                                       "(crm_mon does not list it); nothing was changed");
    if (is_true(query_permanent(node, attribute)) == drain) {
        say(node + (drain ? " is already drained (" + attribute + "=1 in the CIB): nothing to change"
                          : " is not drained (no " + attribute + " in the CIB): nothing to change"));
        return exit_ok;
    }
    auto argv = attribute_argv(node, attribute);
    if (drain) argv.insert(argv.end(), {"--update", "1"});
    else argv.push_back("--delete");
    const auto r = tool(argv);
    if (r.ran() && r.exit_code == kNoCluster) no_cluster(r);
    if (!r.ok()) throw Failure(exit_failed, "crm_attribute: " + r.describe() + "\n" + output_of(r));
    if (is_true(query_permanent(node, attribute)) != drain)
        throw Failure(exit_failed, attribute + " of " + node + " does not read back as written: another "
                                   "ganesha-hactl changed it at the same time? (cluster status shows it)");
    if (drain) {
        say(node + " drained: " + attribute + "=1 in the CIB (kept across restarts until `ganesha-hactl cluster "
                                              "undrain " + node + "`); its ganesha-had moves its VIPs away within 2 s");
    } else {
        say(node + " undrained: " + attribute + " removed from the CIB; its ganesha-had brings its VIP back "
                                                "within 2 s when its ganesha.nfsd is healthy");
    }
    if (!before.nodes.at(node)) {
        say(node + " is offline: it takes the change when it comes back");
        return exit_ok;
    }
    const auto held_before = vip_homes_on(config, before, node);
    const bool done = wait_for_cluster(a.wait, [&](const Mon& mon, std::string& summary) {
        const auto active = mon.attribute(node, config.ganesha_active_attr);
        const bool serving = active && *active == "1";
        if (drain) {
            // Done when the node holds no VIP and the ones it held run
            // elsewhere again (between the two their clients wait).
            const auto held = vip_homes_on(config, mon, node);
            std::vector<std::string> stopped;
            for (const auto& home : held_before)
                if (active_nodes(mon, vip_id(home)).empty()) stopped.push_back(home);
            summary = node + ": " + config.ganesha_active_attr + (serving ? "=1" : " cleared") + ", " +
                      (held.empty() ? "no VIP here" : "still holds " + named_vips(config, held)) +
                      (stopped.empty() ? "" : ", not running yet: " + named_vips(config, stopped));
            return !serving && held.empty() && stopped.empty();
        }
        const auto home = active_nodes(mon, vip_id(node));
        // (no VIP resource: a cluster without the layout, as in the tests)
        const bool at_home = (home.size() == 1 && home.front() == node) || !mon.resources.count(vip_id(node));
        summary = node + ": " + config.ganesha_active_attr + (serving ? "=1" : " not 1 (nfsd not healthy?)") +
                  ", its VIP " + (at_home ? "at home" : home.empty() ? "not running" : "on " + join(home, ","));
        return serving && at_home;
    });
    if (!done) {
        std::fprintf(stderr, "ganesha-hactl: cluster %s %s: recorded in the CIB, but not done within %lld s "
                             "(is ganesha-had running on %s? `ganesha-hactl cluster status`)\n",
                     verb.c_str(), node.c_str(), static_cast<long long>(a.wait.count()), node.c_str());
        return exit_failed;
    }
    return exit_ok;
}

}  // namespace gha::cluster
