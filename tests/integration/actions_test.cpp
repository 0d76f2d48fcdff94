// The daemon's hands, for real: ganesha-had runs inside a live single-node
// corosync + pacemaker (its own network and mount namespace) and drives
// attrd_updater and cibadmin there, and ganesha.nfsd's D-Bus admin interface
// on a private bus. Order and timing come from the daemon's event log.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "ctl/control_client.hpp"
#include "tests/support/build_dir.hpp"
#include "tests/support/ganesha_lab.hpp"
#include "tests/support/pacemaker_node.hpp"
#include "tests/support/test_port.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

using test::kBin;

std::uint16_t actions_port() { return test::test_port(23000); }

// ganesha.nfsd + its bus + ganesha-had (started by the subclass: in a
// cluster node or not). rpc-null is off where the daemon runs in another
// network namespace than ganesha (it could not reach its loopback).
class WithGanesha : public ::testing::Test {
protected:
    void SetUp() override {
        dbus.emplace(dir.path());
        ganesha.emplace(lab::ganesha_on_bus(dir.file("nfsd"), actions_port(), *dbus));
        ganesha->start();
        socket = dir.file("hactl.sock");
        config = dir.file("ganesha-ha.conf");
    }
    void write_config(bool rpc_null) {
        lab::write_file(config, "HA_NAME=test\nHA_CLUSTER_NODES=\"node1,node2\"\n"
                                "VIP_node1=192.0.2.1\nVIP_node2=192.0.2.2\n"
                                "HA_NFSD_PIDFILE=" + ganesha->pidfile() + "\n"
                                "HA_NFSD_ADDRESS=127.0.0.1:" + std::to_string(ganesha->port()) + "\n"
                                "HA_MONITOR_PID=\"interval=200ms\"\n"
                                "HA_MONITOR_RPC_NULL=\"interval=200ms timeout=200ms enabled=" +
                                    (rpc_null ? "yes" : "no") + "\"\n"
                                "HA_GRACE_DELAY=400ms\nHA_ACTION_TIMEOUT=3s\n" + lab::kHostNetworkClients);
    }
    void spawn_had(const std::vector<std::string>& wrap_prefix) {
        std::vector<std::string> argv = wrap_prefix;
        for (const auto& a : {kBin + "/service/ganesha-had", std::string("--config"), config, std::string("--node"),
                              std::string("node1"), std::string("--socket"), socket})
            argv.push_back(a);
        had.spawn(argv, {{"DBUS_SYSTEM_BUS_ADDRESS", dbus->address()}}, dir.file("had.log"));
        ASSERT_TRUE(lab::wait_until([&] { return lab::unix_socket_accepts(socket); }, 5000ms))
            << lab::tail_file(dir.file("had.log"));
    }
    json call(const std::string& command, json arguments = json::object()) {
        control::ClientError error;
        auto answer = control::call(socket, {command, std::move(arguments)}, 3000ms, error);
        EXPECT_EQ(error.kind, control::ClientError::none) << error.text;
        return answer;
    }
    lab::CliResult cli(std::vector<std::string> args, std::chrono::milliseconds deadline = 20000ms) {
        return lab::run_cli(kBin, socket, std::move(args), deadline);
    }
    std::vector<json> action_events(const std::string& pipeline) {
        std::vector<json> out;
        const json events = call("events", {{"limit", 10000}});
        for (const auto& e : events["arguments"]["events"])
            if (e["type"] == "action" && e["subject"] == pipeline) out.push_back(e);
        return out;
    }
    // The monotonic time at which `step` of the latest `pipeline` ended as `state`.
    std::optional<long long> step_ended(const std::string& pipeline, const std::string& step,
                                        const std::string& state = "succeeded") {
        std::optional<long long> at;
        for (const auto& e : action_events(pipeline))
            if (e["fields"].value("step", "") == step && e["fields"].value("state", "") == state)
                at = e["monotonic_ns"].get<long long>();
        return at;
    }
    // The id of the newest pipeline called `name`, 0 when there is none.
    std::uint64_t newest_pipeline(const std::string& name) {
        const json actions = call("actions");
        for (const auto& p : actions["arguments"]["pipelines"])
            if (p["pipeline"] == name) return p["id"].get<std::uint64_t>();  // newest first
        return 0;
    }
    // Waits for the newest `name` pipeline, submitted after pipeline `newer_than`, to be in `state`
    // (a restart's nfsd-up must not be confused with the one from the daemon's start).
    bool wait_pipeline(const std::string& name, const std::string& state, std::chrono::milliseconds deadline,
                       std::uint64_t newer_than = 0) {
        return lab::wait_until(
            [&] {
                const json actions = call("actions");
                for (const auto& p : actions["arguments"]["pipelines"])
                    if (p["pipeline"] == name)  // newest first
                        return p["id"].get<std::uint64_t>() > newer_than && p["state"] == state;
                return false;
            },
            deadline, 20ms);
    }

