#include "ctl/cluster_layout.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "ctl/mini_xml.hpp"

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

// -INFINITY where `attribute` is not defined or is not 1.
std::string inactive_rule(const std::string& id, const std::string& rsc, const std::string& attribute) {
    const std::string rule = id + "-rule";
    return "<rsc_location id=\"" + escape(id) + "\" rsc=\"" + escape(rsc) + "\"><rule id=\"" + escape(rule) +
           "\" score=\"-INFINITY\" boolean-op=\"or\"><expression id=\"" + escape(rule + "-undefined") +
           "\" attribute=\"" + escape(attribute) + "\" operation=\"not_defined\"/><expression id=\"" +
           escape(rule + "-ne-1") + "\" attribute=\"" + escape(attribute) +
           "\" operation=\"ne\" value=\"1\"/></rule></rsc_location>";
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

std::vector<Preference> vip_preferences(const std::vector<std::string>& nodes, std::size_t home) {
    std::vector<Preference> out;
    const std::size_t n = nodes.size();
    for (std::size_t k = 0; k < n; ++k)
        out.push_back({nodes[(home + k) % n], static_cast<int>(n - k) * kScoreStep});
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
    for (const auto& node : nodes) {
        const std::string& vip = config.vips.at(node);
        const int netmask = options.cidr_netmask.value_or(is_ipv6(vip) ? 128 : 32);
        std::vector<std::pair<std::string, std::string>> params = {{"ip", vip},
                                                                   {"cidr_netmask", std::to_string(netmask)}};
        if (!options.nic.empty()) params.emplace_back("nic", options.nic);
        add("resources", vip_id(node),
            primitive(vip_id(node), "ocf", "heartbeat", "IPaddr2", params, {{"resource-stickiness", "0"}},
                      {{"monitor", "10s", "20s"}}));
        add("resources", trigger_id(node),
            primitive(trigger_id(node), "ocf", "ganesha", "ganesha_handover", {{"ip", vip}},
                      {{"resource-stickiness", "0"}}, {{"monitor", "10s", "20s"}}));
    }

    const std::string grace(kGraceClone);
    add("constraints", grace + "-grace-active", inactive_rule(grace + "-grace-active", grace, config.grace_active_attr));
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const std::string v = vip_id(nodes[i]), t = trigger_id(nodes[i]);
        add("constraints", v + "-ganesha-active", inactive_rule(v + "-ganesha-active", v, config.ganesha_active_attr));
        for (const auto& p : vip_preferences(nodes, i)) {
            const std::string id = v + "-prefers-" + p.node;
            add("constraints", id,
                "<rsc_location id=\"" + escape(id) + "\" rsc=\"" + escape(v) + "\" node=\"" + escape(p.node) +
                    "\" score=\"" + std::to_string(p.score) + "\"/>");
        }
        const std::string with = v + "-with-" + t;
        add("constraints", with,
            "<rsc_colocation id=\"" + escape(with) + "\" rsc=\"" + escape(v) + "\" with-rsc=\"" + escape(t) +
                "\" score=\"INFINITY\"/>");
        add("constraints", t + "-then-" + grace, order(t + "-then-" + grace, t, grace, "Optional"));
        add("constraints", grace + "-then-" + v, order(grace + "-then-" + v, grace, v, "Mandatory"));
        add("constraints", t + "-then-" + v, order(t + "-then-" + v, t, v, "Mandatory"));
    }

    std::string tag = "<tag id=\"" + std::string(kTagId) + "\">";
    for (const auto& o : layout.objects) tag += "<obj_ref id=\"" + escape(o.id) + "\"/>";
    tag += "</tag>";
    layout.tag = {"tags", std::string(kTagId), tag};
    return layout;
}

std::string render_configuration(const Layout& layout) {
    xml::Element configuration;
    configuration.name = "configuration";
    for (const char* section : {"crm_config", "resources", "constraints", "tags"}) {
        xml::Element s;
        s.name = section;
        for (const auto& o : layout.objects)
            if (o.section == section) s.children.push_back(xml::parse(o.xml));
        if (layout.tag.section == section) s.children.push_back(xml::parse(layout.tag.xml));
        configuration.children.push_back(std::move(s));
    }
    return xml::to_string(configuration);
}

}  // namespace gha::cluster
