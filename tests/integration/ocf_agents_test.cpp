// The three OCF resource agents (units/ocf) against the real ganesha-had and
// ganesha-hactl, a real ganesha.nfsd (MEM FSAL) and a private dbus-daemon:
// ocf-tester (package resource-agents) for OCF compliance, then the codes
// each agent gives with the daemon stopped, the CLI missing or a parameter
// bad, the ganesha_grace notify path into the real ganesha's grace, and
// ganesha_nfsd's state directory and link in temporary directories (never
// the real /var/lib/nfs). No cluster runs here: attrd_updater and crm_node
// fail with rc 102, as on a node where Pacemaker is down; one test runs
// ganesha_grace's monitor inside a live single-node cluster.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ctl/control_client.hpp"
#include "tests/support/build_dir.hpp"
#include "tests/support/ganesha_lab.hpp"
#include "tests/support/test_port.hpp"
#include "tests/support/pacemaker_node.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

std::string from_env(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

// The tree's agents and programs; the package test (tests/package) points
// these at the installed ones.
using test::kBin;
const std::string kAgents = from_env("GHA_TEST_OCF_DIR", std::string(GHA_SOURCE_DIR) + "/units/ocf") + "/";
const std::string kAgentsHactl = from_env("GHA_TEST_HACTL", kBin + "/ctl/ganesha-hactl");
const std::string kHad = from_env("GHA_TEST_HAD", "");  // "" = the tree's
const std::string kDtd = "/usr/share/resource-agents/ra-api-1.dtd";

// OCF exit codes.
constexpr int kSuccess = 0, kGeneric = 1, kInstalled = 5, kConfigured = 6, kNotRunning = 7;

using Params = std::map<std::string, std::string>;

std::uint16_t agents_port() { return test::test_port(28000, 1000); }

std::string describe(const lab::CliResult& r) {
    return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

// Connected clients of the control socket that never send anything.
struct IdleConnections {
    std::vector<int> fds;
    bool open(const std::string& path) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        fds.push_back(fd);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
        return ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ~IdleConnections() {
        for (int fd : fds) ::close(fd);
    }
};

// ganesha-had SIGSTOPped from here to the end of the scope (a failed
// assertion included).
struct StoppedDaemon {
    lab::Had& had;
    bool ok;
    explicit StoppedDaemon(lab::Had& h) : had(h), ok(h.signal(SIGSTOP)) {}
    ~StoppedDaemon() { had.signal(SIGCONT); }
};

// ganesha.nfsd + its bus + ganesha-had as node1 of a two-node ganesha-ha.conf
// (node2's VIP 192.0.2.2 is what grace for node2 uses).
class OcfAgents : public ::testing::Test {
protected:
    void SetUp() override {
        dbus.emplace(dir.path());
        ganesha.emplace(lab::ganesha_on_bus(dir.file("nfsd"), agents_port(), *dbus));
        ganesha->start();
        socket = dir.file("hactl.sock");
        const std::string config = dir.file("ganesha-ha.conf");
        lab::write_file(config, lab::had_config(*ganesha) +
                                "HA_MONITOR_PID=\"interval=200ms\"\n"
                                "HA_MONITOR_RPC_NULL=\"interval=200ms timeout=200ms\"\n"
                                "HA_METRICS_LISTEN=off\n"
                                "HA_GRACE_DELAY=400ms\nHA_ACTION_TIMEOUT=2s\n"
                                "HA_VOL_MNT=\"" + dir.file("vol") + "\"\n");
        lab::HadOptions h;
        h.bindir = kBin;
        h.program = kHad;
        h.config = config;
        h.node = "node1";
        h.socket = socket;
        h.dir = dir.path();
        h.env = {{"DBUS_SYSTEM_BUS_ADDRESS", dbus->address()}};
        had.emplace(h);
        had->start();
        rsctmp = dir.file("rsctmp");
    }

    // The parameters every test passes: the CLI under test and our socket.
    Params base() const { return {{"hactl", kAgentsHactl}, {"socket", socket}}; }

    // A ganesha.conf that passes the agent's check for this var_lib_nfs.
    std::string good_ganesha_conf(const std::string& var_lib_nfs, const std::string& name = "ganesha.conf") const {
        return lab::write_file(dir.file(name),
                               "NFS_CORE_PARAM { Clustered = false; }\nNFSV4 {\n  Server_Scope = \"lab\";\n"
                               "  RecoveryRoot = \"" + var_lib_nfs + "/ganesha\";\n}\n");
    }

    lab::Env agent_env(const Params& params, const lab::Env& extra = {}) const {
        lab::Env env{{"OCF_ROOT", "/usr/lib/ocf"},
                     {"HA_RSCTMP", rsctmp},
                     {"OCF_RESOURCE_INSTANCE", "test"},
                     {"OCF_RESKEY_CRM_meta_timeout", "20000"},
                     {"OCF_RESKEY_CRM_meta_interval", "10000"}};
        for (const auto& [key, value] : params) env["OCF_RESKEY_" + key] = value;
        for (const auto& [key, value] : extra) env[key] = value;
        return env;
    }

    lab::CliResult agent(const std::string& name, const std::string& action, const Params& params,
                         const lab::Env& extra = {}) const {
        return lab::run_capture({kAgents + name, action}, 30000ms, agent_env(params, extra));
    }
    // A probe: monitor with interval 0.
    lab::CliResult probe(const std::string& name, const Params& params) const {
        return agent(name, "monitor", params, {{"OCF_RESKEY_CRM_meta_interval", "0"}});
    }

    lab::CliResult ocf_tester(const std::string& name, const Params& params) const {
        std::vector<std::string> argv{"ocf-tester", "-v", "-n", "test"};
        for (const auto& [key, value] : params) {
            argv.push_back("-o");
            argv.push_back(key + "=" + value);
        }
        argv.push_back(kAgents + name);
        return lab::run_capture(argv, 120000ms, {{"HA_RSCTMP", rsctmp}});
    }

    json call(const std::string& command, json arguments = json::object()) {
        control::ClientError error;
        auto answer = control::call(socket, {command, std::move(arguments)}, 3000ms, error);
        EXPECT_EQ(error.kind, control::ClientError::none) << error.text;
        return answer;
    }
    std::size_t pipelines_named(const std::string& name) {
        std::size_t n = 0;
        const json actions = call("actions");
        if (actions.value("result", 1) != 0) return 0;
        for (const auto& p : actions["arguments"]["pipelines"])
            if (p["pipeline"] == name) ++n;
        return n;
    }
    int hactl_monitor() {
        return lab::run_cli(kBin, socket, {"monitor"}, 10000ms).exit_code;
    }

    // get_grace on the private bus: the first boolean is "in grace".
    bool in_grace() {
        auto r = lab::run_capture({"dbus-send", "--system", "--print-reply", "--dest=org.ganesha.nfsd",
                                   "/org/ganesha/nfsd/admin", "org.ganesha.nfsd.admin.get_grace"},
                                  5000ms, {{"DBUS_SYSTEM_BUS_ADDRESS", dbus->address()}});
        const auto first = r.out.find("boolean ");
        return r.exit_code == 0 && first != std::string::npos && r.out.compare(first, 12, "boolean true") == 0;
    }
    std::string ganesha_log() const { return lab::read_file(ganesha->log_path()); }

    lab::TempDir dir;  // first: removed after the processes are gone
    std::optional<lab::DbusDaemon> dbus;
    std::optional<lab::Ganesha> ganesha;
    std::optional<lab::Had> had;
    std::string socket, rsctmp;
};

// ------------------------------------------------------------ meta-data

TEST_F(OcfAgents, MetaDataIsValidAgainstTheDtd) {
    if (!fs::exists(kDtd)) GTEST_SKIP() << kDtd << " missing (package resource-agents)";
    for (const std::string name : {"ganesha_nfsd", "ganesha_mon", "ganesha_grace", "ganesha_handover"}) {
        SCOPED_TRACE(name);
        const auto meta = agent(name, "meta-data", {});
        ASSERT_EQ(meta.exit_code, 0) << describe(meta);
        const std::string file = dir.file(name + ".xml");
        lab::write_file(file, meta.out);
        const auto lint = lab::run_capture({"xmllint", "--noout", "--dtdvalid", kDtd, file}, 10000ms);
        EXPECT_EQ(lint.exit_code, 0) << describe(lint);
        EXPECT_NE(meta.out.find("<resource-agent name=\"" + name + "\""), std::string::npos);
        // Unknown actions are "unimplemented", as OCF wants.
        EXPECT_EQ(agent(name, "promote", base()).exit_code, 3);
    }
    // The GlusterFS parameters keep their names and defaults.
    const auto mon = agent("ganesha_mon", "meta-data", {}).out;
    EXPECT_NE(mon.find("name=\"ganesha_active\""), std::string::npos);
    EXPECT_NE(mon.find("default=\"ganesha-active\""), std::string::npos);
    EXPECT_NE(mon.find("default=\"grace-active\""), std::string::npos);
    EXPECT_NE(mon.find("name=\"grace_delay\""), std::string::npos);
    EXPECT_NE(agent("ganesha_grace", "meta-data", {}).out.find("<action name=\"notify\""), std::string::npos);
    EXPECT_NE(agent("ganesha_nfsd", "meta-data", {}).out.find("default=\"/var/run/gluster/shared_storage\""),
              std::string::npos);
}

// ------------------------------------------------------------ ocf-tester

TEST_F(OcfAgents, GaneshaMonPassesOcfTester) {
    const auto r = ocf_tester("ganesha_mon", base());
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("passed all tests"), std::string::npos) << describe(r);
    // start undrained, stop drained: the daemon saw both.
    EXPECT_GE(pipelines_named("drain"), 1u);
}

TEST_F(OcfAgents, GaneshaGracePassesOcfTester) {
    const auto r = ocf_tester("ganesha_grace", base());
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("passed all tests"), std::string::npos) << describe(r);
}

