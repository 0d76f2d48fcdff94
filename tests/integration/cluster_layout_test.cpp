// `ganesha-hactl cluster` against Pacemaker's real tools:
//  - the generated CIB passes crm_verify (2, 3, 4, 8 nodes, FQDN names);
//  - crm_simulate scenarios (offline, deterministic) for 3, 4 and 6 nodes:
//    placement read from `crm_mon --output-as=xml` with CIB_file, ordering
//    from the transition graph (crm_simulate -G);
//  - beyond a VIP's window (8 nodes): placed anyway, back in order; probes
//    only in the window;
//  - setup on a cluster with the quadratic layout (tests/data): one patch
//    after which Pacemaker schedules nothing, even mid-failover;
//  - the layout at 3, 8, 16, 32 and 64 nodes: crm_verify, every VIP at home,
//    failover in order and back, sizes and one scheduler run printed;
//  - setup/add/delete/teardown/status on a CIB file (CIB_file), including
//    the refusals, which must change nothing;
//  - a live single-node corosync + pacemaker (lab::PacemakerNode) with a
//    two-node configuration whose node2 is simply offline;
//  - refresh-config against a real ganesha.nfsd on a private bus.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "ctl/cluster_layout.hpp"
#include "ctl/xml_tree.hpp"
#include "tests/support/build_dir.hpp"
#include "tests/support/cib_file.hpp"
#include "tests/support/ganesha_lab.hpp"
#include "tests/support/pacemaker_node.hpp"

namespace gha {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using cluster::trigger_id;
using cluster::vip_id;
using nlohmann::json;

using test::kBin;
const std::string kHactl = kBin + "/ctl/ganesha-hactl";
// setup refuses a ganesha.conf that would lose clients' state; this one passes.
const std::string kGoodGaneshaConf = std::string(GHA_SOURCE_DIR) + "/tests/data/conforming-ganesha.conf";

std::vector<std::string> numbered(int n) {
    std::vector<std::string> out;
    for (int i = 1; i <= n; ++i) out.push_back("node" + std::to_string(i));
    return out;
}

std::string conf_text(const std::vector<std::string>& nodes, const std::string& extra = "") {
    std::string list, vips;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        list += (i ? "," : "") + nodes[i];
        vips += "VIP_" + node_key(nodes[i]) + "=\"192.0.2." + std::to_string(101 + i) + "\"\n";
    }
    return "HA_NAME=\"lab\"\nHA_CLUSTER_NODES=\"" + list + "\"\n" + vips + extra;
}

// `ganesha-hactl cluster --config FILE ARGS...` with CIB_file when given.
lab::CliResult hactl(const std::string& config, const std::vector<std::string>& args, const std::string& cib_file = "",
                     std::chrono::milliseconds deadline = 60000ms) {
    std::vector<std::string> argv = {kHactl, "cluster", "--config", config, "--ganesha-conf", kGoodGaneshaConf};
    argv.insert(argv.end(), args.begin(), args.end());
    lab::Env env;
    if (!cib_file.empty()) env["CIB_file"] = cib_file;
    return lab::run_capture(argv, deadline, env);
}

using lab::full_cib;