    lab::TempDir dir;
    std::optional<lab::DbusDaemon> dbus;
    std::optional<lab::Ganesha> ganesha;
    std::string socket, config;
    lab::Process had;
};

class ActionsInCluster : public WithGanesha {
protected:
    void SetUp() override {
        WithGanesha::SetUp();
        node.start();
        ASSERT_TRUE(node.wait_online(20000ms)) << node.diagnostics();
        write_config(false);
        spawn_had(node.wrap({}));
    }
    void TearDown() override { had.stop(); }

    std::string attribute(const std::string& name) {
        auto r = node.exec({"attrd_updater", "-Q", "-n", name, "-N", "node1"});
        const auto at = r.out.find("value=\"");
        if (r.exit_code != 0 || at == std::string::npos) return "<absent>";
        return r.out.substr(at + 7, r.out.find('"', at + 7) - at - 7);
    }
    // A permanent node attribute (the CIB's <nodes>), "<absent>" when unset.
    std::string permanent(const std::string& name) {
        auto r = node.exec({"crm_attribute", "--type", "nodes", "--node", "node1", "--name", name, "--query", "--quiet"});
        if (r.exit_code != 0) return "<absent>";
        return r.out.substr(0, r.out.find('\n'));
    }
    bool trigger_present() {
        return node.exec({"cibadmin", "-Q", "-o", "resources"}).out.find("node1-dead_ip-1") != std::string::npos;
    }
    bool wait_attributes(const std::string& value, std::chrono::milliseconds deadline) {
        return lab::wait_until(
            [&] {
                const auto a = attribute("ganesha-active"), g = attribute("grace-active");
                return (a == value || (value.empty() && a == "<absent>")) &&
                       (g == value || (value.empty() && g == "<absent>"));
            },
            deadline, 50ms);
    }

    lab::PacemakerNode node;  // had (a base member) is stopped in TearDown, before the node goes
};

TEST_F(ActionsInCluster, AHealthyNfsdSetsBothAttributes) {
    ASSERT_TRUE(wait_attributes("1", 10000ms)) << call("actions").dump(2);
    EXPECT_FALSE(trigger_present());
}

TEST_F(ActionsInCluster, AKilledNfsdGivesUpItsVipOnlyAfterTheGraceDelayAndComesBack) {
    ASSERT_TRUE(wait_attributes("1", 10000ms)) << call("actions").dump(2);
    ASSERT_TRUE(ganesha->kill(SIGKILL));
    ASSERT_TRUE(wait_pipeline("nfsd-down", "succeeded", 15000ms)) << call("actions").dump(2);
    EXPECT_EQ(attribute("ganesha-active"), "");
    EXPECT_EQ(attribute("grace-active"), "");
    EXPECT_TRUE(trigger_present());

    // grace-active went first, and ganesha-active (the VIP) only after the wait.
    const auto grace_cleared = step_ended("nfsd-down", "delete grace-active");
    const auto vip_released = step_ended("nfsd-down", "delete ganesha-active");
    ASSERT_TRUE(grace_cleared && vip_released);
    EXPECT_GE(*vip_released - *grace_cleared, 400'000'000LL);

    ganesha->wait_exited(5000ms);
    const auto first_up = newest_pipeline("nfsd-up");
    ASSERT_NE(first_up, 0u);
    ganesha->restart();
    ASSERT_TRUE(wait_pipeline("nfsd-up", "succeeded", 15000ms, first_up)) << call("actions").dump(2);
    EXPECT_TRUE(wait_attributes("1", 5000ms));
    EXPECT_FALSE(trigger_present());
}