TEST_F(OcfAgents, GaneshaHandoverPassesOcfTester) {
    fs::create_directories(dir.file("vol"));  // the shared volume, mounted
    Params p = base();
    p["ip"] = "192.0.2.2";
    const auto r = ocf_tester("ganesha_handover", p);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("passed all tests"), std::string::npos) << describe(r);
}

// start (before the VIP comes up here) puts ganesha into a take-ip grace for
// the records of the VIP's last holder and records this node as the holder;
// stop (after the VIP left) releases the VIP's clients, none here.
TEST_F(OcfAgents, HandoverStartTakesGraceForTheLastHoldersRecordsAndStopReleases) {
    fs::create_directories(dir.file("vol"));  // the shared volume, mounted
    Params p = base();
    p["ip"] = "192.0.2.2";
    const std::string holders = dir.file("vol") + "/nfs-ganesha/.vip-holders/192.0.2.2";

    // node2 (the VIP's home, its holder by default) has no records: no grace.
    auto r = agent("ganesha_handover", "start", p);
    ASSERT_EQ(r.exit_code, kSuccess) << describe(r);
    EXPECT_EQ(fs::read_symlink(holders), "node1");
    EXPECT_EQ(ganesha_log().find("recovery event 5"), std::string::npos) << "grace without records to reclaim";
    EXPECT_EQ(probe("ganesha_handover", p).exit_code, kSuccess);
    r = agent("ganesha_handover", "stop", p);
    EXPECT_EQ(r.exit_code, kSuccess) << describe(r);
    EXPECT_EQ(probe("ganesha_handover", p).exit_code, kNotRunning);

    // node2 held it last and has a client record: grace 5:<node2's VIP> first.
    fs::create_directories(dir.file("vol") + "/nfs-ganesha/node2/nfs/ganesha/v4recov/" +
                           "::ffff:192.0.2.77-(19:Linux NFSv4.1 ghost)");
    fs::remove(holders);
    fs::create_symlink("node2", holders);
    r = agent("ganesha_handover", "start", p);
    ASSERT_EQ(r.exit_code, kSuccess) << describe(r);
    EXPECT_TRUE(in_grace());
    EXPECT_NE(ganesha_log().find("recovery event 5 nodeid -1 ip 192.0.2.2"), std::string::npos)
        << lab::tail_file(ganesha->log_path());
    EXPECT_EQ(fs::read_symlink(holders), "node1");
    // Taking it again while ganesha is still in that grace sends nothing.
    const auto before = pipelines_named("grace");
    fs::remove(holders);
    fs::create_symlink("node2", holders);
    r = agent("ganesha_handover", "start", p);
    ASSERT_EQ(r.exit_code, kSuccess) << describe(r);
    const json events = call("events")["arguments"]["events"];
    std::size_t taken = 0;
    for (const auto& e : events)
        if (e.value("type", "") == "action" && e.value("message", "").find("already in grace for 192.0.2.2") !=
                                                   std::string::npos)
            ++taken;
    EXPECT_EQ(taken, 1u) << events.dump();
    EXPECT_EQ(pipelines_named("grace"), before);

    // A ganesha-had that does not answer fails the start (no VIP without
    // grace) but never the stop (that would block the VIP).
    Params dead = p;
    dead["socket"] = dir.file("nobody.sock");
    EXPECT_EQ(agent("ganesha_handover", "start", dead).exit_code, kGeneric);
    EXPECT_EQ(agent("ganesha_handover", "stop", dead).exit_code, kSuccess);
    // Hostile or missing addresses are refused before anything runs.
    Params bad = p;
    bad["ip"] = "192.0.2.2; touch " + dir.file("pwned");
    EXPECT_EQ(agent("ganesha_handover", "start", bad).exit_code, kConfigured);
    bad["ip"] = "";
    EXPECT_EQ(agent("ganesha_handover", "validate-all", bad).exit_code, kConfigured);
    EXPECT_FALSE(fs::exists(dir.file("pwned")));
}