std::string layout_for(const lab::TempDir& dir, const std::vector<std::string>& nodes) {
    const std::string config = lab::write_file(dir.file("ganesha-ha.conf"), conf_text(nodes));
    const auto r = hactl(config, {"show-cib"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
}

// Resource id -> nodes it is active on, from crm_mon's XML.
std::map<std::string, std::vector<std::string>> placement_from(const std::string& crm_mon_xml) {
    std::map<std::string, std::vector<std::string>> out;
    const pugi::xml_document document = xml::parse(crm_mon_xml);
    auto add = [&](pugi::xml_node r) {
        auto& on = out[xml::get(r, "id")];
        if (xml::get(r, "active") == "true")
            for (const pugi::xml_node n : r.children("node")) on.push_back(xml::get(n, "name"));
    };
    const pugi::xml_node resources = document.document_element().child("resources");
    for (const pugi::xml_node r : resources.children("resource")) add(r);
    for (const pugi::xml_node g : resources.children("group"))  // GlusterFS's layout
        for (const pugi::xml_node r : g.children("resource")) add(r);
    return out;
}

// The transition graph of crm_simulate -G: actions named "KEY@NODE" (or
// "KEY" for pseudo actions), with their direct inputs.
class Graph {
public:
    explicit Graph(const std::string& text) {
        const pugi::xml_document document = xml::parse(text);
        for (const pugi::xml_node synapse : document.document_element().children("synapse")) {
            std::vector<std::string> ids;
            for (const pugi::xml_node a : xml::elements(synapse.child("action_set"))) {
                const std::string id = xml::get(a, "id");
                name_[id] = xml::get(a, "operation_key") + (xml::has(a, "on_node") ? "@" + xml::get(a, "on_node") : "");
                ids.push_back(id);
            }
            std::vector<std::string> inputs;
            for (const pugi::xml_node trigger : synapse.child("inputs").children("trigger"))
                for (const pugi::xml_node t : xml::elements(trigger)) inputs.push_back(xml::get(t, "id"));
            for (const auto& id : ids) inputs_[id] = inputs;
        }
    }
    bool has(const std::string& name) const { return !id_of(name).empty(); }
    // The action of a clone instance: "nfs-grace:2_start_0@node1" for
    // ("nfs-grace", "_start_0@node1"); "" when there is none.
    std::string instance(const std::string& primitive, const std::string& suffix) const {
        for (const auto& [id, n] : name_)
            if ((n.starts_with(primitive + ":") || n.starts_with(primitive + "_")) && n.ends_with(suffix) &&
                n.find("notify") == std::string::npos)
                return n;
        return {};
    }
    // Everything `name` waits for, directly or not.
    std::set<std::string> before(const std::string& name) const {
        std::set<std::string> seen;
        std::vector<std::string> todo = {id_of(name)};
        while (!todo.empty()) {
            const std::string id = todo.back();
            todo.pop_back();
            const auto it = inputs_.find(id);
            if (it == inputs_.end()) continue;
            for (const auto& in : it->second)
                if (seen.insert(name_.count(in) ? name_.at(in) : in).second) todo.push_back(in);
        }
        return seen;
    }
    std::string names() const {
        std::string out;
        for (const auto& [id, n] : name_) out += n + "\n";
        return out;
    }

private:
    std::string id_of(const std::string& name) const {
        for (const auto& [id, n] : name_)
            if (n == name) return id;
        return {};
    }
    std::map<std::string, std::string> name_;
    std::map<std::string, std::vector<std::string>> inputs_;
};

// ---- crm_verify ------------------------------------------------------------------

TEST(ClusterLayoutCib, PassesCrmVerify) {
    const std::vector<std::vector<std::string>> sets = {
        numbered(2), numbered(3), numbered(4), numbered(8),
        {"nfs-1.example.com", "nfs-2.example.com", "3rd.lab.example.org"},
    };
    for (const auto& nodes : sets) {
        lab::TempDir dir;
        const std::string cib = lab::write_file(dir.file("cib.xml"), full_cib(layout_for(dir, nodes), nodes));
        const auto r = lab::run_capture({"crm_verify", "-x", cib, "-V"}, 30000ms);
        EXPECT_EQ(r.exit_code, 0) << nodes.size() << " nodes: " << r.out << r.err;
        EXPECT_EQ(r.out + r.err, "") << nodes.size() << " nodes";
    }
}

// ---- crm_simulate ------------------------------------------------------------------

// One simulated cluster: transitions executed by crm_simulate -S, transient
// attributes changed with crm_attribute on the CIB file. It starts with
// every node online and healthy (the status written as crm_simulate -u and
// crm_attribute would leave it), settled: every probe run, every resource
// placed, nothing left to do.
class Simulation {
public:
    explicit Simulation(std::vector<std::string> nodes) : Simulation(nodes, {}) {}
    // `configuration`: show-cib's output to start from ("": this build's).
    Simulation(std::vector<std::string> nodes, std::string configuration) : nodes_(std::move(nodes)) {
        if (configuration.empty()) configuration = layout_for(dir_, nodes_);
        state_ = lab::write_file(dir_.file("state.xml"), full_cib(configuration, nodes_, true));
        int runs = 1;
        while (!quiet(run()) && runs < 5) ++runs;
        EXPECT_TRUE(quiet(run())) << "not settled after " << runs << " transitions";
    }

    static bool quiet(const std::string& out) { return lab::crm_simulate_quiet(out); }

    // One transition (crm_simulate -S) with extra arguments; its graph is saved when asked.
    std::string run(const std::vector<std::string>& extra = {}, const std::string& graph = "") {
        const std::string next = dir_.file("next.xml");
        std::vector<std::string> argv = {"crm_simulate", "-x", state_, "-S", "-O", next};
        argv.insert(argv.end(), extra.begin(), extra.end());
        if (!graph.empty()) {
            argv.push_back("-G");
            argv.push_back(graph);
        }
        // The first run at 64 nodes (every probe, every start) takes ~20 s of CPU.
        const auto r = lab::run_capture(argv, 110000ms);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        fs::rename(next, state_);
        return r.out;
    }
    void settle() {
        run();
        run();
    }
    void attribute(const std::string& node, const std::string& name, const std::optional<std::string>& value) {
        std::vector<std::string> argv = {"crm_attribute", "-N", node, "-n", name, "-l", "reboot"};
        if (value) {
            argv.push_back("-v");
            argv.push_back(*value);
        } else {
            argv.push_back("-D");
        }
        const auto r = lab::run_capture(argv, 10000ms, {{"CIB_file", state_}});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    // What ganesha-had does for a healthy / dead nfsd.
    void healthy(const std::string& node) {
        attribute(node, "ganesha-active", "1");
        attribute(node, "grace-active", "1");
    }
    void unhealthy(const std::string& node) {
        attribute(node, "grace-active", std::nullopt);
        attribute(node, "ganesha-active", std::nullopt);
    }
    // What the daemon on `node` does once its ganesha is in grace for the
    // VIP of `home` (it takes that VIP), and once the VIP has left it.
    void ready(const std::string& node, const std::string& home) { attribute(node, "grace-for-" + home, "1"); }
    void not_ready(const std::string& node, const std::string& home) {
        attribute(node, "grace-for-" + home, std::nullopt);
    }
    std::map<std::string, std::vector<std::string>> placement() const {
        const auto r = lab::run_capture({"crm_mon", "--output-as=xml", "-1"}, 10000ms, {{"CIB_file", state_}});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return placement_from(r.out);
    }
    std::string vip_on(const std::string& node) const {
        const auto p = placement();
        const auto it = p.find(vip_id(node));
        if (it == p.end() || it->second.empty()) return "<stopped>";
        std::string out;
        for (const auto& n : it->second) out += (out.empty() ? "" : ",") + n;
        return out;
    }
    void expect_every_vip_at_home_except(const std::set<std::string>& moved) const {
        const auto p = placement();
        for (const auto& n : nodes_) {
            if (!moved.count(n)) {
                EXPECT_EQ(p.at(vip_id(n)), std::vector<std::string>{n}) << vip_id(n);
            }
        }
    }
    // The nodes whose resource history (the status section) has `resource`:
    // where it was probed or has run.
    std::set<std::string> known_on(const std::string& resource) const {
        std::set<std::string> out;
        const pugi::xml_document cib = xml::parse(lab::read_file(state_));
        for (const pugi::xml_node n : cib.document_element().child("status").children("node_state"))
            for (const pugi::xml_node r : n.child("lrm").child("lrm_resources").children("lrm_resource"))
                if (xml::get(r, "id") == resource) out.insert(xml::get(n, "uname"));
        return out;
    }
    const std::vector<std::string>& nodes() const { return nodes_; }
    const std::string& state() const { return state_; }
    std::string file(const std::string& name) const { return dir_.file(name); }

private:
    lab::TempDir dir_;
    std::vector<std::string> nodes_;
    std::string state_;
};

class ClusterSimulation : public ::testing::TestWithParam<int> {};

TEST_P(ClusterSimulation, AllHealthyEveryVipAtHome) {
    Simulation sim(numbered(GetParam()));
    sim.expect_every_vip_at_home_except({});
    const auto p = sim.placement();
    for (const auto& n : sim.nodes()) EXPECT_EQ(p.at(trigger_id(n)), std::vector<std::string>{n});
}

TEST_P(ClusterSimulation, GaneshaActiveClearedMovesTheVipToTheNextNodeAndBack) {
    Simulation sim(numbered(GetParam()));
    sim.unhealthy("node1");
    sim.settle();
    // Nobody is in grace for it yet: it stops and waits (the taker's daemon
    // declares itself within milliseconds of the failure, as a rule before
    // node1 even clears ganesha-active).
    EXPECT_EQ(sim.vip_on("node1"), "<stopped>");
    sim.ready("node2", "node1");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node2");
    sim.expect_every_vip_at_home_except({"node1"});
    sim.healthy("node1");
    sim.settle();
    sim.expect_every_vip_at_home_except({});

    // ganesha-active alone (grace-active still 1) is what moves the VIP.
    sim.attribute("node1", "ganesha-active", "0");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node2");
    // And the last node's VIP wraps around to node1, or node2 when node1 is
    // unhealthy too: wherever its taker declares itself ready.
    const std::string last = sim.nodes().back();
    sim.unhealthy(last);
    sim.ready("node2", last);
    sim.settle();
    EXPECT_EQ(sim.vip_on(last), "node2") << "node1 is unhealthy too, so node2 after it";
}

TEST_P(ClusterSimulation, NodeFailureMovesTheVipToTheNextNodeAndBack) {
    Simulation sim(numbered(GetParam()));
    sim.run({"-f", "node1"});
    sim.ready("node2", "node1");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node2");
    sim.expect_every_vip_at_home_except({"node1"});
    sim.run({"-u", "node1"});
    sim.healthy("node1");  // a rejoining node's attributes are set again by its ganesha-had
    sim.settle();
    sim.expect_every_vip_at_home_except({});  // home needs no readiness
}

// Issue 11: whatever the scores, a VIP starts away from home only where a
// daemon declared its ganesha in grace for it.
TEST_P(ClusterSimulation, AVipStartsAwayFromHomeOnlyWhereItsTakerDeclaredGrace) {
    Simulation sim(numbered(GetParam()));
    // An operator's move (pcs resource move: INFINITY on node3) cannot put
    // it on a node that is not in grace for its clients.
    const std::string move = "<rsc_location id=\"cli-prefer-node1-cluster_ip-1\" rsc=\"node1-cluster_ip-1\" "
                             "node=\"node3\" score=\"INFINITY\"/>";
    auto r = lab::run_capture({"cibadmin", "-C", "-o", "constraints", "-X", move}, 10000ms, {{"CIB_file", sim.state()}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node1");
    sim.ready("node3", "node1");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node3") << "the move, once node3 is ready";
    r = lab::run_capture({"cibadmin", "-D", "-o", "constraints", "-X", move}, 10000ms, {{"CIB_file", sim.state()}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node1") << "back home, which needs no readiness";
    sim.not_ready("node3", "node1");

    // node1 fails and node2, its taker, declares grace; node2 fails too
    // before the VIP got there (the taker dies mid-hand-over): the VIP
    // waits, node3 was never ready, until node3 declares itself.
    sim.unhealthy("node1");
    sim.ready("node2", "node1");
    sim.unhealthy("node2");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "<stopped>");
    sim.ready("node3", "node1");
    sim.ready("node3", "node2");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node3");
    EXPECT_EQ(sim.vip_on("node2"), "node3");
    sim.expect_every_vip_at_home_except({"node1", "node2"});
    // Fail-back: each VIP goes home as soon as its home can run it.
    sim.healthy("node1");
    sim.healthy("node2");
    sim.settle();
    sim.expect_every_vip_at_home_except({});
}

// The readiness rule is one rsc-pattern constraint (issue 15): it must hold
// for names with dots (matched literally) and for names that start with a
// digit (their ids begin with '_', outside the capture: a second pattern).
TEST(ClusterReadiness, NamesWithDotsAndLeadingDigitsNeedGraceAwayFromHomeToo) {
    Simulation sim({"a.example", "2b", "c"});
    sim.expect_every_vip_at_home_except({});
    for (const char* home : {"a.example", "2b"}) {
        const std::string taker = std::string(home) == "2b" ? "c" : "2b";
        sim.unhealthy(home);
        sim.settle();
        EXPECT_EQ(sim.vip_on(home), "<stopped>") << home << ": nobody declared grace for it";
        sim.ready("c", std::string(home) == "2b" ? "a.example" : "2b");  // ready, but for another VIP
        sim.settle();
        EXPECT_EQ(sim.vip_on(home), "<stopped>") << home;
        sim.ready(taker, home);
        sim.settle();
        EXPECT_EQ(sim.vip_on(home), taker) << home;
        sim.healthy(home);
        sim.settle();
        EXPECT_EQ(sim.vip_on(home), home) << home << ": home needs no readiness";
        sim.not_ready(taker, home);
        sim.not_ready("c", std::string(home) == "2b" ? "a.example" : "2b");
    }
    sim.expect_every_vip_at_home_except({});
}

// Two faults (bench, 2026-12-03): node3's ganesha crashed, its VIP went to
// node1; then node1 failed too before node2 declared grace for node3's VIP.
// The trigger was exempt at home and not bound by ganesha-active, so
// Pacemaker started it on node3 (dead ganesha): its take-vip failed, the
// start failure's fail-count (INFINITY) banned it from node3 for good, and
// the VIP never came home. A trigger, like its VIP, runs only where
// ganesha-active is 1.
TEST_P(ClusterSimulation, ATriggerNeverStartsWhereGaneshaIsNotActive) {
    Simulation sim(numbered(GetParam()));
    sim.unhealthy("node3");
    sim.ready("node1", "node3");
    sim.settle();
    ASSERT_EQ(sim.vip_on("node3"), "node1");
    sim.unhealthy("node1");
    sim.not_ready("node1", "node3");
    sim.settle();
    const auto p = sim.placement();
    const auto t = p.find(trigger_id("node3"));
    EXPECT_TRUE(t == p.end() || t->second.empty()) << "node3's trigger runs on " << sim.vip_on("node3") << " / "
                                                   << (t == p.end() || t->second.empty() ? "" : t->second.front());
    EXPECT_EQ(sim.vip_on("node3"), "<stopped>");
    const std::string taker = GetParam() == 3 ? "node2" : "node4";  // the next after node3 that can take it
    sim.ready(taker, "node3");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node3"), taker);
    EXPECT_EQ(sim.placement().at(trigger_id("node3")), std::vector<std::string>{taker});
    sim.healthy("node3");
    sim.healthy("node1");
    sim.settle();
    sim.expect_every_vip_at_home_except({});
}

TEST_P(ClusterSimulation, TwoNodesDownEveryVipStillPlaced) {
    Simulation sim(numbered(GetParam()));
    sim.run({"-f", "node1", "-f", "node2"});
    // node3 is the first able node after both: it takes both.
    sim.ready("node3", "node1");
    sim.ready("node3", "node2");
    sim.settle();
    const auto p = sim.placement();
    for (const auto& n : sim.nodes()) {
        ASSERT_EQ(p.at(vip_id(n)).size(), 1u) << vip_id(n);
        const std::string on = p.at(vip_id(n)).front();
        EXPECT_TRUE(on != "node1" && on != "node2") << vip_id(n) << " on " << on;
    }
    // node3 is next after both node1 and node2.
    EXPECT_EQ(sim.vip_on("node1"), "node3");
    EXPECT_EQ(sim.vip_on("node2"), "node3");
    sim.expect_every_vip_at_home_except({"node1", "node2"});
}

TEST_P(ClusterSimulation, TheVipWaitsForItsTriggerNotTheGraceClonesStopAndOtherVipsStay) {
    Simulation sim(numbered(GetParam()));
    // Failover: node1's nfsd dies; node2 takes its VIP.
    sim.unhealthy("node1");
    sim.ready("node2", "node1");
    const std::string graph = sim.file("failover-graph.xml");
    sim.run({}, graph);
    const Graph g(lab::read_file(graph));
    const std::string start = "node1-cluster_ip-1_start_0@node2";
    ASSERT_TRUE(g.has(start)) << g.names();
    const auto before = g.before(start);
    // The grace clone's instance on node1 stops, with notifications on
    // every node, but the VIP does not wait for that (it used to: 0.9 s of
    // an 8-node failover): the taker's grace comes first by the readiness
    // rule (AVipStartsAwayFromHomeOnlyWhereItsTakerDeclaredGrace).
    EXPECT_TRUE(g.has("nfs-grace_post_notify_stop_0@node2")) << g.names();
    EXPECT_FALSE(before.count("nfs-grace_post_notify_stop_0@node2")) << g.names();
    EXPECT_FALSE(before.count("nfs-grace-clone_confirmed-post_notify_stopped_0")) << g.names();
    const std::string grace_stop = g.instance("nfs-grace", "_stop_0@node1");
    ASSERT_FALSE(grace_stop.empty()) << g.names();
    EXPECT_FALSE(before.count(grace_stop)) << g.names();
    // The trigger's move comes first.
    EXPECT_TRUE(before.count("node1-trigger_ip-1_start_0@node2"));
    EXPECT_TRUE(before.count("node1-cluster_ip-1_stop_0@node1"));
    // Nothing else is touched: no other VIP restarts, the grace clone is not restarted.
    for (const auto& n : sim.nodes()) {
        if (n == "node1") continue;
        EXPECT_FALSE(g.has(vip_id(n) + "_stop_0@" + n)) << vip_id(n) << " restarted:\n" << g.names();
        EXPECT_EQ(g.instance("nfs-grace", "_stop_0@" + n), "") << g.names();
    }

    // Fail-back: the trigger moves first, the grace clone starts on node1,
    // then the VIP starts there.
    sim.settle();
    sim.healthy("node1");
    const std::string back = sim.file("failback-graph.xml");
    sim.run({}, back);
    const Graph b(lab::read_file(back));
    const std::string home = "node1-cluster_ip-1_start_0@node1";
    ASSERT_TRUE(b.has(home)) << b.names();
    const auto first = b.before(home);
    const std::string grace_start = b.instance("nfs-grace", "_start_0@node1");
    ASSERT_FALSE(grace_start.empty()) << b.names();
    EXPECT_TRUE(first.count(grace_start)) << b.names();
    EXPECT_TRUE(first.count("nfs-grace-clone_confirmed-post_notify_running_0")) << b.names();
    EXPECT_TRUE(first.count("node1-trigger_ip-1_start_0@node1"));
    EXPECT_TRUE(b.before(grace_start).count("node1-trigger_ip-1_start_0@node1")) << b.names();
}

// Issue 14: `ganesha-hactl cluster move` on the CIB file, then what the
// scheduler makes of it. The target's daemon is played by hand: it sets
// grace-for-<home>=1 once its ganesha is in grace, and deletes the request
// and the constraint when the VIP has left it.
TEST_P(ClusterSimulation, ClusterMoveWaitsForTheTargetsGraceAndLastsUntilTheVipLeavesIt) {
    Simulation sim(numbered(GetParam()));
    const std::string config = lab::write_file(sim.file("ganesha-ha.conf"), conf_text(sim.nodes()));
    // Refused before anything changes: unknown VIP, unknown target, a target whose nfsd is down.
    auto r = hactl(config, {"--wait", "0", "move", "10.9.9.9", "node3"}, sim.state());
    EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
    EXPECT_NE(r.err.find("unknown VIP or node '10.9.9.9'"), std::string::npos) << r.err;
    r = hactl(config, {"--wait", "0", "move", "node1", "node9"}, sim.state());
    EXPECT_EQ(r.exit_code, 6) << r.err;
    EXPECT_NE(r.err.find("unknown node 'node9'"), std::string::npos) << r.err;
    sim.attribute("node3", "ganesha-active", std::nullopt);
    const std::string unhealthy = lab::read_file(sim.state());
    r = hactl(config, {"--wait", "0", "move", "node1", "node3"}, sim.state());
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("node3's ganesha.nfsd is not healthy"), std::string::npos) << r.err;
    EXPECT_EQ(lab::read_file(sim.state()), unhealthy) << "nothing changed";
    sim.healthy("node3");
    sim.settle();

    // The move: node1's VIP (by its address) to node3.
    r = hactl(config, {"--wait", "0", "move", "192.0.2.101", "node3"}, sim.state());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("requested"), std::string::npos) << r.out;
    const std::string cib = lab::read_file(sim.state());
    EXPECT_NE(cib.find("name=\"ganesha-take-node1\" value=\"requested\""), std::string::npos);
    EXPECT_NE(cib.find("id=\"ganesha-ha-move-node1\""), std::string::npos);
    // node3 is not in grace for it yet: the VIP stays at home, serving.
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node1");
    // node3's daemon: grace taken, readiness declared; now it moves, with its trigger.
    sim.ready("node3", "node1");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node3");
    EXPECT_EQ(sim.placement().at(trigger_id("node1")), std::vector<std::string>{"node3"});
    sim.expect_every_vip_at_home_except({"node1"});
    // It stays there although its home could run it (INFINITY beats 4000).
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node3");
    // `cluster status` names it.
    r = hactl(config, {"status"}, sim.state());
    EXPECT_NE(r.out.find("moved there (cluster move)"), std::string::npos) << r.out;

    // node3 fails: the move is over. The VIP's taker is its home (healthy):
    // home needs no readiness.
    sim.run({"-f", "node3"});
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node1");
    // node3's daemon, back, deletes the request and the constraint (only
    // while it still names node3); node3's return moves nothing.
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"cibadmin", "-D", "-o", "constraints", "-X", "<rsc_location id=\"ganesha-ha-move-node1\" node=\"node3\"/>"},
             {"crm_attribute", "--type", "nodes", "--node", "node3", "--name", "ganesha-take-node1", "--delete"}}) {
        const auto d = lab::run_capture(argv, 10000ms, {{"CIB_file", sim.state()}});
        EXPECT_EQ(d.exit_code, 0) << d.err;
    }
    sim.run({"-u", "node3"});
    sim.healthy("node3");
    sim.settle();
    sim.expect_every_vip_at_home_except({});

    // Moved again, then back home by `move VIP HOME`: both objects go.
    r = hactl(config, {"--wait", "0", "move", "node1", "node2"}, sim.state());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    sim.ready("node2", "node1");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node2");
    r = hactl(config, {"--wait", "0", "move", "node1", "node1"}, sim.state());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lab::read_file(sim.state()).find("ganesha-ha-move-node1"), std::string::npos);
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node1");
}

