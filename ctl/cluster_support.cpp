#include "ctl/cluster_support.hpp"

#include <grp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace gha::cluster {
namespace {

MonResource mon_resource(pugi::xml_node r) {
    MonResource m;
    m.id = xml::get(r, "id");
    m.role = xml::get(r, "role");
    // Serving only once started: a start still in progress (record-pending)
    // or a stop is not.
    const std::string& role = m.role;
    m.running = xml::get(r, "active") == "true";
    m.active = m.running &&
               (role == "Started" || role == "Promoted" || role == "Unpromoted" || role == "Master" || role == "Slave");
    m.failed = xml::get(r, "failed") == "true";
    m.blocked = xml::get(r, "blocked") == "true";
    m.orphaned = xml::get(r, "orphaned") == "true";
    for (const pugi::xml_node n : r.children("node")) m.nodes.push_back(xml::get(n, "name"));
    return m;
}

}  // namespace

void say(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

void warn(const std::string& line) {
    std::fputs(("warning: " + line + "\n").c_str(), stderr);
    std::fflush(stderr);
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
    return out;
}

std::string trim_copy(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return std::string(s);
}

std::string lower(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

std::string read_config_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path, 0, std::string("cannot read: ") + std::strerror(errno));
    std::string text;
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxConfigBytes)
            throw ConfigError(path, 0, "file is larger than " + std::to_string(kMaxConfigBytes) + " bytes");
    }
    return text;
}

Loaded parse_loaded(std::string text, const std::string& source) {
    ConfigOverrides overrides;
    overrides.any_node = true;
    Loaded l;
    l.config = parse_config(text, source, overrides);
    l.options = l.config.layout;
    l.text = std::move(text);
    return l;
}

Loaded load(const std::string& path) { return parse_loaded(read_config_text(path), path); }

void print_config_warnings(const Config& config) {
    for (const auto& w : config.warnings) warn(w);
}

CommandResult tool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    CommandOptions o;
    o.timeout = timeout;
    return run_command(argv, o);
}

std::string output_of(const CommandResult& r) {
    std::string text = trim_copy(r.err);
    const std::string out = trim_copy(r.out);
    if (!out.empty()) text += (text.empty() ? "" : "\n") + out;
    return text;
}

pugi::xml_document parse_tool_xml(const std::string& what, const std::string& text) {
    try {
        return xml::parse(text);
    } catch (const xml::ParseError& e) {
        throw Failure(exit_failed, what + " printed XML we cannot read: " + e.what());
    }
}

[[noreturn]] void no_cluster(const CommandResult& r) {
    throw Failure(exit_no_cluster, "no cluster is running on this node (" + r.describe() +
                                       "): start corosync and pacemaker first");
}

pugi::xml_document query_cib(std::string& raw) {
    const auto r = tool({"cibadmin", "-Q"});
    if (r.ran() && r.exit_code == kNoCluster) no_cluster(r);
    if (!r.ok()) throw Failure(exit_failed, "cibadmin -Q: " + r.describe());
    raw = r.out;
    return parse_tool_xml("cibadmin -Q", r.out);
}

pugi::xml_document query_crm_mon() {
    const auto r = tool({"crm_mon", "--output-as=xml", "-1", "-A"});
    if (r.ran() && r.exit_code == kNoCluster) no_cluster(r);
    if (!r.ok()) throw Failure(exit_failed, "crm_mon: " + r.describe());
    return parse_tool_xml("crm_mon", r.out);
}

std::optional<std::string> Mon::attribute(const std::string& node, const std::string& name) const {
    const auto n = attributes.find(node);
    if (n == attributes.end()) return std::nullopt;
    const auto a = n->second.find(name);
    if (a == n->second.end()) return std::nullopt;
    return a->second;
}