TEST_F(OcfAgents, GaneshaNfsdPassesOcfTester) {
    const std::string vol = dir.file("vol"), link = dir.file("var-lib-nfs");
    fs::create_directories(vol);
    fs::create_directories(link);
    Params p = base();
    p["ha_vol_mnt"] = vol;
    p["var_lib_nfs"] = link;
    p["node"] = "node1";
    p["ganesha_conf"] = good_ganesha_conf(link);
    const auto r = ocf_tester("ganesha_nfsd", p);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("passed all tests"), std::string::npos) << describe(r);
    EXPECT_TRUE(fs::is_directory(link) && !fs::is_symlink(link));
    EXPECT_FALSE(fs::exists(link + ".backup"));
}

// ------------------------------------------------------------ ganesha_mon

TEST_F(OcfAgents, GaneshaMonReportsAFailedNfsdThroughTheDaemonNotItsOwnResult) {
    ASSERT_EQ(agent("ganesha_mon", "start", base()).exit_code, kSuccess);
    ASSERT_TRUE(lab::wait_until([&] { return hactl_monitor() == 0; }, 5000ms));
    auto r = agent("ganesha_mon", "monitor", base());
    EXPECT_EQ(r.exit_code, kSuccess) << describe(r);

    ganesha->kill(SIGKILL);
    ganesha->wait_exited(5000ms);
    ASSERT_TRUE(lab::wait_until([&] { return hactl_monitor() == 7; }, 5000ms));
    r = agent("ganesha_mon", "monitor", base());
    EXPECT_EQ(r.exit_code, kSuccess) << describe(r);
    EXPECT_NE(r.err.find("not running"), std::string::npos) << describe(r);
    EXPECT_EQ(agent("ganesha_mon", "stop", base()).exit_code, kSuccess);
}