// A drained target is refused; draining and undraining from any node is a
// permanent node attribute, shown by `cluster status`.
TEST_P(ClusterSimulation, ClusterDrainIsKeptInTheCibAndRefusedAsAMoveTarget) {
    Simulation sim(numbered(GetParam()));
    const std::string config = lab::write_file(sim.file("ganesha-ha.conf"), conf_text(sim.nodes()));
    auto r = hactl(config, {"--wait", "0", "drain", "node7x"}, sim.state());
    EXPECT_EQ(r.exit_code, 6) << r.err;
    EXPECT_NE(r.err.find("unknown node 'node7x'"), std::string::npos) << r.err;
    r = hactl(config, {"--wait", "0", "drain", "node3"}, sim.state());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("node3 drained"), std::string::npos) << r.out;
    r = hactl(config, {"--wait", "0", "drain", "node3"}, sim.state());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("already drained"), std::string::npos) << r.out;
    const auto q = lab::run_capture({"crm_attribute", "--type", "nodes", "--node", "node3", "--name", "ganesha-drained",
                                     "--query", "--quiet"},
                                    10000ms, {{"CIB_file", sim.state()}});
    EXPECT_EQ(q.out, "1\n");
    r = hactl(config, {"status"}, sim.state());
    EXPECT_NE(r.out.find("node3  online DRAINED"), std::string::npos) << r.out;
    const std::string drained = lab::read_file(sim.state());
    r = hactl(config, {"--wait", "0", "move", "node1", "node3"}, sim.state());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("node3 is drained"), std::string::npos) << r.err;
    EXPECT_EQ(lab::read_file(sim.state()), drained) << "nothing changed";
    r = hactl(config, {"--wait", "0", "undrain", "node3"}, sim.state());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("node3 undrained"), std::string::npos) << r.out;
}

