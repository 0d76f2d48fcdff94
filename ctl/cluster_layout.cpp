#include "ctl/cluster_layout.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <functional>

#include "ctl/xml_tree.hpp"
#include "service/vip_taker.hpp"

namespace gha::cluster {
namespace {

using xml::escape;

bool is_ipv6(const std::string& address) {
    in6_addr a{};
    return inet_pton(AF_INET6, address.c_str(), &a) == 1;
}

std::string nvpair(const std::string& parent, const std::string& name, const std::string& value) {
    return "<nvpair id=\"" + escape(parent + "-" + name) + "\" name=\"" + escape(name) + "\" value=\"" +
           escape(value) + "\"/>";
}

std::string nvset(const std::string& kind, const std::string& owner,
                  const std::vector<std::pair<std::string, std::string>>& pairs) {
    if (pairs.empty()) return {};
    const std::string id = owner + "-" + kind;
    std::string out = "<" + kind + " id=\"" + escape(id) + "\">";
    for (const auto& [k, v] : pairs) out += nvpair(id, k, v);
    return out + "</" + kind + ">";
}

struct Op {
    std::string name, interval, timeout;
};

std::string primitive(const std::string& id, std::string_view cls, std::string_view provider, std::string_view type,
                      const std::vector<std::pair<std::string, std::string>>& params,
                      const std::vector<std::pair<std::string, std::string>>& meta, const std::vector<Op>& ops) {
    std::string out = "<primitive id=\"" + escape(id) + "\" class=\"" + std::string(cls) + "\" provider=\"" +
                      std::string(provider) + "\" type=\"" + std::string(type) + "\">";
    out += nvset("instance_attributes", id, params);
    out += nvset("meta_attributes", id, meta);
    if (!ops.empty()) {
        out += "<operations>";
        for (const auto& op : ops)
            out += "<op id=\"" + escape(id + "-" + op.name + "-interval-" + op.interval) + "\" name=\"" + op.name +
                   "\" interval=\"" + op.interval + "\" timeout=\"" + op.timeout + "\"/>";
        out += "</operations>";
    }
    return out + "</primitive>";
}

std::string clone(const std::string& id, const std::string& inner,
                  const std::vector<std::pair<std::string, std::string>>& meta) {
    return "<clone id=\"" + escape(id) + "\">" + nvset("meta_attributes", id, meta) + inner + "</clone>";
}

// The rule that bans a resource where `attribute` is not defined or is not 1.
std::string inactive_rule_xml(const std::string& rule, const std::string& attribute) {
    return "<rule id=\"" + escape(rule) + "\" score=\"-INFINITY\" boolean-op=\"or\"><expression id=\"" +
           escape(rule + "-undefined") + "\" attribute=\"" + escape(attribute) +
           "\" operation=\"not_defined\"/><expression id=\"" + escape(rule + "-ne-1") + "\" attribute=\"" +
           escape(attribute) + "\" operation=\"ne\" value=\"1\"/></rule>";
}

// -INFINITY for `rsc` where `attribute` is not defined or is not 1.
std::string inactive_rule(const std::string& id, const std::string& rsc, const std::string& attribute) {
    return "<rsc_location id=\"" + escape(id) + "\" rsc=\"" + escape(rsc) + "\">" +
           inactive_rule_xml(id + "-rule", attribute) + "</rsc_location>";
}

// <resource_set> of `ids`; unordered among themselves unless `sequential`.
std::string resource_set(const std::string& id, const std::vector<std::string>& ids, bool sequential = true) {
    std::string out = "<resource_set id=\"" + escape(id) + "\"" + (sequential ? "" : " sequential=\"false\"") + ">";
    for (const auto& r : ids) out += "<resource_ref id=\"" + escape(r) + "\"/>";
    return out + "</resource_set>";
}

// A node name as a POSIX extended regular expression matching only it
// (host names: letters, digits, '-' and '.').
std::string regex_literal(const std::string& name) {
    std::string out;
    for (const char c : name) {
        if (std::string_view(".[]()*+?{}|^$\\").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

// #uname compared with one of the matched resource's meta attributes.
std::string meta_expression(const std::string& id, std::string_view operation, std::string_view meta) {
    return "<expression id=\"" + escape(id) + "\" attribute=\"#uname\" operation=\"" + std::string(operation) +
           "\" value-source=\"meta\" value=\"" + escape(std::string(meta)) + "\"/>";
}

std::string order(const std::string& id, const std::string& first, const std::string& then, std::string_view kind) {
    return "<rsc_order id=\"" + escape(id) + "\" first=\"" + escape(first) + "\" then=\"" + escape(then) +
           "\" kind=\"" + std::string(kind) + "\"/>";
}

}  // namespace

std::string id_base(std::string_view node) {
    const bool starts_ok = !node.empty() && ((node.front() >= 'a' && node.front() <= 'z') ||
                                             (node.front() >= 'A' && node.front() <= 'Z') || node.front() == '_');
    return starts_ok ? std::string(node) : "_" + std::string(node);
}

std::string vip_id(std::string_view node) { return id_base(node) + "-cluster_ip-1"; }
std::string trigger_id(std::string_view node) { return id_base(node) + "-trigger_ip-1"; }

std::size_t window_size(std::size_t nodes) { return std::min(nodes, kFallbacks + 1); }

namespace {
// "home", "next-1", ...: a rank of a window, in meta attribute and rule ids.
std::string rank_name(std::size_t rank) { return rank == 0 ? "home" : "next-" + std::to_string(rank); }
}  // namespace

std::string window_meta(std::size_t rank) { return "ganesha-ha-" + rank_name(rank); }

std::vector<Preference> vip_preferences(const std::vector<std::string>& nodes, std::size_t home) {
    std::vector<Preference> out;
    const std::size_t n = nodes.size(), w = window_size(n);
    for (std::size_t k = 0; k < w; ++k)
        out.push_back({nodes[(home + k) % n], static_cast<int>(w - k) * kScoreStep});
    return out;
}

Layout build_layout(const Config& config, const LayoutOptions& options) {
    const auto& nodes = config.cluster_nodes;
    if (nodes.size() < 2)
        throw LayoutError("insufficient servers for HA: HA_CLUSTER_NODES lists " + std::to_string(nodes.size()) +
                          " node" + (nodes.size() == 1 ? "" : "s") + ", at least 2 are needed");
    Layout layout;
    layout.nodes = nodes;
    layout.no_quorum_policy = nodes.size() < 3 ? "ignore" : "stop";
    auto add = [&](std::string section, std::string id, std::string xml) {
        layout.objects.push_back({std::move(section), std::move(id), std::move(xml)});
    };

    add("crm_config", std::string(kPropertySetId),
        "<cluster_property_set id=\"" + std::string(kPropertySetId) + "\" score=\"INFINITY\">" +
            nvpair(std::string(kPropertySetId), "no-quorum-policy", layout.no_quorum_policy) +
            "</cluster_property_set>");

    // The agent's ganesha_conf only when HA_GANESHA_CONF is not the default.
    std::vector<std::pair<std::string, std::string>> setup_parameters{{"ha_vol_mnt", options.ha_vol_mnt}};
    if (config.ganesha_conf != kDefaultGaneshaConf) setup_parameters.emplace_back("ganesha_conf", config.ganesha_conf);
    add("resources", std::string(kSetupClone),
        clone(std::string(kSetupClone),
              primitive("nfs_setup", "ocf", kProvider, "ganesha_nfsd", setup_parameters, {},
                        {{"monitor", "60s", "20s"}}),
              {}));
    add("resources", std::string(kMonClone),
        clone(std::string(kMonClone),
              primitive("nfs-mon", "ocf", kProvider, "ganesha_mon",
                        {{"ganesha_active", config.ganesha_active_attr}, {"grace_active", config.grace_active_attr}},
                        {}, {{"monitor", "10s", "10s"}}),
              {}));
    add("resources", std::string(kGraceClone),
        clone(std::string(kGraceClone),
              primitive("nfs-grace", "ocf", kProvider, "ganesha_grace", {{"grace_active", config.grace_active_attr}},
                        {}, {{"monitor", "5s", "10s"}}),
              {{"notify", "true"}}));
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const std::string& node = nodes[i];
        const std::string& vip = config.vips.at(node);
        const int netmask = options.cidr_netmask.value_or(is_ipv6(vip) ? 128 : 32);
        std::vector<std::pair<std::string, std::string>> params = {{"ip", vip},
                                                                   {"cidr_netmask", std::to_string(netmask)}};
        if (!options.nic.empty()) params.emplace_back("nic", options.nic);
        // ganesha-ha-home: the node the readiness rule exempts (kNeedsGrace)
        // and the window's first; ganesha-ha-next-K: the window's others, in
        // order (kWindow, kElsewhere).
        std::vector<std::pair<std::string, std::string>> meta = {{"resource-stickiness", "0"}};
        const auto window = vip_preferences(nodes, i);
        for (std::size_t k = 0; k < window.size(); ++k) meta.emplace_back(window_meta(k), window[k].node);
        add("resources", vip_id(node),
            primitive(vip_id(node), "ocf", "heartbeat", "IPaddr2", params, meta, {{"monitor", "10s", "20s"}}));
        add("resources", trigger_id(node),
            primitive(trigger_id(node), "ocf", "ganesha", "ganesha_handover", {{"ip", vip}}, meta,
                      {{"monitor", "10s", "20s"}}));
    }

    const std::string grace(kGraceClone);
    std::vector<std::string> vips, triggers;
    for (const auto& node : nodes) {
        vips.push_back(vip_id(node));
        triggers.push_back(trigger_id(node));
    }
    add("constraints", grace + "-grace-active", inactive_rule(grace + "-grace-active", grace, config.grace_active_attr));
    // The rules for every VIP and trigger are rsc-pattern constraints (issue
    // 15: one per VIP, or a set of them all, was most of a 32-node CIB): the
    // pattern captures the home's name, the rule reads the resource's own
    // meta attributes (value-source="meta"; Pacemaker expands %1 in
    // attribute names only, not in values). Ids of nodes whose names start
    // with a digit begin with '_', outside the capture: a second constraint.
    std::string names[2];  // the alternatives of the capture: [0] ids that are the names, [1] "_<name>"
    for (const auto& node : nodes) {
        std::string& list = names[id_base(node) != node];
        list += (list.empty() ? "" : "|") + regex_literal(node);
    }
    auto add_for_every_vip = [&](std::string_view base, std::string_view resources, std::string_view attributes,
                                 const std::function<std::string(const std::string& id)>& rules) {
        for (const bool digit : {false, true}) {
            if (names[digit].empty()) continue;
            const std::string id = std::string(base) + (digit ? "-digit-names" : "");
            add("constraints", id,
                "<rsc_location id=\"" + escape(id) + "\" rsc-pattern=\"" +
                    escape("^" + std::string(digit ? "_" : "") + "(" + names[digit] + ")-" + std::string(resources) + "$") +
                    "\"" + std::string(attributes) + ">" + rules(id) + "</rsc_location>");
        }
    };
    // One rule for every VIP and trigger, one order each way between the
    // triggers, the grace clone and the VIPs (sets, unordered among
    // themselves: Pacemaker unpacks them into the pairwise orders). The
    // triggers are in the rule too: a trigger's start runs take-vip, which
    // fails where ganesha is down, and a failed start bans it from that
    // node for good (fail-count INFINITY). Without the rule Pacemaker
    // started a VIP's trigger at its home (exempt from the readiness rule)
    // while the home's ganesha was dead and no other node was ready yet
    // (ATriggerNeverStartsWhereGaneshaIsNotActive): the VIP never came home
    // again.
    const std::string vip_and_trigger = "(cluster|trigger)_ip-1";
    add_for_every_vip(kVipsGaneshaActive, vip_and_trigger, "", [&](const std::string& id) {
        return inactive_rule_xml(id + "-rule", config.ganesha_active_attr);
    });
    const std::string to_grace(kTriggersThenGrace), from_grace(kGraceThenVips);
    // Not symmetrical: its inverse (the grace clone's stop before a
    // trigger's stop) made every failover's VIP wait for the failed node's
    // grace instance to stop, with pre- and post-notifications on every
    // node: 0.9 s of an 8-node failover. The VIP needs no such wait: it
    // starts only where a daemon declared grace for it (ganesha-ha-needs-grace).
    add("constraints", to_grace,
        "<rsc_order id=\"" + to_grace + "\" kind=\"Optional\" symmetrical=\"false\">" +
            resource_set(to_grace + "-triggers", triggers, false) +
            resource_set(to_grace + "-grace", {grace}) + "</rsc_order>");
    add("constraints", from_grace,
        "<rsc_order id=\"" + from_grace + "\" kind=\"Mandatory\">" + resource_set(from_grace + "-grace", {grace}) +
            resource_set(from_grace + "-vips", vips, false) + "</rsc_order>");
    // Issue 11: a VIP (and its trigger, whose start takes the grace) may
    // start only at home or where the node's daemon declared its ganesha in
    // grace for the VIP's holder: whatever Pacemaker decides, the VIP cannot
    // come up on a node whose ganesha would refuse its clients' reclaims or
    // that took no grace for them. The attribute's name comes from the
    // pattern's capture (grace-for-%1), the home from the meta attribute.
    // `ne` is also true where the attribute is not defined.
    add_for_every_vip(kNeedsGrace, vip_and_trigger, "", [&](const std::string& id) {
        const std::string rule = id + "-rule";
        return "<rule id=\"" + escape(rule) + "\" score=\"-INFINITY\" boolean-op=\"and\">" +
               meta_expression(rule + "-not-home", "ne", kHomeMeta) + "<expression id=\"" +
               escape(rule + "-not-ready") + "\" attribute=\"" + escape(vip_ready_attribute("%1")) +
               "\" operation=\"ne\" value=\"1\"/></rule>";
    });
    // A VIP's window: W*1000 at home, 1000 less on each next node. One rule
    // per rank, the node of each from the VIP's own meta attributes. On the
    // VIP only: the trigger follows it (V-with-T merges V's scores into T's
    // placement).
    // Every window has the same ranks and scores: the first node's says them.
    const auto ranks = vip_preferences(nodes, 0);
    const std::size_t w = ranks.size();
    add_for_every_vip(kWindow, "cluster_ip-1", "", [&](const std::string& id) {
        std::string rules;
        for (std::size_t k = 0; k < w; ++k) {
            const std::string rule = id + "-" + rank_name(k);
            rules += "<rule id=\"" + escape(rule) + "\" score=\"" + std::to_string(ranks[k].score) + "\">" +
                     meta_expression(rule + "-here", "eq", window_meta(k)) + "</rule>";
        }
        return rules;
    });
    if (w < nodes.size()) {
        // Outside its window a VIP and its trigger may still run (score 0,
        // as everywhere in a symmetric cluster), but are not probed: the
        // history of every node stays O(window), not O(n).
        add_for_every_vip(kElsewhere, vip_and_trigger, " resource-discovery=\"never\"", [&](const std::string& id) {
            const std::string rule = id + "-rule";
            std::string x = "<rule id=\"" + escape(rule) + "\" score=\"0\" boolean-op=\"and\">";
            for (std::size_t k = 0; k < w; ++k)
                x += meta_expression(rule + "-not-" + rank_name(k), "ne", window_meta(k));
            return x + "</rule>";
        });
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const std::string v = vip_id(nodes[i]), t = trigger_id(nodes[i]);
        const std::string with = colocation_id(nodes[i]);
        add("constraints", with,
            "<rsc_colocation id=\"" + escape(with) + "\" rsc=\"" + escape(v) + "\" with-rsc=\"" + escape(t) +
                "\" score=\"INFINITY\"/>");
        const std::string then = trigger_order_id(nodes[i]);
        add("constraints", then, order(then, t, v, "Mandatory"));
    }

    layout.tag = layout_tag(layout.objects);
    return layout;
}

std::optional<std::string> node_of_vip_id(std::string_view id) {
    constexpr std::string_view suffix = "-cluster_ip-1";
    if (!id.ends_with(suffix) || id.size() == suffix.size()) return std::nullopt;
    std::string_view base = id.substr(0, id.size() - suffix.size());
    if (base.size() > 1 && base.front() == '_' && base[1] >= '0' && base[1] <= '9') base.remove_prefix(1);
    return std::string(base);
}

std::string prefers_id(std::string_view home, std::string_view node) {
    return vip_id(home) + "-prefers-" + std::string(node);
}
std::string elsewhere_id(std::string_view home) { return vip_id(home) + "-elsewhere"; }
std::string colocation_id(std::string_view home) { return vip_id(home) + "-with-" + trigger_id(home); }
std::string trigger_order_id(std::string_view home) { return trigger_id(home) + "-then-" + vip_id(home); }

std::vector<std::string> vip_constraint_ids(std::string_view node, const std::vector<std::string>& nodes) {
    std::vector<std::string> out;
    for (const auto& m : nodes) out.push_back(prefers_id(node, m));
    out.push_back(elsewhere_id(node));
    out.push_back(vip_id(node) + "-needs-grace");  // the readiness rule of one VIP (before issue 15)
    out.push_back(colocation_id(node));
    out.push_back(trigger_order_id(node));
    return out;
}

std::set<std::string> owned_ids(const std::set<std::string>& tagged) {
    std::set<std::string> out = tagged;
    std::vector<std::string> nodes;
    for (const auto& id : tagged)
        if (auto node = node_of_vip_id(id)) nodes.push_back(std::move(*node));
    for (const auto& node : nodes)
        for (auto& id : vip_constraint_ids(node, nodes)) out.insert(std::move(id));
    return out;
}

CibObject layout_tag(const std::vector<CibObject>& objects) {
    std::set<std::string> listed;
    for (const auto& o : objects)
        if (o.section != "constraints") listed.insert(o.id);
    const std::set<std::string> derived = owned_ids(listed);
    std::string tag = "<tag id=\"" + std::string(kTagId) + "\">";
    for (const auto& o : objects)
        if (o.section != "constraints" || !derived.count(o.id)) tag += "<obj_ref id=\"" + xml::escape(o.id) + "\"/>";
    tag += "</tag>";
    return {"tags", std::string(kTagId), tag};
}

std::string render_configuration(const Layout& layout) {
    pugi::xml_document document;
    pugi::xml_node configuration = document.append_child("configuration");
    for (const char* section : {"crm_config", "resources", "constraints", "tags"}) {
        pugi::xml_node s = configuration.append_child(section);
        for (const auto& o : layout.objects)
            if (o.section == section) s.append_copy(xml::parse(o.xml).document_element());
        if (layout.tag.section == section) s.append_copy(xml::parse(layout.tag.xml).document_element());
    }
    return xml::to_string(configuration);
}

}  // namespace gha::cluster