TEST_F(OcfAgents, GaneshaMonWithTheDaemonStopped) {
    ASSERT_EQ(agent("ganesha_mon", "start", base()).exit_code, kSuccess);
    had->stop();
    const lab::Env short_op{{"OCF_RESKEY_CRM_meta_timeout", "3000"}};
    auto r = agent("ganesha_mon", "monitor", base(), short_op);
    EXPECT_EQ(r.exit_code, kGeneric) << describe(r);
    EXPECT_NE(r.err.find("ganesha-had unreachable for"), std::string::npos) << describe(r);
    EXPECT_NE(r.err.find("not reachable"), std::string::npos) << describe(r);
    EXPECT_EQ(agent("ganesha_mon", "validate-all", base()).exit_code, kSuccess);

    // Stop cannot drain: it withdraws the node's attributes itself (nobody
    // watches the nfsd here), says so, and succeeds.
    lab::install_fake_pacemaker(dir.file("fakebin"));
    const lab::Env pacemaker = lab::fake_pacemaker_env(dir.file("fakebin"), dir.file("attrs"));
    lab::write_file(dir.file("attrs/ganesha-active"), "1");
    lab::write_file(dir.file("attrs/grace-active"), "1");
    Params p = base();
    p["grace_delay"] = "1";
    lab::Env stop_env = pacemaker;
    stop_env["OCF_RESKEY_CRM_meta_timeout"] = "5000";  // 2 s asking for a drain, then the withdrawal
    r = agent("ganesha_mon", "stop", p, stop_env);
    EXPECT_EQ(r.exit_code, kSuccess) << describe(r);
    EXPECT_NE(r.err.find("not reachable"), std::string::npos) << describe(r);
    EXPECT_NE(r.err.find("withdrew"), std::string::npos) << describe(r);
    EXPECT_FALSE(fs::exists(dir.file("attrs/ganesha-active")));
    EXPECT_FALSE(fs::exists(dir.file("attrs/grace-active")));

    EXPECT_EQ(probe("ganesha_mon", base()).exit_code, kNotRunning);
    EXPECT_EQ(agent("ganesha_mon", "monitor", base()).exit_code, kNotRunning);
    r = agent("ganesha_mon", "start", base());
    EXPECT_EQ(r.exit_code, kGeneric) << describe(r);
    EXPECT_EQ(agent("ganesha_mon", "monitor", base()).exit_code, kNotRunning);
}

// ganesha-had SIGSTOPped for most of a monitor operation (longer than one or
// two ganesha-hactl calls with their shares of the timeout would wait): the
// agent keeps asking, and the answer once the daemon runs again counts.
TEST_F(OcfAgents, GaneshaMonWaitsForADaemonStoppedForMostOfTheOperation) {
    ASSERT_EQ(agent("ganesha_mon", "start", base()).exit_code, kSuccess);
    ASSERT_TRUE(lab::wait_until([&] { return hactl_monitor() == 0; }, 5000ms));
    constexpr auto kOpTimeout = 8000ms;
    const StoppedDaemon stopped(*had);
    ASSERT_TRUE(stopped.ok);
    const auto started = std::chrono::steady_clock::now();
    lab::Process monitor;
    monitor.spawn({kAgents + "ganesha_mon", "monitor"},
                  agent_env(base(), {{"OCF_RESKEY_CRM_meta_timeout", std::to_string(kOpTimeout.count())}}),
                  dir.file("monitor.log"));
    // The daemon stays stopped for 82 % of the timeout, or until the agent
    // gives up, whichever comes first.
    const bool gave_up = lab::wait_until([&] { return !monitor.running(); }, kOpTimeout * 82 / 100, 20ms);
    ASSERT_TRUE(had->signal(SIGCONT));
    const int rc = monitor.wait_exit(kOpTimeout);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_FALSE(gave_up) << "the agent gave up while the daemon was stopped";
    EXPECT_EQ(rc, kSuccess) << lab::read_file(dir.file("monitor.log"));
    EXPECT_LT(took, kOpTimeout);
}

// Unreachable for the whole operation: 1 with its own exit reason, before
// Pacemaker's timeout (a timed-out monitor would say nothing useful).
TEST_F(OcfAgents, GaneshaMonFailsWhenTheDaemonStaysUnreachable) {
    ASSERT_EQ(agent("ganesha_mon", "start", base()).exit_code, kSuccess);
    const StoppedDaemon stopped(*had);
    ASSERT_TRUE(stopped.ok);
    const auto started = std::chrono::steady_clock::now();
    const auto r = agent("ganesha_mon", "monitor", base(), {{"OCF_RESKEY_CRM_meta_timeout", "3000"}});
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(r.exit_code, kGeneric) << describe(r);
    EXPECT_NE(r.err.find("ganesha-had unreachable for"), std::string::npos) << describe(r);
    EXPECT_GE(took, 2000ms);  // it kept asking (budget: 3000 - 500 ms)
    EXPECT_LT(took, 3000ms);
}

// A local user holding all 64 control connections (until the daemon's 5 s
// idle timeout frees them) does not make the monitor fail.
TEST_F(OcfAgents, GaneshaMonRidesOutAFullControlConnectionTable) {
    ASSERT_EQ(agent("ganesha_mon", "start", base()).exit_code, kSuccess);
    ASSERT_TRUE(lab::wait_until([&] { return hactl_monitor() == 0; }, 5000ms));
    IdleConnections held;
    for (int i = 0; i < 64; ++i) ASSERT_TRUE(held.open(socket)) << "connection " << i << ": " << std::strerror(errno);
    ASSERT_TRUE(lab::wait_until([&] { return lab::run_cli(kBin, socket, {"version"}, 2000ms).exit_code == 4; },
                                2000ms))
        << "the table never filled up";
    const auto r = agent("ganesha_mon", "monitor", base());
    EXPECT_EQ(r.exit_code, kSuccess) << describe(r);
}

// ------------------------------------------------------------ ganesha_grace