// 6 nodes: more than a VIP's window (home and 3 fallbacks).
INSTANTIATE_TEST_SUITE_P(Nodes, ClusterSimulation, ::testing::Values(3, 4, 6),
                         [](const ::testing::TestParamInfo<int>& p) { return std::to_string(p.param) + "Nodes"; });

// ---- beyond a VIP's window ---------------------------------------------------------

TEST(ClusterWindow, AVipWhoseWholeWindowIsDownStillRunsOnItsTakerAndComesHome) {
    Simulation sim(numbered(8));  // node1's window: node1..node4
    sim.run({"-f", "node1", "-f", "node2", "-f", "node3", "-f", "node4"});
    // node5 is the first able node after each of them: their daemons' taker.
    for (const char* n : {"node1", "node2", "node3", "node4"}) sim.ready("node5", n);
    sim.settle();
    const auto p = sim.placement();
    for (const auto& n : sim.nodes()) {
        ASSERT_EQ(p.at(vip_id(n)).size(), 1u) << vip_id(n) << " not placed";
        EXPECT_EQ(p.at(trigger_id(n)), p.at(vip_id(n))) << trigger_id(n);
    }
    // Inside their windows (node2's is node2..node5) or beyond (node1's):
    // on node5, the one node in grace for them.
    for (const char* n : {"node1", "node2", "node3", "node4"}) EXPECT_EQ(sim.vip_on(n), "node5") << n;
    sim.expect_every_vip_at_home_except({"node1", "node2", "node3", "node4"});

    // node3 is back: its own VIP goes home; node1's stays on node5 (node3
    // is in its window but not in grace for it: one move, home, later,
    // instead of two grace periods on the way).
    sim.run({"-u", "node3"});
    sim.healthy("node3");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node3"), "node3");
    EXPECT_EQ(sim.vip_on("node1"), "node5");
    EXPECT_EQ(sim.vip_on("node2"), "node5");
    // All back: every VIP at home.
    sim.run({"-u", "node1", "-u", "node2", "-u", "node4"});
    for (const char* n : {"node1", "node2", "node4"}) sim.healthy(n);
    sim.settle();
    sim.expect_every_vip_at_home_except({});
}

TEST(ClusterWindow, AVipAndItsTriggerAreProbedOnlyInTheirWindow) {
    Simulation sim(numbered(8));
    const std::set<std::string> window = {"node7", "node8", "node1", "node2"};  // node7's
    EXPECT_EQ(sim.known_on(vip_id("node7")), window);
    EXPECT_EQ(sim.known_on(trigger_id("node7")), window);
    EXPECT_EQ(sim.known_on("nfs-grace").size(), 8u);  // the clones everywhere

    // A node that comes back is probed for the clones and for the VIPs whose
    // window it is in (node6: node3's .. node6's), not for the others. Its
    // history is erased first, as the DC does when a node rejoins
    // (crm_simulate -f keeps it).
    sim.run({"-f", "node6"});
    sim.settle();
    const auto erased = lab::run_capture({"cibadmin", "-D", "--xpath", "//node_state[@uname='node6']/lrm"}, 10000ms,
                                         {{"CIB_file", sim.state()}});
    ASSERT_EQ(erased.exit_code, 0) << erased.err;
    const std::string graph = sim.file("rejoin-graph.xml");
    sim.run({"-u", "node6"}, graph);
    const Graph g(lab::read_file(graph));
    for (const auto& n : sim.nodes()) {
        const bool in_window = n == "node3" || n == "node4" || n == "node5" || n == "node6";
        EXPECT_EQ(g.has(vip_id(n) + "_monitor_0@node6"), in_window) << vip_id(n) << "\n" << g.names();
        EXPECT_EQ(g.has(trigger_id(n) + "_monitor_0@node6"), in_window) << trigger_id(n);
    }
    EXPECT_FALSE(g.instance("nfs-grace", "_monitor_0@node6").empty()) << g.names();
    sim.healthy("node6");
    sim.settle();
    sim.expect_every_vip_at_home_except({});
}

// ---- setup on a cluster with the quadratic layout ------------------------------------

// What setup before the linear layout created (tests/data), steady, then
// `ganesha-hactl cluster setup` on the CIB file: one CIB patch, after which
// Pacemaker has nothing to do (no VIP moves or restarts), the next setup
// changes nothing, and failover and fail-back behave as before.
// The same from the linear layout of 2026-12-03 (one readiness constraint
// per VIP, before it became one rsc-pattern constraint for all), and from
// the layout after that ("pattern": a VIP's window as one `prefers` per node
// and one `elsewhere` per VIP, before they became rsc-pattern rules).
class ClusterMigration : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(ClusterMigration, SetupOnAnOlderLayoutMovesNothing) {
    const auto& [kind, n] = GetParam();
    const std::string old_layout = lab::read_file(std::string(GHA_SOURCE_DIR) + "/tests/data/" + kind + "-layout-" +
                                                  std::to_string(n) + "-nodes.xml");
    // An object only the old layout has.
    const std::string old_only = kind == "quadratic" ? "node1-cluster_ip-1-ganesha-active"
                                 : kind == "linear"  ? "node1-cluster_ip-1-needs-grace"
                                                     : "node1-cluster_ip-1-prefers-node1";
    Simulation sim(numbered(n), old_layout);
    EXPECT_NE(lab::read_file(sim.state()).find(old_only), std::string::npos);
    // Mid-failover: node2's nfsd is down, its VIP on node3, whose daemon
    // (upgraded before the layout, as the README says) declares the VIP it
    // holds: grace-for-node2=1 (which the linear layout waits for).
    sim.unhealthy("node2");
    sim.ready("node3", "node2");
    sim.settle();
    ASSERT_EQ(sim.vip_on("node2"), "node3");
    const auto before = sim.placement();

    const std::string config = lab::write_file(sim.file("ganesha-ha.conf"), conf_text(numbered(n)));
    auto r = hactl(config, {"--wait", "0", "setup"}, sim.state());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("CIB updated"), std::string::npos) << r.out;
    std::cout << r.out;
    const std::string migrated = lab::read_file(sim.state());
    EXPECT_EQ(migrated.find(old_only), std::string::npos);
    EXPECT_NE(migrated.find(std::string(cluster::kVipsGaneshaActive)), std::string::npos);
    EXPECT_EQ(lab::run_capture({"crm_verify", "-L", "-V"}, 30000ms, {{"CIB_file", sim.state()}}).exit_code, 0);

    // The scheduler's answer to the new layout: nothing at all.
    const std::string graph = sim.file("migration-graph.xml");
    const std::string out = sim.run({}, graph);
    EXPECT_TRUE(Simulation::quiet(out)) << out;
    EXPECT_EQ(Graph(lab::read_file(graph)).names(), "");
    EXPECT_EQ(sim.placement(), before);

    // Idempotent: the second setup does not touch the CIB.
    const std::string after = lab::read_file(sim.state());
    r = hactl(config, {"--wait", "0", "setup"}, sim.state());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("nothing to change"), std::string::npos) << r.out;
    EXPECT_EQ(lab::read_file(sim.state()), after);

    // Fail-back, then a node failure, as before.
    sim.healthy("node2");
    sim.settle();
    sim.expect_every_vip_at_home_except({});
    sim.run({"-f", "node1"});
    sim.ready("node2", "node1");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node1"), "node2");
    sim.expect_every_vip_at_home_except({"node1"});
    sim.run({"-u", "node1"});
    sim.healthy("node1");
    sim.settle();
    sim.expect_every_vip_at_home_except({});
}

