// `ganesha-hactl cluster move VIP|NODE TARGET` (issue 14; ctdb's moveip).
//
// A VIP must never start on a node whose ganesha is not in grace for its
// clients (DESIGN.md's invariant). The layout already makes Pacemaker keep
// a VIP away from every node but its home where grace-for-<home> is not 1,
// so a move is a request to the target's daemon plus a pull for Pacemaker,
// written together in one CIB patch:
//   - the permanent node attribute ganesha-take-<home>=requested on TARGET:
//     its daemon (watching its node's permanent attributes every 2 s) puts
//     its ganesha into grace for the VIP, then sets grace-for-<home>=1, and
//     records "held" once the VIP has arrived;
//   - the location constraint ganesha-ha-move-<home>: INFINITY for the VIP
//     on TARGET. Until TARGET is ready the needs-grace rule (-INFINITY)
//     outweighs it and the VIP stays where it is, serving.
// The move lasts until the VIP next leaves TARGET (TARGET fails or is
// drained: its daemon then deletes both), or `move VIP HOME`, or a `cluster
// setup`/`add`/`delete`, which rebalance. A move home only removes them.
#include <algorithm>

#include "ctl/cluster_support.hpp"
#include "service/vip_taker.hpp"

namespace gha::cluster {
namespace {

// The VIP's home: a node of HA_CLUSTER_NODES or a VIP address.
std::string home_of(const Config& config, const std::string& word) {
    if (config.vips.count(word)) return word;
    for (const auto& [home, vip] : config.vips)
        if (vip == word) return home;
    std::vector<std::string> vips;
    for (const auto& [home, vip] : config.vips) vips.push_back(vip);
    throw Failure(exit_config, "cluster move: unknown VIP or node '" + word + "': neither a node of HA_CLUSTER_NODES (" +
                                   join(config.cluster_nodes, ", ") + ") nor a VIP (" + join(vips, ", ") +
                                   "); nothing was changed");
}

std::string yes(const std::optional<std::string>& value) { return value && *value == "1" ? "1" : "not 1"; }

}  // namespace

Plan plan_move(pugi::xml_node configuration, const std::string& home, const std::optional<std::string>& target) {
    const pugi::xml_node conf = xml::element_of(configuration);
    Plan plan;
    pugi::xml_node out = plan.configuration.append_copy(conf);
    const std::string id = move_constraint_id(home);
    const std::string attribute = move_request_attribute(home);

    pugi::xml_node constraints = out.child("constraints");
    if (!constraints) constraints = out.append_child("constraints");
    for (const pugi::xml_node c : constraints.children("rsc_location"))
        if (xml::get(c, "id") == id) {
            constraints.remove_child(c);
            plan.removed.push_back(id);
            break;
        }
    bool target_found = !target;
    for (pugi::xml_node node : out.child("nodes").children("node")) {
        const bool is_target = target && xml::get(node, "uname") == *target;
        target_found = target_found || is_target;
        remove_node_attributes(node, [&](const std::string& name) { return name == attribute; });
        if (!is_target) continue;
        pugi::xml_node set = node.child("instance_attributes");
        if (!set) {
            set = node.append_child("instance_attributes");
            xml::set(set, "id", "nodes-" + xml::get(node, "id"));
        }
        pugi::xml_node pair = set.append_child("nvpair");
        xml::set(pair, "id", xml::get(set, "id") + "-" + attribute);
        xml::set(pair, "name", attribute);
        xml::set(pair, "value", kMoveRequested);
    }
    if (!target_found)
        throw std::invalid_argument("node '" + *target + "' has no <node> entry in the CIB (it never joined)");
    if (target) {
        pugi::xml_node c = constraints.append_child("rsc_location");
        xml::set(c, "id", id);
        xml::set(c, "rsc", vip_id(home));
        xml::set(c, "node", *target);
        xml::set(c, "score", "INFINITY");
        std::erase(plan.removed, id);
        plan.created.push_back(id);
    }
    plan.changed = !xml::equivalent(conf, out);
    return plan;
}

int move_vip(const ClusterArgs& a) {
    expect_operands(a, 2, "move VIP|NODE TARGET");
    const Loaded l = load(a.options.config);
    const Config& config = l.config;
    const std::string home = home_of(config, a.words[1]);
    const std::string& target = a.words[2];
    const std::string vip = config.vips.at(home);
    const std::string what = "cluster move " + vip + " (" + home + "'s VIP) to " + target;
    require_listed_node(config, target, "cluster move");
    require_operator(config, what);

    const Mon mon = parse_mon(query_crm_mon().document_element());
    const std::string resource = vip_id(home);
    if (!mon.resources.count(resource))
        throw Failure(exit_failed, what + ": no resource " + resource + " (run cluster setup); nothing was changed");
    const auto refuse = [&](const std::string& why) {
        throw Failure(exit_failed, what + ": " + why + "; nothing was changed");
    };
    const auto online = mon.nodes.find(target);
    if (online == mon.nodes.end()) refuse(target + " is not a node of this Pacemaker cluster (crm_mon)");
    if (!online->second) refuse(target + " is offline");
    const auto drained = mon.attribute(target, config.drained_attr);
    if (drained && (*drained == "1" || *drained == "true" || *drained == "yes" || *drained == "on"))
        refuse(target + " is drained (" + config.drained_attr + "=" + *drained + "; `ganesha-hactl cluster undrain " +
               target + "` first)");
    if (yes(mon.attribute(target, config.ganesha_active_attr)) != "1")
        refuse(target + "'s ganesha.nfsd is not healthy (" + config.ganesha_active_attr + " is not 1 there)");
    const auto on = active_nodes(mon, resource);
    const bool there = on.size() == 1 && on.front() == target;
    const std::optional<std::string> to = target == home ? std::nullopt : std::optional<std::string>(target);
    if (there && to && mon.attribute(target, move_request_attribute(home))) {
        say(vip + " already runs on " + target + " (moved there): nothing to change");
        return exit_ok;
    }

    // One patch: the request and the pull (a move home removes both, and a
    // request still waiting elsewhere).
    Applied applied;
    try {
        applied = apply_plan([&](pugi::xml_node conf) { return plan_move(conf, home, to); });
    } catch (const std::invalid_argument& e) {
        refuse(e.what());
    }
    if (there && !to) {
        say(vip + " already runs at home on " + target +
            (applied.changed ? "; a move still waiting for it elsewhere is ended" : ": nothing to change"));
        return exit_ok;
    }
    say(to ? what + ": requested (" + move_request_attribute(home) + "=" + kMoveRequested + " on " + target +
                 ", constraint " + move_constraint_id(home) + "); " + target + "'s ganesha-had puts its ganesha into "
                 "grace for the VIP first, then Pacemaker moves it; it stays there until it next leaves " + target
           : what + ": the move is ended; the VIP goes home by its location scores");

    const bool done = wait_for_cluster(a.wait, [&](const Mon& now, std::string& summary) {
        const auto where = active_nodes(now, resource);
        const auto ready = now.attribute(target, vip_ready_attribute(home));
        const auto request = now.attribute(target, move_request_attribute(home));
        summary = vip + " " + (where.empty() ? "stopped" : "on " + join(where, ",")) +
                  (to ? "; " + target + ": " + vip_ready_attribute(home) + " " + yes(ready) +
                            (request ? ", request " + *request : ", request gone")
                      : "");
        if (to && !request)
            throw Failure(exit_failed, what + ": " + target + "'s ganesha-had ended the move before the VIP arrived "
                                              "(it cannot take it: drained, nfsd down, or its grace failed; "
                                              "`ganesha-hactl events` on " + target + ")");
        return where.size() == 1 && where.front() == target;
    });
    if (done) return exit_ok;
    if (to) {  // A move that did not happen in time must not happen later by surprise.
        apply_plan([&](pugi::xml_node conf) { return plan_move(conf, home, std::nullopt); });
        std::fprintf(stderr, "ganesha-hactl: %s: not there within %lld s; the move is cancelled (request and "
                             "constraint removed)\n", what.c_str(), static_cast<long long>(a.wait.count()));
    } else {
        std::fprintf(stderr, "ganesha-hactl: %s: not at home within %lld s\n", what.c_str(),
                     static_cast<long long>(a.wait.count()));
    }
    return exit_failed;
}

}  // namespace gha::cluster