TEST_F(OcfAgents, GraceNotifyPostStopPutsTheRealGaneshaIntoGraceForTheStoppedNodesVip) {
    // A client record for node2's VIP keeps the grace for its full period
    // instead of ending at the next reaper run.
    fs::create_directories(ganesha->recovery_root() + "/192.0.2.2/v4recov/::ffff:127.0.0.9-(15:Linux NFSv4.2 c)");
    ASSERT_TRUE(lab::wait_until([&] { return !in_grace(); }, 20000ms, 200ms)) << "start-up grace never ended";
    ASSERT_EQ(agent("ganesha_grace", "start", base()).exit_code, kSuccess);

    const auto r = agent("ganesha_grace", "notify", base(),
                         {{"OCF_RESKEY_CRM_meta_notify_type", "post"},
                          {"OCF_RESKEY_CRM_meta_notify_operation", "stop"},
                          {"OCF_RESKEY_CRM_meta_notify_stop_uname", "node2"},
                          {"OCF_RESKEY_CRM_meta_notify_start_uname", ""},
                          {"OCF_RESKEY_CRM_meta_on_node", "node1"}});
    EXPECT_EQ(r.exit_code, kSuccess) << describe(r);
    EXPECT_TRUE(in_grace());
    EXPECT_TRUE(lab::wait_until(
        [&] { return ganesha_log().find("recovery event 5 nodeid -1 ip 192.0.2.2") != std::string::npos; },
        2000ms))
        << lab::tail_file(ganesha->log_path());
    EXPECT_EQ(pipelines_named("grace"), 1u);

    // Fail-back: node2 starts again. Nothing here: the VIP's clients are
    // released per VIP by ganesha_handover's stop on the node giving it up.
    const auto back = agent("ganesha_grace", "notify", base(),
                            {{"OCF_RESKEY_CRM_meta_notify_type", "pre"},
                             {"OCF_RESKEY_CRM_meta_notify_operation", "start"},
                             {"OCF_RESKEY_CRM_meta_notify_start_uname", "node2"},
                             {"OCF_RESKEY_CRM_meta_on_node", "node1"}});
    EXPECT_EQ(back.exit_code, kSuccess) << describe(back);
    EXPECT_EQ(pipelines_named("grace"), 1u);
    EXPECT_EQ(ganesha_log().find("recovery event 2"), std::string::npos);
}

TEST_F(OcfAgents, GraceNotifySkipsThisNodeRestartsOtherEventsAndHostileNames) {
    const std::string marker = dir.file("pwned");
    const lab::Env on_node1{{"OCF_RESKEY_CRM_meta_on_node", "node1"}};
    auto notify = [&](const std::string& type, const std::string& op, const std::string& stop,
                      const std::string& start) {
        lab::Env env = on_node1;
        env["OCF_RESKEY_CRM_meta_notify_type"] = type;
        env["OCF_RESKEY_CRM_meta_notify_operation"] = op;
        env["OCF_RESKEY_CRM_meta_notify_stop_uname"] = stop;
        env["OCF_RESKEY_CRM_meta_notify_start_uname"] = start;
        return agent("ganesha_grace", "notify", base(), env);
    };
    EXPECT_EQ(notify("post", "stop", "node1", "").exit_code, kSuccess);         // ourselves
    EXPECT_EQ(notify("post", "stop", "node2", "node2").exit_code, kSuccess);    // a restart
    EXPECT_EQ(notify("pre", "stop", "node2", "").exit_code, kSuccess);          // not acted on
    EXPECT_EQ(notify("post", "start", "", "node2").exit_code, kSuccess);        // not acted on
    EXPECT_EQ(pipelines_named("grace"), 0u);

    const auto r = notify("post", "stop", "--event $(touch${IFS}" + marker + ") ../x `id` *", "");
    EXPECT_EQ(r.exit_code, kSuccess) << describe(r);
    EXPECT_NE(r.err.find("refusing node name"), std::string::npos) << describe(r);
    EXPECT_FALSE(fs::exists(marker));
    EXPECT_EQ(pipelines_named("grace"), 0u);

    // A node the daemon has no VIP for: logged, still 0 (see the agent).
    const auto unknown = notify("post", "stop", "node9", "");
    EXPECT_EQ(unknown.exit_code, kSuccess) << describe(unknown);
    EXPECT_NE(unknown.err.find("node9"), std::string::npos) << describe(unknown);
}

TEST_F(OcfAgents, GaneshaGraceWithTheDaemonStopped) {
    ASSERT_EQ(agent("ganesha_grace", "start", base()).exit_code, kSuccess);
    had->stop();
    // monitor follows grace-active, which no cluster can say anything about here.
    EXPECT_EQ(agent("ganesha_grace", "monitor", base()).exit_code, kSuccess);
    const auto r = agent("ganesha_grace", "notify", base(),
                         {{"OCF_RESKEY_CRM_meta_notify_type", "post"},
                          {"OCF_RESKEY_CRM_meta_notify_operation", "stop"},
                          {"OCF_RESKEY_CRM_meta_notify_stop_uname", "node2"},
                          {"OCF_RESKEY_CRM_meta_on_node", "node1"}});
    EXPECT_EQ(r.exit_code, kSuccess) << describe(r);
    EXPECT_NE(r.err.find("failed"), std::string::npos) << describe(r);
    EXPECT_EQ(agent("ganesha_grace", "stop", base()).exit_code, kSuccess);
    EXPECT_EQ(probe("ganesha_grace", base()).exit_code, kNotRunning);
    const auto start = agent("ganesha_grace", "start", base());
    EXPECT_EQ(start.exit_code, kGeneric) << describe(start);
    EXPECT_NE(start.err.find("not reachable"), std::string::npos) << describe(start);
    EXPECT_EQ(agent("ganesha_grace", "monitor", base()).exit_code, kNotRunning);
}