INSTANTIATE_TEST_SUITE_P(Layouts, ClusterMigration,
                         ::testing::Combine(::testing::Values("quadratic", "linear", "pattern"), ::testing::Values(3, 6)),
                         [](const ::testing::TestParamInfo<std::tuple<std::string, int>>& p) {
                             return std::get<0>(p.param) + std::to_string(std::get<1>(p.param)) + "Nodes";
                         });

// ---- add and delete on a running cluster ---------------------------------------------

// `add` changes the windows of the VIPs before the new node (their meta
// attributes ganesha-ha-next-K): Pacemaker starts the new node's VIP and
// trigger and probes them in their window, and stops, starts or moves no
// other resource. `delete` stops only the deleted node's VIP and trigger.
std::vector<std::string> vip_actions(const Graph& g, const std::string& except_home) {
    std::vector<std::string> out;
    std::istringstream names(g.names());
    for (std::string line; std::getline(names, line);) {
        const bool vip = line.find("-cluster_ip-1_") != std::string::npos || line.find("-trigger_ip-1_") != std::string::npos;
        const bool probe = line.find("_monitor_0@") != std::string::npos;
        if (vip && !probe && !line.starts_with(vip_id(except_home)) && !line.starts_with(trigger_id(except_home)))
            out.push_back(line);
    }
    return out;
}

TEST(ClusterAddDelete, AddingOrDeletingANodeTouchesNoOtherVip) {
    const auto six = numbered(6), five = numbered(5);
    lab::TempDir dir;
    Simulation sim(six, layout_for(dir, five));
    const std::string config = lab::write_file(sim.file("ganesha-ha.conf"), conf_text(five));
    auto r = hactl(config, {"--wait", "0", "add", "node6", "192.0.2.106"}, sim.state());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    std::string graph = sim.file("add-graph.xml");
    sim.run({}, graph);
    Graph g(lab::read_file(graph));
    EXPECT_TRUE(g.has(trigger_id("node6") + "_start_0@node6")) << g.names();
    EXPECT_EQ(vip_actions(g, "node6"), std::vector<std::string>{}) << g.names();
    sim.settle();
    sim.expect_every_vip_at_home_except({});
    // node6's window: node6, node1, node2, node3; probed there only.
    EXPECT_EQ(sim.known_on(vip_id("node6")), (std::set<std::string>{"node6", "node1", "node2", "node3"}));

    r = hactl(config, {"--wait", "0", "delete", "node2"}, sim.state());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    graph = sim.file("delete-graph.xml");
    sim.run({}, graph);
    g = Graph(lab::read_file(graph));
    EXPECT_TRUE(g.has(vip_id("node2") + "_stop_0@node2")) << g.names();
    EXPECT_EQ(vip_actions(g, "node2"), std::vector<std::string>{}) << g.names();
    sim.settle();
    for (const auto& n : {"node1", "node3", "node4", "node5", "node6"}) EXPECT_EQ(sim.vip_on(n), n);
    EXPECT_EQ(sim.vip_on("node2"), "<stopped>");
}

// ---- setup --adopt-glusterfs ------------------------------------------------------

// A cluster GlusterFS's ganesha-ha.sh set up (tests/data: what its pcs
// commands write), steady; `cluster setup --adopt-glusterfs` takes it over
// in one CIB patch after which Pacemaker stops, starts or moves no VIP; the
// next setup finishes the layout, again without a VIP action; teardown then
// removes every object ganesha-ha.sh made.
std::string glusterfs_layout() {
    return lab::read_file(std::string(GHA_SOURCE_DIR) + "/tests/data/glusterfs-layout-3-nodes.xml");
}

// What the controller records after a transition and crm_simulate does
// not: a restarted resource's history under its new agent (the clones:
// heartbeat's -> ganesha's), no history left of a cancelled recurring
// operation (the VIPs' 15 s monitor, now 10 s), and none of a resource no
// longer configured once it is stopped (its "delete").
void record_as_the_controller_does(const std::string& state) {
    pugi::xml_document cib = xml::parse(lab::read_file(state));
    std::set<std::string> configured;
    xml::visit(cib.document_element().child("configuration").child("resources"), [&](pugi::xml_node e) {
        if (std::string_view(e.name()) == "primitive") configured.insert(xml::get(e, "id"));
    });
    for (const pugi::xml_node n : cib.document_element().child("status").children("node_state")) {
        pugi::xml_node resources = n.child("lrm").child("lrm_resources");
        for (pugi::xml_node r : xml::elements(resources)) {
            const std::string id = xml::get(r, "id");
            if (!configured.count(id)) {
                resources.remove_child(r);
                continue;
            }
            if (id == "nfs_setup" || id == "nfs-mon" || id == "nfs-grace") xml::set(r, "provider", "ganesha");
            if (!id.ends_with("-cluster_ip-1")) continue;
            for (const char* suffix : {"_monitor_15000", "_cancel_15000"})
                while (const pugi::xml_node op = r.find_child_by_attribute("lrm_rsc_op", "id", (id + suffix).c_str()))
                    r.remove_child(op);
        }
    }
    lab::write_file(state, xml::to_string(cib.document_element()));
}

// A transition's starts, stops and migrations of VIPs.
std::string vip_actions(const Graph& g) {
    std::string out, line;
    std::istringstream names(g.names());
    while (std::getline(names, line))
        if (line.find("-cluster_ip-1_") != std::string::npos &&
            (line.find("_start_") != std::string::npos || line.find("_stop_") != std::string::npos ||
             line.find("_migrate_") != std::string::npos))
            out += line + "\n";
    return out;
}

TEST(ClusterAdoption, TakesOverGlusterfsWithoutAVipActionAndTeardownRemovesIt) {
    Simulation sim(numbered(3), glusterfs_layout());
    sim.expect_every_vip_at_home_except({});
    const std::string config = lab::write_file(sim.file("ganesha-ha.conf"), conf_text(numbered(3)));

    // Plain setup refuses GlusterFS's objects, and says what would take them.
    auto r = hactl(config, {"--wait", "0", "setup"}, sim.state());
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("--adopt-glusterfs"), std::string::npos) << r.err;

    r = hactl(config, {"--wait", "0", "setup", "--adopt-glusterfs"}, sim.state());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    std::cout << r.out;
    EXPECT_NE(r.out.find("CIB updated"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("node2-nfs_unblock"), std::string::npos) << r.out;
    EXPECT_EQ(lab::run_capture({"crm_verify", "-L"}, 30000ms, {{"CIB_file", sim.state()}}).exit_code, 0);

    // The adoption's transition: no VIP action; each node's nfs_unblock
    // (whose stop blocks port 2049) stops before its nfs_block (whose stop
    // unblocks it).
    std::string graph = sim.file("adoption-graph.xml");
    sim.run({}, graph);
    Graph g(lab::read_file(graph));
    EXPECT_EQ(vip_actions(g), "") << g.names();
    for (const auto& n : sim.nodes()) {
        const std::string block = n + "-nfs_block_stop_0@" + n, unblock = n + "-nfs_unblock_stop_0@" + n;
        ASSERT_TRUE(g.has(block)) << g.names();
        EXPECT_TRUE(g.before(block).count(unblock)) << block;
        EXPECT_TRUE(g.has(trigger_id(n) + "_start_0@" + n)) << g.names();
    }
    record_as_the_controller_does(sim.state());
    sim.settle();
    const std::string settled = sim.run();
    EXPECT_TRUE(Simulation::quiet(settled)) << settled;
    sim.expect_every_vip_at_home_except({});

    // The next setup finishes the layout: no resource starts or stops (the
    // scheduler only forgets the removed portblocks' history), then nothing.
    r = hactl(config, {"--wait", "0", "setup"}, sim.state());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("removed: "), std::string::npos) << r.out;
    graph = sim.file("finish-graph.xml");
    sim.run({}, graph);
    g = Graph(lab::read_file(graph));
    EXPECT_EQ(vip_actions(g), "");
    std::istringstream names(g.names());
    for (std::string line; std::getline(names, line);)
        EXPECT_TRUE(line.find("_delete_") != std::string::npos) << line << " in\n" << g.names();
    record_as_the_controller_does(sim.state());
    const std::string out = sim.run();
    EXPECT_TRUE(Simulation::quiet(out)) << out;
    const std::string cib =
        lab::run_capture({"cibadmin", "-Q", "-o", "configuration"}, 10000ms, {{"CIB_file", sim.state()}}).out;
    EXPECT_EQ(cib.find("nfs_block"), std::string::npos) << cib;
    EXPECT_NE(cib.find(std::string(cluster::kGraceThenVips)), std::string::npos);
    r = hactl(config, {"--wait", "0", "setup"}, sim.state());
    EXPECT_NE(r.out.find("nothing to change"), std::string::npos) << r.out << r.err;

    // A failover as with our own layout.
    sim.unhealthy("node2");
    sim.ready("node3", "node2");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node2"), "node3");
    sim.healthy("node2");
    sim.settle();
    sim.expect_every_vip_at_home_except({});

    r = hactl(config, {"--wait", "0", "teardown"}, sim.state());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto left = lab::run_capture({"cibadmin", "-Q", "-o", "configuration"}, 10000ms, {{"CIB_file", sim.state()}});
    for (const char* id : {"nfs_setup", "nfs-mon", "nfs-grace", "cluster_ip-1", "trigger_ip-1", "-group", "location-"})
        EXPECT_EQ(left.out.find(id), std::string::npos) << id << " left:\n" << left.out;
}