TEST_F(ActionsInCluster, DrainAndUndrainAreIdempotent) {
    ASSERT_TRUE(wait_attributes("1", 10000ms));
    for (int i = 0; i < 2; ++i) {
        auto r = cli({"drain"});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        EXPECT_TRUE(wait_attributes("", 1000ms));
        EXPECT_FALSE(trigger_present());  // a drain is not a failure: no state to reclaim
        EXPECT_EQ(call("status")["arguments"]["drained"], true);
    }
    for (int i = 0; i < 2; ++i) {
        auto r = cli({"undrain"});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        EXPECT_TRUE(wait_attributes("1", 1000ms));
    }
    auto r = cli({"failover"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(trigger_present());
    r = cli({"failover"});  // the trigger is already there: still success
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("already present"), std::string::npos) << r.out;
}

// Issue 14: the drain is a permanent node attribute in the CIB. It
// survives a restart of ganesha-had (the restarted daemon never brings the
// VIP back, not even for a moment), and `ganesha-hactl cluster drain`,
// which needs no daemon and works from any node, is the same thing.
TEST_F(ActionsInCluster, ThePersistentDrainSurvivesADaemonRestartAndClusterDrainIsTheSame) {
    ASSERT_TRUE(wait_attributes("1", 10000ms)) << call("actions").dump(2);
    auto r = cli({"drain"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(wait_attributes("", 5000ms));
    EXPECT_EQ(permanent("ganesha-drained"), "1");
    EXPECT_EQ(call("status")["arguments"]["drain"]["by"], json::array({"operator"}));
    r = cli({"status"});
    EXPECT_NE(r.out.find("drain       DRAINED by the operator (ganesha-drained=1 in the CIB"), std::string::npos)
        << r.out;

    had.stop();
    spawn_had(node.wrap({}));
    // Healthy again and the drain read: the node stays drained, and no
    // nfsd-up ever ran (it would have set ganesha-active for a moment).
    ASSERT_TRUE(lab::wait_until(
        [&] {
            const json s = call("status")["arguments"];
            return s["nfsd"]["code"] == 0 && s["drained"] == true;
        },
        10000ms, 50ms))
        << call("status").dump(2);
    EXPECT_EQ(newest_pipeline("nfsd-up"), 0u) << call("actions").dump(2);
    EXPECT_NE(attribute("ganesha-active"), "1");  // "" (attrd keeps a deleted name) or absent
    // ganesha_mon's start does not end an operator's drain.
    r = cli({"undrain", "by=agent"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("nothing changes (drained by the operator)"), std::string::npos) << r.out;

    // From "any node": the cluster subcommand, no daemon involved.
    const auto cluster = [&](std::vector<std::string> words) {
        std::vector<std::string> argv = {kBin + "/ctl/ganesha-hactl", "cluster", "--config", config, "--wait", "20"};
        argv.insert(argv.end(), words.begin(), words.end());
        return node.exec(argv, 30000ms);
    };
    r = cluster({"undrain", "node1"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("node1 undrained"), std::string::npos) << r.out;
    EXPECT_EQ(attribute("ganesha-active"), "1") << "undrain waits for it";
    EXPECT_TRUE(wait_pipeline("undrain", "succeeded", 5000ms));
    EXPECT_EQ(permanent("ganesha-drained"), "<absent>");
    r = cluster({"drain", "node1"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("node1 drained"), std::string::npos) << r.out;
    EXPECT_NE(attribute("ganesha-active"), "1") << "drain waits for it";
    r = cluster({"drain", "node1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("node1 is already drained"), std::string::npos) << r.out;
    r = cluster({"status"});
    EXPECT_NE(r.out.find("online DRAINED"), std::string::npos) << r.out;
    r = cluster({"drain", "node7"});
    EXPECT_EQ(r.exit_code, 6) << r.err;
    EXPECT_NE(r.err.find("unknown node 'node7'"), std::string::npos) << r.err;
    // The local undrain is the same attribute.
    r = cli({"undrain"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(wait_attributes("1", 5000ms));
    EXPECT_EQ(permanent("ganesha-drained"), "<absent>");
}

// Issue 14: `cluster move`'s request, as the CLI writes it on the target
// (here node1, for node2's VIP): the daemon puts its real ganesha into
// grace for the VIP first and only then declares grace-for-node2=1; a
// target that gets drained before the VIP arrived ends the move itself.
TEST_F(ActionsInCluster, AMoveRequestTakesGraceBeforeTheReadinessAndADrainEndsIt) {
    ASSERT_TRUE(wait_attributes("1", 10000ms)) << call("actions").dump(2);
    auto r = node.exec({"crm_attribute", "--type", "nodes", "--node", "node1", "--name", "ganesha-take-node2",
                        "--update", "requested"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(lab::wait_until([&] { return attribute("grace-for-node2") == "1"; }, 10000ms, 50ms))
        << call("events", {{"limit", 10000}}).dump(2);
    // The grace pipeline ended (succeeded) before the readiness was written.
    std::optional<long long> graced, ready;
    const json events = call("events", {{"limit", 10000}});  // kept: the loop must not walk a temporary
    for (const auto& e : events["arguments"]["events"]) {
        const json& f = e["fields"];
        if (e["type"] != "action" || f.contains("step")) continue;
        if (e["subject"] == "grace" && f.value("target", "") == "grace 192.0.2.2" && f.value("state", "") == "succeeded")
            graced = e["seq"].get<long long>();
        if (e["subject"] == "vip-ready" && f.value("target", "") == "grace-for-node2" && !ready)
            ready = e["seq"].get<long long>();
    }
    ASSERT_TRUE(graced && ready) << events.dump(1);
    EXPECT_LT(*graced, *ready);

    // node1 drained before node2's VIP came: the move is over, its request gone.
    r = cli({"drain"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(lab::wait_until([&] { return permanent("ganesha-take-node2") == "<absent>"; }, 10000ms, 50ms))
        << call("events", {{"limit", 10000}}).dump(2);
    EXPECT_TRUE(lab::wait_until([&] { return attribute("grace-for-node2") != "1"; }, 10000ms, 50ms));
    r = cli({"undrain"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// No cluster at all: the pipeline fails quickly and says why.
class ActionsWithoutCluster : public WithGanesha {
protected:
    void SetUp() override {
        WithGanesha::SetUp();
        write_config(false);  // ganesha's loopback is not this namespace's
        spawn_had(netns.wrap({}));
    }
    void TearDown() override { had.stop(); }
    lab::NetNs netns{"gha-nocl"};
};

TEST_F(ActionsWithoutCluster, PipelinesFailFastNamingTheMissingCluster) {
    ASSERT_TRUE(wait_pipeline("nfsd-up", "failed", 10000ms)) << call("actions").dump(2);
    const json actions = call("actions");
    // The newest nfsd-up (readiness pipelines, which fail the same way, may
    // be newer: the daemon re-judges its readiness at every verdict).
    json up;
    for (const auto& p : actions["arguments"]["pipelines"])
        if (p["pipeline"] == "nfsd-up") {
            up = p;
            break;
        }
    ASSERT_TRUE(up.is_object()) << actions.dump(2);
    EXPECT_NE(up["steps"][0]["detail"].get<std::string>().find("no cluster running"), std::string::npos) << up.dump(2);
    EXPECT_EQ(up["undone"].size(), 3u);
    auto r = cli({"drain"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("no cluster running"), std::string::npos) << r.out;
}

// grace over D-Bus: no cluster needed; the daemon runs next to ganesha.
class Grace : public WithGanesha {
protected:
    void SetUp() override {
        WithGanesha::SetUp();
        write_config(true);
        spawn_had({});
    }
    void TearDown() override { had.stop(); }
    bool in_grace() {
        auto r = lab::run_capture({"dbus-send", "--system", "--print-reply", "--dest=org.ganesha.nfsd",
                                   "/org/ganesha/nfsd/admin", "org.ganesha.nfsd.admin.get_grace"},
                                  5000ms, {{"DBUS_SYSTEM_BUS_ADDRESS", dbus->address()}});
        const auto first = r.out.find("boolean ");
        return r.exit_code == 0 && first != std::string::npos && r.out.compare(first, 12, "boolean true") == 0;
    }
};

TEST_F(Grace, TakeIpPutsTheRealGaneshaIntoGraceForThatAddress) {
    EXPECT_FALSE(in_grace());
    auto r = cli({"grace", "--event", "take-ip", "127.0.0.2"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("succeeded"), std::string::npos) << r.out;
    EXPECT_TRUE(in_grace());
    EXPECT_NE(lab::read_file(ganesha->log_path()).find("127.0.0.2"), std::string::npos);
}

TEST_F(Grace, ANodeNameIsResolvedToItsVip) {
    auto r = cli({"grace", "--event", "take-ip", "node=node2"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("192.0.2.2"), std::string::npos) << r.out;
    EXPECT_NE(lab::read_file(ganesha->log_path()).find("192.0.2.2"), std::string::npos);
    EXPECT_EQ(cli({"grace", "node=node9"}).exit_code, 1);
}

TEST_F(Grace, BadRequestsAreRefusedBeforeAnythingIsSent) {
    auto unknown = cli({"grace", "--event", "take-everything", "127.0.0.2"});
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_NE(unknown.err.find("unknown event"), std::string::npos) << unknown.err;
    auto empty = cli({"grace", "--event", "release-ip"});
    EXPECT_EQ(empty.exit_code, 1);
}

TEST_F(Grace, AKilledNfsdIsNamedServiceUnknown) {
    ASSERT_TRUE(ganesha->kill(SIGKILL));
    ganesha->wait_exited(5000ms);
    auto r = cli({"grace", "127.0.0.2"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("service_unknown"), std::string::npos) << r.out;
}

TEST_F(Grace, AHungNfsdTimesOutWhileTheDaemonStaysResponsive) {
    ASSERT_TRUE(ganesha->kill(SIGSTOP));
    auto started = cli({"--no-wait", "grace", "127.0.0.3"});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    // While the D-Bus call hangs, the control socket answers at once.
    for (int i = 0; i < 10; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        EXPECT_EQ(call("status")["result"], 0);
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 200ms);
    }
    ASSERT_TRUE(wait_pipeline("grace", "failed", 30000ms)) << call("actions").dump(2);
    const json actions = call("actions");
    EXPECT_NE(actions.dump().find("timeout"), std::string::npos) << actions.dump(2);
    ganesha->kill(SIGCONT);
}

TEST_F(Grace, ABusThatIsGoneIsNamed) {
    dbus->stop();
    auto r = cli({"grace", "127.0.0.2"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("bus_unreachable"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gha