TEST_F(OcfAgents, GraceMonitorFollowsGraceActiveInALiveCluster) {
    lab::PacemakerNode node;  // node1; stopped before the fixture's processes
    node.start();
    ASSERT_TRUE(node.wait_online(20000ms)) << node.diagnostics();
    // Inside the node, without on_node: the agent asks crm_node -n.
    auto run = [&](const std::string& action) {
        return node.exec({kAgents + "ganesha_grace", action}, 30000ms, agent_env(base()));
    };
    auto attrd = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"attrd_updater", "-n", "grace-active", "-N", "node1"});
        const auto r = node.exec(args);
        EXPECT_EQ(r.exit_code, 0) << describe(r);
    };
    EXPECT_EQ(run("monitor").exit_code, kNotRunning);
    ASSERT_EQ(run("start").exit_code, kSuccess);
    auto r = run("monitor");  // never set (attrd_updater rc 78): booting, as GlusterFS assumes
    EXPECT_EQ(r.exit_code, kSuccess) << describe(r);
    attrd({"-U", "1"});
    r = run("monitor");
    EXPECT_EQ(r.exit_code, kSuccess) << describe(r);
    attrd({"-D"});  // what ganesha-had does when the nfsd fails: value=""
    r = run("monitor");
    EXPECT_EQ(r.exit_code, kNotRunning) << describe(r);
    attrd({"-U", "0"});
    EXPECT_EQ(run("monitor").exit_code, kNotRunning);
    attrd({"-U", "1"});
    EXPECT_EQ(run("monitor").exit_code, kSuccess);
    EXPECT_EQ(run("stop").exit_code, kSuccess);
    EXPECT_EQ(run("monitor").exit_code, kNotRunning);
}

// ------------------------------------------------------------ ganesha_nfsd

class OcfNfsd : public OcfAgents {
protected:
    void SetUp() override {
        OcfAgents::SetUp();
        vol = dir.file("shared");
        link = dir.file("var/lib/nfs");
        fs::create_directories(vol);
        fs::create_directories(link);
        lab::write_file(link + "/original", "kept\n");
    }
    Params params() const {
        Params p = base();
        p["ha_vol_mnt"] = vol;
        p["var_lib_nfs"] = link;
        p["node"] = "node1";
        p["ganesha_conf"] = good_ganesha_conf(link);
        return p;
    }
    std::string state(const std::string& node) const { return vol + "/nfs-ganesha/" + node + "/nfs"; }
    bool original_in_place() const {
        return fs::is_directory(fs::symlink_status(link)) && lab::read_file(link + "/original") == "kept\n" &&
               !fs::exists(fs::symlink_status(link + ".backup"));
    }
    std::string vol, link;
};

TEST_F(OcfNfsd, StartTwiceStopTwiceRestoresTheOriginal) {
    EXPECT_EQ(probe("ganesha_nfsd", params()).exit_code, kNotRunning);
    for (int i = 0; i < 2; ++i) {
        const auto r = agent("ganesha_nfsd", "start", params());
        ASSERT_EQ(r.exit_code, kSuccess) << describe(r);
        EXPECT_EQ(agent("ganesha_nfsd", "monitor", params()).exit_code, kSuccess);
    }
    ASSERT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(fs::read_symlink(link).string(), state("node1"));
    EXPECT_EQ(lab::read_file(link + ".backup/original"), "kept\n");
    for (const std::string sub : {"ganesha/v4recov", "ganesha/v4old", "statd/sm", "statd/sm.bak"})
        EXPECT_TRUE(fs::is_directory(state("node1") + "/" + sub)) << sub;
    EXPECT_TRUE(fs::exists(state("node1") + "/state"));
    EXPECT_TRUE(fs::exists(state("node1") + "/statd/state"));
    EXPECT_TRUE(fs::is_directory(vol + "/nfs-ganesha/tickle_dir"));

    // Peers from ganesha-ha.conf (through the daemon): by node name as in
    // GlusterFS, and by VIP, the address grace for node2 reads:
    // <RecoveryRoot>/192.0.2.2/v4recov with RecoveryRoot /var/lib/nfs/ganesha.
    EXPECT_EQ(fs::read_symlink(state("node1") + "/ganesha/node2").string(), state("node2") + "/ganesha");
    EXPECT_EQ(fs::read_symlink(state("node1") + "/statd/node2").string(), state("node2") + "/statd");
    EXPECT_EQ(fs::read_symlink(state("node1") + "/ganesha/192.0.2.2").string(), state("node2") + "/ganesha");
    EXPECT_FALSE(fs::exists(fs::symlink_status(state("node1") + "/ganesha/node1")));
    EXPECT_FALSE(fs::exists(fs::symlink_status(state("node1") + "/ganesha/192.0.2.1")));
    // Once node2 has set up its own directory, the path resolves to its records.
    Params p2 = params();
    p2["node"] = "node2";
    p2["var_lib_nfs"] = dir.file("node2-var-lib-nfs");
    p2["ganesha_conf"] = good_ganesha_conf(p2["var_lib_nfs"], "node2-ganesha.conf");
    ASSERT_EQ(agent("ganesha_nfsd", "start", p2).exit_code, kSuccess);
    EXPECT_TRUE(fs::equivalent(link + "/ganesha/192.0.2.2/v4recov", state("node2") + "/ganesha/v4recov"));
    EXPECT_EQ(agent("ganesha_nfsd", "stop", p2).exit_code, kSuccess);

    for (int i = 0; i < 2; ++i) {
        const auto r = agent("ganesha_nfsd", "stop", params());
        ASSERT_EQ(r.exit_code, kSuccess) << describe(r);
        EXPECT_TRUE(original_in_place());
        EXPECT_EQ(agent("ganesha_nfsd", "monitor", params()).exit_code, kNotRunning);
    }
    // The state on the shared volume stays for the next start (or a peer).
    EXPECT_TRUE(fs::is_directory(state("node1") + "/ganesha/v4recov"));
}