TEST(ClusterAdoption, RefusesWhatItCannotTakeOverNamingItAndChangesNothing) {
    lab::TempDir dir;
    const std::string cib = lab::write_file(dir.file("cib.xml"), full_cib(glusterfs_layout(), numbered(3)));
    const std::string config = dir.file("ganesha-ha.conf");
    const std::string before = lab::read_file(cib);
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"HA_NAME=\"lab\"\nHA_CLUSTER_NODES=\"node1,node2,node3\"\nVIP_node1=\"192.0.2.101\"\n"
         "VIP_node2=\"192.0.2.99\"\nVIP_node3=\"192.0.2.103\"\n",
         {"node2-cluster_ip-1: its address ip=192.0.2.102 differs from VIP_node2=\"192.0.2.99\"", "nothing was changed"}},
        {conf_text(numbered(2)), {"node3-group: its node is not in HA_CLUSTER_NODES"}},
        {conf_text(numbered(3), "HA_VIP_CIDR_NETMASK=24\n"), {"node1-cluster_ip-1: its parameters", "cidr_netmask=32"}},
    };
    for (const auto& [text, needles] : cases) {
        lab::write_file(config, text);
        const auto r = hactl(config, {"--wait", "0", "setup", "--adopt-glusterfs"}, cib);
        EXPECT_EQ(r.exit_code, 1) << text << r.out << r.err;
        for (const auto& needle : needles) EXPECT_NE(r.err.find(needle), std::string::npos) << r.err << " lacks " << needle;
        EXPECT_EQ(lab::read_file(cib), before);
    }
}

// ---- scale --------------------------------------------------------------------------

// The layout from 3 to 64 nodes: crm_verify accepts it, every VIP starts at
// home, a failed node's VIP goes to the next node and comes back. Prints the
// layout's size and the time of one scheduler run (a figure, not a bound:
// bench/layout_scale measures it properly).
class ClusterScale : public ::testing::TestWithParam<int> {};

TEST_P(ClusterScale, VerifiesPlacesAtHomeFailsOverInOrderAndBack) {
    const auto nodes = numbered(GetParam());
    lab::TempDir dir;
    const std::string configuration = layout_for(dir, nodes);
    const std::string cib = lab::write_file(dir.file("cib.xml"), full_cib(configuration, nodes));
    auto r = lab::run_capture({"crm_verify", "-x", cib, "-V"}, 60000ms);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out + r.err, "");
    std::size_t constraints = 0;
    constraints = xml::elements(xml::parse(configuration).document_element().child("constraints")).size();

    Simulation sim(nodes);
    const auto p = sim.placement();
    for (const auto& n : nodes) {
        EXPECT_EQ(p.at(vip_id(n)), std::vector<std::string>{n}) << vip_id(n);
        EXPECT_EQ(p.at(trigger_id(n)), std::vector<std::string>{n}) << trigger_id(n);
    }
    const auto t0 = std::chrono::steady_clock::now();
    r = lab::run_capture({"crm_simulate", "-x", sim.state(), "-R", "-Q"}, 60000ms);
    const auto run_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.exit_code, 0) << r.err;

    // node2 fails: its VIP goes to node3 (its taker); node1's, a neighbour's, stays.
    sim.run({"-f", "node2"});
    sim.ready("node3", "node2");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node2"), "node3");
    sim.expect_every_vip_at_home_except({"node2"});
    // node3's nfsd dies too: node2's VIP goes on to node4 (3 nodes: wraps to node1).
    sim.unhealthy("node3");
    const std::string after_node3 = nodes.size() > 3 ? "node4" : "node1";
    sim.ready(after_node3, "node2");
    sim.ready(after_node3, "node3");
    sim.settle();
    EXPECT_EQ(sim.vip_on("node2"), after_node3);
    EXPECT_EQ(sim.vip_on("node3"), after_node3);
    sim.expect_every_vip_at_home_except({"node2", "node3"});
    sim.healthy("node3");
    sim.run({"-u", "node2"});
    sim.healthy("node2");
    sim.settle();
    sim.expect_every_vip_at_home_except({});

    std::cout << "[ measured ] " << nodes.size() << " nodes: show-cib " << configuration.size() << " bytes, "
              << constraints << " constraints; steady-state CIB " << lab::read_file(sim.state()).size()
              << " bytes; one scheduler run (crm_simulate -R, whole process) " << run_ms << " ms\n";
    RecordProperty("show_cib_bytes", std::to_string(configuration.size()));
    RecordProperty("constraints", std::to_string(constraints));
    RecordProperty("scheduler_run_ms", std::to_string(run_ms));
}

INSTANTIATE_TEST_SUITE_P(Nodes, ClusterScale, ::testing::Values(3, 8, 16, 32, 64),
                         [](const ::testing::TestParamInfo<int>& p) { return std::to_string(p.param) + "Nodes"; });

// ---- the CLI on a CIB file (CIB_file) --------------------------------------------------

class ClusterOnCibFile : public ::testing::Test {
protected:
    void SetUp() override {
        config = dir.file("ganesha-ha.conf");
        lab::write_file(config, conf_text(numbered(3)));
        cib = lab::write_file(
            dir.file("cib.xml"),
            "<cib validate-with=\"pacemaker-3.9\" epoch=\"3\" num_updates=\"0\" admin_epoch=\"0\" have-quorum=\"1\" "
            "crm_feature_set=\"3.16.1\"><configuration><crm_config><cluster_property_set "
            "id=\"cib-bootstrap-options\"><nvpair id=\"o1\" name=\"stonith-enabled\" value=\"false\"/>"
            "</cluster_property_set></crm_config><nodes><node id=\"1\" uname=\"node1\"/><node id=\"2\" "
            "uname=\"node2\"/><node id=\"3\" uname=\"node3\"/></nodes><resources><primitive id=\"unrelated\" "
            "class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/></resources><constraints><rsc_location "
            "id=\"unrelated-on-node2\" rsc=\"unrelated\" node=\"node2\" score=\"10\"/></constraints>"
            "</configuration><status/></cib>");
    }
    lab::CliResult run(const std::vector<std::string>& args) {
        std::vector<std::string> a = {"--wait", "0"};
        a.insert(a.end(), args.begin(), args.end());
        return hactl(config, a, cib);
    }
    std::string section(const std::string& name) {
        const auto r = lab::run_capture({"cibadmin", "-Q", "-o", name}, 10000ms, {{"CIB_file", cib}});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }

    lab::TempDir dir;
    std::string config, cib;
};

TEST_F(ClusterOnCibFile, InvalidConfigurationsGiveFileLineAndChangeNothing) {
    const std::string cib_before = lab::read_file(cib);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"HA_NAME=x\nHA_CLUSTER_NODES=\"n1,n2\"\nVIP_n1=10.0.0.1\n", "ganesha-ha.conf:2: node 'n2'"},
        {"HA_NAME=x\nHA_CLUSTER_NODES=\"n1,n2\"\nVIP_n1=10.0.0.1\nVIP_n2=10.0.0.300\n", "ganesha-ha.conf:4: VIP_n2"},
        {"HA_NAME=x\nHA_CLUSTER_NODES=\"n1,n1\"\n", "ganesha-ha.conf:2: HA_CLUSTER_NODES: node 'n1' is listed twice"},
        {"HA_CLUSTER_NODES=\"n1,n2\"\nVIP_n1=10.0.0.1\nVIP_n2=10.0.0.2\n", "ganesha-ha.conf: HA_NAME is not set"},
        {"HA_NAME=x\nHA_CLUSTER_NODES=\"n1\"\nVIP_n1=10.0.0.1\n", "insufficient servers"},
        {conf_text(numbered(2), "HA_VIP_CIDR_NETMASK=40\n"), "ganesha-ha.conf:5: HA_VIP_CIDR_NETMASK"},
        {"HA_NAME=x\nHA_CLUSTER_NODES=\"n1,n2\"\nVIP_n1=10.0.0.1\nVIP_n2=10.0.0.1\n", "already used by VIP_n1"},
    };
    for (const auto& [text, needle] : cases) {
        lab::write_file(config, text);
        for (const char* sub : {"setup", "show-cib"}) {
            const auto r = run({sub});
            EXPECT_EQ(r.exit_code, 6) << sub << ": " << text << r.out << r.err;
            EXPECT_NE(r.err.find(needle), std::string::npos) << r.err << " lacks " << needle;
        }
    }
    EXPECT_EQ(lab::read_file(cib), cib_before);
    fs::remove(config);
    const auto r = run({"setup"});
    EXPECT_EQ(r.exit_code, 6);
    EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
    EXPECT_EQ(lab::read_file(cib), cib_before);
}