Mon parse_mon(pugi::xml_node root) {
    Mon mon;
    if (const pugi::xml_node summary = root.child("summary")) {
        if (const pugi::xml_node dc = summary.child("current_dc"); dc && xml::get(dc, "present") == "true") {
            mon.dc = xml::get(dc, "name");
            mon.quorum = xml::get(dc, "with_quorum") == "true";
        }
        if (const pugi::xml_node options = summary.child("cluster_options")) {
            if (xml::has(options, "stonith-enabled"))
                mon.stonith_enabled = xml::get(options, "stonith-enabled") == "true";
            mon.no_quorum_policy = xml::get(options, "no-quorum-policy");
        }
    }
    for (const pugi::xml_node n : root.child("nodes").children("node"))
        mon.nodes[xml::get(n, "name")] = xml::get(n, "online") == "true";
    for (const pugi::xml_node r : xml::elements(root.child("resources"))) {
        const std::string name = r.name();
        if (name == "resource") {
            mon.resources[xml::get(r, "id")].push_back(mon_resource(r));
        } else if (name == "clone") {
            auto& instances = mon.resources[xml::get(r, "id")];
            for (const pugi::xml_node i : r.children("resource")) instances.push_back(mon_resource(i));
        } else if (name == "group") {
            for (const pugi::xml_node i : r.children("resource")) mon.resources[xml::get(i, "id")].push_back(mon_resource(i));
        }
    }
    for (const pugi::xml_node n : root.child("node_attributes").children("node"))
        for (const pugi::xml_node a : n.children("attribute"))
            mon.attributes[xml::get(n, "name")][xml::get(a, "name")] = xml::get(a, "value");
    return mon;
}

std::vector<std::string> active_nodes(const Mon& mon, const std::string& id, bool* failed, bool any_role) {
    std::vector<std::string> out;
    const auto it = mon.resources.find(id);
    if (it == mon.resources.end()) return out;
    for (const auto& r : it->second) {
        if (failed && (r.failed || r.blocked)) *failed = true;
        if (any_role ? r.running : r.active)
            for (const auto& n : r.nodes) out.push_back(n);
    }
    return out;
}

void expect_operands(const ClusterArgs& a, std::size_t n, const char* usage) {
    if (a.words.size() != n + 1) throw Failure(exit_usage, std::string("usage: ganesha-hactl cluster ") + usage);
}

void remove_node_attributes(pugi::xml_node node, const std::function<bool(const std::string&)>& which) {
    for (pugi::xml_node set : xml::elements(node)) {
        if (std::string_view(set.name()) != "instance_attributes") continue;
        bool removed = false;
        for (const pugi::xml_node pair : xml::elements(set))
            if (xml::get(pair, "name") != "" && which(xml::get(pair, "name"))) {
                set.remove_child(pair);
                removed = true;
            }
        if (removed && xml::elements(set).empty()) node.remove_child(set);
    }
}

bool wait_for_cluster(std::chrono::seconds bound, const std::function<bool(const Mon&, std::string& summary)>& check) {
    if (bound.count() == 0) return true;
    const auto started = std::chrono::steady_clock::now();
    std::string last;
    for (;;) {
        std::string summary;
        const bool done = check(parse_mon(query_crm_mon().document_element()), summary);
        const auto elapsed = std::chrono::steady_clock::now() - started;
        char stamp[32];
        std::snprintf(stamp, sizeof stamp, "[%5.1fs] ", std::chrono::duration<double>(elapsed).count());
        if (done || summary != last) say(stamp + summary);
        last = summary;
        if (done) return true;
        if (elapsed >= bound) return false;
        ::poll(nullptr, 0, 500);
    }
}

void require_operator(const Config& config, const std::string& what) {
    if (::geteuid() == 0) return;
    const std::string& name = config.control_group;
    if (!name.empty()) {
        group buffer{};
        group* found = nullptr;
        std::vector<char> scratch(65536);
        if (::getgrnam_r(name.c_str(), &buffer, scratch.data(), scratch.size(), &found) == 0 && found) {
            std::vector<gid_t> groups(static_cast<std::size_t>(std::max(::getgroups(0, nullptr), 0)));
            const int n = ::getgroups(static_cast<int>(groups.size()), groups.data());
            groups.resize(static_cast<std::size_t>(std::max(n, 0)));
            if (::getegid() == found->gr_gid ||
                std::find(groups.begin(), groups.end(), found->gr_gid) != groups.end())
                return;
        }
    }
    throw Failure(exit_failed, what + ": only root" +
                                   (name.empty() ? std::string(" (HA_CONTROL_GROUP is not set)")
                                                 : " or members of HA_CONTROL_GROUP (" + name + ")") +
                                   " may do this; nothing was changed");
}

void require_listed_node(const Config& config, const std::string& node, const std::string& what) {
    if (std::find(config.cluster_nodes.begin(), config.cluster_nodes.end(), node) != config.cluster_nodes.end())
        return;
    throw Failure(exit_config, what + ": unknown node '" + node + "': not in HA_CLUSTER_NODES (" +
                                   join(config.cluster_nodes, ", ") + "); nothing was changed");
}

}  // namespace gha::cluster