TEST_F(OcfNfsd, NoOriginalNothingToRestore) {
    fs::remove_all(link);
    ASSERT_EQ(agent("ganesha_nfsd", "start", params()).exit_code, kSuccess);
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_FALSE(fs::exists(fs::symlink_status(link + ".backup")));
    ASSERT_EQ(agent("ganesha_nfsd", "stop", params()).exit_code, kSuccess);
    EXPECT_FALSE(fs::exists(fs::symlink_status(link)));
}

TEST_F(OcfNfsd, MonitorFailsWhenTheVolumeIsGoneAndStartRefusesToOverwriteABackup) {
    ASSERT_EQ(agent("ganesha_nfsd", "start", params()).exit_code, kSuccess);
    fs::remove_all(vol + "/nfs-ganesha");  // as if the shared volume were unmounted
    auto r = agent("ganesha_nfsd", "monitor", params());
    EXPECT_EQ(r.exit_code, kGeneric) << describe(r);
    EXPECT_NE(r.err.find("v4recov"), std::string::npos) << describe(r);
    ASSERT_EQ(agent("ganesha_nfsd", "stop", params()).exit_code, kSuccess);
    EXPECT_TRUE(original_in_place());

    // The original and a backup both there: start touches neither.
    fs::create_directories(link + ".backup");
    r = agent("ganesha_nfsd", "start", params());
    EXPECT_EQ(r.exit_code, kGeneric) << describe(r);
    EXPECT_NE(r.err.find("by hand"), std::string::npos) << describe(r);
    EXPECT_EQ(lab::read_file(link + "/original"), "kept\n");
    EXPECT_FALSE(fs::is_symlink(link));

    // A link that is not ours is neither "running" nor removed by stop.
    fs::remove_all(link + ".backup");
    fs::rename(link, link + ".elsewhere");
    fs::create_directory_symlink(link + ".elsewhere", link);
    EXPECT_EQ(agent("ganesha_nfsd", "monitor", params()).exit_code, kNotRunning);
    EXPECT_EQ(agent("ganesha_nfsd", "stop", params()).exit_code, kSuccess);
    EXPECT_EQ(fs::read_symlink(link).string(), link + ".elsewhere");
}

TEST_F(OcfNfsd, StartsWithTheDaemonStoppedWithNodeNamedLinksOnly) {
    had->stop();
    const auto r = agent("ganesha_nfsd", "start", params());
    EXPECT_EQ(r.exit_code, kSuccess) << describe(r);
    EXPECT_NE(r.err.find("by node name only"), std::string::npos) << describe(r);
    EXPECT_EQ(agent("ganesha_nfsd", "monitor", params()).exit_code, kSuccess);
    EXPECT_FALSE(fs::exists(fs::symlink_status(state("node1") + "/ganesha/192.0.2.2")));
    EXPECT_EQ(agent("ganesha_nfsd", "stop", params()).exit_code, kSuccess);
    EXPECT_TRUE(original_in_place());
}

// ------------------------------------------------------------ missing CLI, bad parameters

TEST_F(OcfNfsd, MissingCliIsNotInstalledAndProbesSayNotRunning) {
    for (const std::string& hactl : {dir.file("no-such-hactl"), std::string("no-such-ganesha-hactl")}) {
        SCOPED_TRACE(hactl);
        // Started with the real CLI, so "running" is known for the agents that need it.
        ASSERT_EQ(agent("ganesha_mon", "start", base()).exit_code, kSuccess);
        ASSERT_EQ(agent("ganesha_grace", "start", base()).exit_code, kSuccess);
        for (const std::string name : {"ganesha_mon", "ganesha_grace", "ganesha_nfsd"}) {
            SCOPED_TRACE(name);
            Params p = name == "ganesha_nfsd" ? params() : base();
            p["hactl"] = hactl;
            auto r = agent(name, "validate-all", p);
            EXPECT_EQ(r.exit_code, kInstalled) << describe(r);
            EXPECT_NE(r.err.find("not found"), std::string::npos) << describe(r);
            if (name == "ganesha_nfsd") {
                EXPECT_EQ(agent(name, "start", p).exit_code, kInstalled);
                EXPECT_EQ(probe(name, p).exit_code, kNotRunning);  // nothing in place
            } else {
                EXPECT_EQ(agent(name, "monitor", p).exit_code, kInstalled);  // started, CLI gone
                EXPECT_EQ(agent(name, "stop", p).exit_code, kSuccess);
                EXPECT_EQ(probe(name, p).exit_code, kNotRunning);
                EXPECT_EQ(agent(name, "start", p).exit_code, kInstalled);
            }
        }
    }
}