TEST_F(ClusterOnCibFile, SetupRefusesAGaneshaConfThatLosesStateAndChangesNothing) {
    const std::string cib_before = lab::read_file(cib);
    const std::string bad = lab::write_file(dir.file("ganesha.conf"),
                                            "NFS_CORE_PARAM {\n  Clustered = true;\n}\nNFSV4 { Server_Scope = lab; }\n");
    auto r = run({"--ganesha-conf", bad, "setup"});  // the last --ganesha-conf wins
    EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
    EXPECT_NE(r.err.find(bad + ":2: error: NFS_CORE_PARAM.Clustered is true"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Clustered = false;"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
    EXPECT_EQ(lab::read_file(cib), cib_before);

    // HA_GANESHA_CONF is the default for --ganesha-conf; a missing file is refused too.
    lab::write_file(config, conf_text(numbered(3), "HA_GANESHA_CONF=" + dir.file("absent.conf") + "\n"));
    r = hactl(config, {"--wait", "0", "setup"}, cib);  // hactl() passes a good --ganesha-conf
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = lab::run_capture({kHactl, "cluster", "--config", config, "--wait", "0", "setup"}, 60000ms, {{"CIB_file", cib}});
    EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
    EXPECT_NE(r.err.find(dir.file("absent.conf") + ":0: error: ganesha.conf does not exist"), std::string::npos)
        << r.err;
    // The agents get HA_GANESHA_CONF.
    EXPECT_NE(section("resources").find("name=\"ganesha_conf\" value=\"" + dir.file("absent.conf") + "\""),
              std::string::npos);
}

TEST_F(ClusterOnCibFile, SetupIsIdempotentAndTeardownLeavesTheRest) {
    const std::string resources = section("resources"), constraints = section("constraints");
    auto r = run({"setup"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find("stonith-enabled=false"), std::string::npos) << r.err;
    const std::string after = lab::read_file(cib);
    r = run({"setup"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("nothing to change"), std::string::npos) << r.out;
    EXPECT_EQ(lab::read_file(cib), after);  // not even the epoch moved
    EXPECT_EQ(lab::run_capture({"crm_verify", "-L", "-V"}, 30000ms, {{"CIB_file", cib}}).exit_code, 0);

    r = run({"teardown"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(xml::equivalent(xml::parse(section("resources")), xml::parse(resources))) << section("resources");
    EXPECT_TRUE(xml::equivalent(xml::parse(section("constraints")), xml::parse(constraints)));
    EXPECT_EQ(section("crm_config").find("ganesha-ha"), std::string::npos);
    r = run({"teardown"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("nothing to tear down"), std::string::npos);
}

TEST_F(ClusterOnCibFile, ForeignObjectsAreNeitherOverwrittenNorOrphaned) {
    // An operator's object with one of our ids: setup refuses.
    ASSERT_EQ(lab::run_capture({"cibadmin", "-C", "-o", "resources", "-X",
                                "<primitive id=\"node2-trigger_ip-1\" class=\"ocf\" provider=\"heartbeat\" "
                                "type=\"Dummy\"/>"},
                               10000ms, {{"CIB_file", cib}})
                  .exit_code,
              0);
    std::string before = lab::read_file(cib);
    auto r = run({"setup"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("node2-trigger_ip-1"), std::string::npos) << r.err;
    EXPECT_EQ(lab::read_file(cib), before);
    lab::run_capture({"cibadmin", "-D", "-o", "resources", "-X", "<primitive id=\"node2-trigger_ip-1\"/>"}, 10000ms,
                     {{"CIB_file", cib}});

    // An operator's constraint on our VIP: teardown refuses rather than leave it dangling.
    ASSERT_EQ(run({"setup"}).exit_code, 0);
    lab::run_capture({"cibadmin", "-C", "-o", "constraints", "-X",
                      "<rsc_colocation id=\"mine\" rsc=\"unrelated\" with-rsc=\"node1-cluster_ip-1\" score=\"5\"/>"},
                     10000ms, {{"CIB_file", cib}});
    before = lab::read_file(cib);
    r = run({"teardown"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("mine"), std::string::npos) << r.err;
    EXPECT_EQ(lab::read_file(cib), before);
}

TEST_F(ClusterOnCibFile, AddAndDeleteUpdateTheCibAndTheFileWithABackup) {
    // No layout yet: add refuses and leaves the file alone.
    const std::string original = lab::read_file(config);
    auto r = run({"add", "node4", "192.0.2.104"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("run setup first"), std::string::npos) << r.err;
    EXPECT_EQ(lab::read_file(config), original);
    EXPECT_FALSE(fs::exists(config + ".bak"));

    ASSERT_EQ(run({"setup"}).exit_code, 0);
    r = run({"add", "node4", "192.0.2.104"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(lab::read_file(config + ".bak"), original);
    const std::string added = lab::read_file(config);
    EXPECT_NE(added.find("HA_CLUSTER_NODES=\"node1,node2,node3,node4\""), std::string::npos) << added;
    EXPECT_NE(added.find("VIP_node4=\"192.0.2.104\""), std::string::npos) << added;
    EXPECT_NE(section("resources").find("node4-cluster_ip-1"), std::string::npos);
    // node3's window goes on to node4 now, before node1.
    EXPECT_NE(section("resources").find("id=\"node3-cluster_ip-1-meta_attributes-ganesha-ha-next-1\" name=\"ganesha-ha-next-1\" value=\"node4\""),
              std::string::npos)
        << section("resources");
    EXPECT_EQ(lab::run_capture({"crm_verify", "-L"}, 30000ms, {{"CIB_file", cib}}).exit_code, 0);
    // Setup with the new file is a no-op: add left the CIB exactly as setup would.
    r = run({"setup"});
    EXPECT_NE(r.out.find("nothing to change"), std::string::npos) << r.out;

    // Bad input changes nothing.
    const std::string cib_before = lab::read_file(cib);
    for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
             {"add", "node5", "192.0.2.101"},  // VIP in use
             {"add", "node2", "192.0.2.120"},  // node present
             {"add", "bad_name", "192.0.2.120"},
             {"add", "node5", "300.1.1.1"},
             {"delete", "node9"},
         }) {
        r = run(bad);
        EXPECT_EQ(r.exit_code, 6) << bad[0] << " " << bad[1] << ": " << r.err;
        EXPECT_EQ(lab::read_file(config), added);
        EXPECT_EQ(lab::read_file(cib), cib_before);
    }
    r = run({"add", "node5"});
    EXPECT_EQ(r.exit_code, 2);

    r = run({"delete", "node2"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(lab::read_file(config + ".bak"), added);
    EXPECT_NE(lab::read_file(config).find("HA_CLUSTER_NODES=\"node1,node3,node4\""), std::string::npos);
    EXPECT_EQ(lab::read_file(config).find("VIP_node2"), std::string::npos);
    EXPECT_EQ(section("resources").find("node2-cluster_ip-1"), std::string::npos);
    EXPECT_EQ(section("constraints").find("node2-"), std::string::npos) << section("constraints");
    EXPECT_NE(section("constraints").find("^(node1|node3|node4)-"), std::string::npos) << section("constraints");
    EXPECT_EQ(section("resources").find("value=\"node2\""), std::string::npos) << section("resources");
    EXPECT_NE(section("resources").find("unrelated"), std::string::npos);
}

// ---- no cluster at all ---------------------------------------------------------------

TEST(ClusterWithoutPacemaker, RefusesClearly) {
    lab::TempDir dir;
    const std::string config = lab::write_file(dir.file("ganesha-ha.conf"), conf_text(numbered(2)));
    lab::NetNs ns{"gha-nocl"};
    for (const char* sub : {"setup", "status", "teardown"}) {
        const auto r =
            ns.exec({kHactl, "cluster", "--config", config, "--ganesha-conf", kGoodGaneshaConf, sub}, 20000ms);
        EXPECT_EQ(r.exit_code, 4) << sub << ": " << r.out << r.err;
        EXPECT_NE(r.err.find("no cluster is running"), std::string::npos) << r.err;
    }
}

// ---- live: a real corosync + pacemaker -----------------------------------------------

// One real node. The three ocf:ganesha agents are stood in for by Dummy
// (the layout is under test here, not the agents): a private copy of
// /usr/lib/ocf/resource.d with a "ganesha" provider is bind-mounted inside
// the node's own mount namespace, so the host is never touched.
class ClusterLive : public ::testing::Test {
protected:
    void SetUp() override {
        node.start();
        ASSERT_TRUE(node.wait_online(20000ms)) << node.diagnostics();
        const std::string rd = dir.file("resource.d");
        fs::create_directories(rd + "/ganesha");
        for (const auto& e : fs::directory_iterator("/usr/lib/ocf/resource.d")) {
            const std::string provider = e.path().filename().string();
            if (provider == "ganesha") continue;
            fs::create_directories(rd + "/" + provider);
            const auto r = node.exec({"mount", "--rbind", e.path().string(), rd + "/" + provider});
            ASSERT_EQ(r.exit_code, 0) << r.err;
        }
        for (const char* agent : {"ganesha_nfsd", "ganesha_mon", "ganesha_grace", "ganesha_handover"}) {
            const std::string path =
                lab::write_file(rd + "/ganesha/" + agent, "#!/bin/sh\nexec /usr/lib/ocf/resource.d/heartbeat/Dummy \"$@\"\n");
            fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                      fs::perms::others_read | fs::perms::others_exec);
        }
        const auto r = node.exec({"mount", "--rbind", rd, "/usr/lib/ocf/resource.d"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        config = dir.file("ganesha-ha.conf");
    }
    lab::CliResult cli(const std::vector<std::string>& args, std::chrono::milliseconds deadline = 90000ms) {
        std::vector<std::string> argv = {kHactl, "cluster", "--config", config, "--ganesha-conf", kGoodGaneshaConf};
        argv.insert(argv.end(), args.begin(), args.end());
        return node.exec(argv, deadline);
    }
    std::string query(const std::string& section = "") {
        std::vector<std::string> argv = {"cibadmin", "-Q"};
        if (!section.empty()) {
            argv.push_back("-o");
            argv.push_back(section);
        }
        const auto r = node.exec(argv);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    std::string epoch() {
        const pugi::xml_document cib = xml::parse(query());
        return xml::get(cib.document_element(), "admin_epoch") + "." + xml::get(cib.document_element(), "epoch");
    }

    lab::TempDir dir;  // first: removed after the node is gone
    lab::PacemakerNode node;
    std::string config;
};

TEST_F(ClusterLive, SetupPlacesIsIdempotentReportsAndTeardownRestoresTheCib) {
    // Someone else's resource, which must survive.
    ASSERT_EQ(node.exec({"cibadmin", "-C", "-o", "resources", "-X",
                         "<primitive id=\"unrelated\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>"})
                  .exit_code,
              0);
    ASSERT_EQ(node.exec({"cibadmin", "-C", "-o", "constraints", "-X",
                         "<rsc_location id=\"unrelated-here\" rsc=\"unrelated\" node=\"node1\" score=\"10\"/>"})
                  .exit_code,
              0);
    const std::string resources = query("resources"), constraints = query("constraints");

    // One node: refused, nothing changed.
    lab::write_file(config, "HA_NAME=lab\nHA_CLUSTER_NODES=\"node1\"\nVIP_node1=192.0.2.101\n");
    std::string before = epoch();
    auto r = cli({"setup"});
    EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
    EXPECT_NE(r.err.find("insufficient servers"), std::string::npos) << r.err;
    EXPECT_EQ(epoch(), before);

    // Two nodes, node2 not in the cluster: both VIPs end up on node1. The
    // attributes are what ganesha-had would set for a healthy nfsd.
    // node1 also declares itself in grace for node2's VIP (its daemon does,
    // as node2's taker, once node2 has not been heard for a while).
    for (const char* attr : {"ganesha-active", "grace-active", "grace-for-node2"})
        ASSERT_EQ(node.exec({"attrd_updater", "-n", attr, "-U", "1", "-N", "node1"}).exit_code, 0);
    lab::write_file(config, conf_text({"node1", "node2"}, "HA_VIP_NIC=lo\n"));
    const auto t0 = std::chrono::steady_clock::now();
    r = cli({"--wait", "60", "setup"});
    const auto placed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << node.diagnostics();
    EXPECT_NE(r.out.find("all resources placed"), std::string::npos) << r.out;
    std::cout << "[ measured ] setup to all placed: " << placed_ms << " ms\n" << r.out;
    RecordProperty("setup_to_placed_ms", std::to_string(placed_ms));
    const auto addresses = node.exec({"ip", "-o", "addr", "show", "dev", "lo"}).out;
    EXPECT_NE(addresses.find("192.0.2.101/32"), std::string::npos) << addresses;
    EXPECT_NE(addresses.find("192.0.2.102/32"), std::string::npos) << addresses;

    // Again: no CIB change at all.
    const std::string configured = query("configuration");
    before = epoch();
    r = cli({"--wait", "60", "setup"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("nothing to change"), std::string::npos) << r.out;
    EXPECT_EQ(epoch(), before);
    EXPECT_TRUE(xml::equivalent(xml::parse(query("configuration")), xml::parse(configured)));
    EXPECT_EQ(node.exec({"crm_verify", "-L"}).exit_code, 0);

    // Status: node1 online and healthy, node2 unknown, its VIP failed over to node1.
    r = cli({"status", "--json"});
    EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
    const json s = json::parse(r.out);
    EXPECT_EQ(s["verdict"], "FAILOVER");
    EXPECT_EQ(s["nodes"][0]["name"], "node1");
    EXPECT_EQ(s["nodes"][0]["online"], true);
    EXPECT_EQ(s["nodes"][0]["ganesha_healthy"], true);
    EXPECT_EQ(s["nodes"][1]["online"], false);
    EXPECT_EQ(s["vips"][0]["running_on"], json::array({"node1"}));
    EXPECT_EQ(s["vips"][1]["running_on"], json::array({"node1"}));
    EXPECT_EQ(s["vips"][0]["at_home"], true);
    r = cli({"status"});
    EXPECT_NE(r.out.find("verdict: FAILOVER"), std::string::npos) << r.out;

    // node1's nfsd "dies": nowhere to go, so BAD.
    ASSERT_EQ(node.exec({"attrd_updater", "-n", "ganesha-active", "-D", "-N", "node1"}).exit_code, 0);
    ASSERT_TRUE(lab::wait_until([&] { return cli({"status"}).exit_code == 9; }, 15000ms)) << cli({"status"}).out;
    ASSERT_EQ(node.exec({"attrd_updater", "-n", "ganesha-active", "-U", "1", "-N", "node1"}).exit_code, 0);

    // Teardown: exactly what setup created goes, the rest is as it was.
    r = cli({"--wait", "60", "teardown"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(xml::equivalent(xml::parse(query("resources")), xml::parse(resources))) << query("resources");
    EXPECT_TRUE(xml::equivalent(xml::parse(query("constraints")), xml::parse(constraints))) << query("constraints");
    EXPECT_EQ(query("crm_config").find("ganesha-ha"), std::string::npos);
    const auto left = node.exec({"ip", "-o", "addr", "show", "dev", "lo"}).out;
    EXPECT_EQ(left.find("192.0.2.10"), std::string::npos) << left;
    r = cli({"teardown"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("nothing to tear down"), std::string::npos) << r.out;
}

// ---- refresh-config against a real ganesha.nfsd ------------------------------------------

TEST(ClusterRefreshConfig, UpdatesTheLocalExportOverDbus) {
    lab::TempDir dir;
    lab::DbusDaemon bus(dir.path());
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    lab::Ganesha ganesha(lab::ganesha_on_bus(
        dir.file("nfsd"), static_cast<std::uint16_t>(26000 + std::hash<std::string>{}(info->name()) % 1000), bus));
    ganesha.start();
    const std::string config = lab::write_file(dir.file("ganesha-ha.conf"), conf_text(numbered(2)));
    const lab::Env env = {{"DBUS_SYSTEM_BUS_ADDRESS", bus.address()}};
    auto refresh = [&](const std::string& id) {
        return lab::run_capture(
            {kHactl, "cluster", "--config", config, "refresh-config", "--ganesha-conf", ganesha.conf_path(), id},
            20000ms, env);
    };
    auto r = refresh("1");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err << lab::tail_file(ganesha.log_path());
    EXPECT_NE(r.out.find("1 exports updated"), std::string::npos) << r.out;
    r = refresh("7");
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.err.find("Export_Id=7"), std::string::npos) << r.err;
    for (const char* bad : {"x", "-1", "65536", ""}) EXPECT_EQ(refresh(bad).exit_code, 6) << bad;
    ganesha.stop();
    r = refresh("1");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("not running"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gha