TEST_F(OcfNfsd, BadParametersAreNotConfigured) {
    struct Case {
        std::string agent;
        Params changes;
    };
    const std::string long_socket = "/" + std::string(120, 's');
    const std::vector<Case> cases{
        {"ganesha_mon", {{"socket", "hactl.sock"}}},
        {"ganesha_mon", {{"socket", long_socket}}},
        {"ganesha_mon", {{"hactl", "bin/ganesha-hactl"}}},
        {"ganesha_mon", {{"hactl", ""}}},
        {"ganesha_mon", {{"grace_delay", "5s"}}},
        {"ganesha_mon", {{"ganesha_active", "ganesha active"}}},
        {"ganesha_mon", {{"grace_active", "$(id)"}}},
        {"ganesha_grace", {{"grace_active", "a;b"}}},
        {"ganesha_grace", {{"socket", ""}}},
        {"ganesha_nfsd", {{"var_lib_nfs", "var/lib/nfs"}}},
        {"ganesha_nfsd", {{"var_lib_nfs", "/"}}},
        {"ganesha_nfsd", {{"ha_vol_mnt", "/"}}},
        {"ganesha_nfsd", {{"ha_vol_mnt", vol + "/../etc"}}},
        {"ganesha_nfsd", {{"node", "../etc"}}},
        {"ganesha_nfsd", {{"node", "-x"}}},
        {"ganesha_nfsd", {{"ganesha_conf", "ganesha.conf"}}},
    };
    for (const auto& c : cases) {
        Params p = c.agent == "ganesha_nfsd" ? params() : base();
        for (const auto& [key, value] : c.changes) p[key] = value;
        SCOPED_TRACE(c.agent + " " + c.changes.begin()->first + "=" + c.changes.begin()->second);
        auto r = agent(c.agent, "validate-all", p);
        EXPECT_EQ(r.exit_code, kConfigured) << describe(r);
        EXPECT_EQ(agent(c.agent, "start", p).exit_code, kConfigured);
    }
    // Nothing was touched.
    EXPECT_TRUE(original_in_place());
    EXPECT_FALSE(fs::exists(vol + "/nfs-ganesha"));

    // The shared volume not mounted on this node: not installed here, and a
    // probe says not running.
    Params unmounted = params();
    unmounted["ha_vol_mnt"] = dir.file("not-mounted");
    EXPECT_EQ(agent("ganesha_nfsd", "validate-all", unmounted).exit_code, kInstalled);
    EXPECT_EQ(agent("ganesha_nfsd", "start", unmounted).exit_code, kInstalled);
    EXPECT_EQ(probe("ganesha_nfsd", unmounted).exit_code, kNotRunning);
}

// ------------------------------------------------------------ ganesha.conf

TEST_F(OcfNfsd, AGaneshaConfThatLosesClientStateIsRefusedWithTheLineAndTheFix) {
    Params p = params();
    p["ganesha_conf"] = lab::write_file(dir.file("bad-ganesha.conf"),
                                        "NFS_CORE_PARAM {\n  Protocols = 4;\n}\nNFSV4 { Server_Scope = lab; "
                                        "RecoveryRoot = /run/ganesha/recov; }\n");
    for (const char* action : {"validate-all", "start"}) {
        SCOPED_TRACE(action);
        const auto r = agent("ganesha_nfsd", action, p);
        EXPECT_EQ(r.exit_code, kConfigured) << describe(r);
        // The exit reason (ocf_exit_reason: "ocf-exit-reason:" on stderr) names file:line and the fix.
        EXPECT_NE(r.err.find("ocf-exit-reason:" + p["ganesha_conf"] +
                             ":1: error: NFS_CORE_PARAM.Clustered is true (ganesha's default when absent)"),
                  std::string::npos)
            << describe(r);
        EXPECT_NE(r.err.find("write \"Clustered = false;\" in NFS_CORE_PARAM"), std::string::npos) << describe(r);
        EXPECT_NE(r.err.find("(and 1 more: ganesha-hactl ganesha-conf check"), std::string::npos) << describe(r);
        EXPECT_NE(r.err.find(":4: error: NFSV4.RecoveryRoot is '/run/ganesha/recov'"), std::string::npos)
            << describe(r);  // logged
    }
    EXPECT_TRUE(original_in_place());
    EXPECT_FALSE(fs::exists(vol + "/nfs-ganesha"));

    // The right RecoveryRoot depends on var_lib_nfs: the good file for `link` is wrong for another path.
    p = params();
    p["var_lib_nfs"] = dir.file("elsewhere/nfs");
    fs::create_directories(dir.file("elsewhere"));
    auto r = agent("ganesha_nfsd", "validate-all", p);
    EXPECT_EQ(r.exit_code, kConfigured) << describe(r);
    EXPECT_NE(r.err.find("NFSV4.RecoveryRoot"), std::string::npos) << describe(r);

    // Missing: not installed on this node (5); a probe still says not running.
    p = params();
    p["ganesha_conf"] = dir.file("absent.conf");
    r = agent("ganesha_nfsd", "start", p);
    EXPECT_EQ(r.exit_code, kInstalled) << describe(r);
    EXPECT_NE(r.err.find("does not exist"), std::string::npos) << describe(r);
    EXPECT_EQ(probe("ganesha_nfsd", p).exit_code, kNotRunning);

    // Warnings pass, and are logged.
    p = params();
    p["ganesha_conf"] = lab::write_file(
        dir.file("warn-ganesha.conf"), "NFS_CORE_PARAM { Clustered = false; }\nNFSV4 { Server_Scope = lab; RecoveryRoot = " +
                                           link + "/ganesha; Grace_Period = 10; Lease_Lifetime = 20; }\n");
    r = agent("ganesha_nfsd", "validate-all", p);
    EXPECT_EQ(r.exit_code, kSuccess) << describe(r);
    EXPECT_NE(r.err.find("NFSV4.Grace_Period is 10 s"), std::string::npos) << describe(r);
}

}  // namespace
}  // namespace gha
