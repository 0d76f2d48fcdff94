// Peer heartbeats between three real ganesha-had daemons on loopback
// (127.0.0.1/2/3), each next to its own real ganesha.nfsd (bound to its
// address) on its own private bus. A fourth cluster node, node4, is the
// test itself: its UDP socket on 127.0.0.4 receives the daemons' genuine
// heartbeats, which it replays and forges. Latencies are the daemons' own
// CLOCK_MONOTONIC event timestamps against the test's, taken just before
// the kill.
//
// There is no Pacemaker here: attrd_updater and cibadmin are small stand-ins
// written to a per-test bin/ directory (values kept in files), so that the
// failing node's nfsd-down pipeline gets to its wait for the survivors'
// grace, which is what these tests look at.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "ctl/control_client.hpp"
#include "ganesha_conf/check.hpp"
#include "monitors/heartbeat_codec.hpp"
#include "monitors/peer_query_codec.hpp"
#include "tests/support/build_dir.hpp"
#include "tests/support/ganesha_lab.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using asio::ip::udp;
namespace fs = std::filesystem;

using test::kBin;
constexpr int kNodes = 3;

using lab::monotonic_ns;

std::uint16_t test_port(std::uint16_t base) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const auto h = std::hash<std::string>{}(std::string(info->test_suite_name()) + info->name());
    return static_cast<std::uint16_t>(base + (h % 300) * 4);
}

std::string address(int node) { return "127.0.0." + std::to_string(node); }
std::string vip(int node) { return "127.0.0.1" + std::to_string(node); }

std::string cluster_config(int node, const std::string& key, std::uint16_t hb_port, const lab::Ganesha& ganesha) {
    std::string c = std::string(lab::kHostNetworkClients) + "HA_NAME=peers\nHA_CLUSTER_NODES=\"node1,node2,node3,node4\"\n";
    for (int n = 1; n <= 4; ++n)
        c += "VIP_node" + std::to_string(n) + "=" + vip(n) + "\nHA_PEER_ADDR_node" + std::to_string(n) + "=" +
             address(n) + "\n";
    c += "HA_HEARTBEAT_KEY=" + key + "\n";
    c += "HA_HEARTBEAT_PORT=" + std::to_string(hb_port) + "\n";
    c += "HA_MONITOR_PEER=\"interval=500ms rise=2 fall=4\"\n";  // the defaults, spelled out
    c += "HA_NFSD_PIDFILE=" + ganesha.pidfile() + "\n";
    c += "HA_NFSD_ADDRESS=" + address(node) + ":" + std::to_string(ganesha.port()) + "\n";
    c += "HA_MONITOR_PID=\"interval=200ms\"\n";
    c += "HA_MONITOR_RPC_NULL=\"interval=200ms timeout=200ms\"\n";
    c += "HA_GRACE_DELAY=10s\nHA_ACTION_TIMEOUT=3s\nHA_ACTION_ATTEMPTS=1\n";
    c += "HA_METRICS_LISTEN=off\n";  // three daemons on one host would share the default port
    return c;
}

class PeersTest : public ::testing::Test {
protected:
    void SetUp() override {
        key = dir.file("ha.key");
        auto keygen = lab::run_capture({kBin + "/ctl/ganesha-hactl", "keygen", key}, 5000ms);
        ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
        hb_port = test_port(30000);  // UDP
        const std::uint16_t nfs_port = test_port(31300);  // TCP, below the ephemeral range
        lab::install_fake_pacemaker(dir.file("bin"));

        // The test is node4: bound before the daemons start, so it hears them from the first datagram.
        capture.open(udp::v4());
        capture.bind(udp::endpoint(asio::ip::make_address(address(4)), hb_port));
        capture.non_blocking(true);

        const std::string shared = dir.file("shared");  // HA_VOL_MNT, the same for every node
        fs::create_directories(shared);
        for (int i = 0; i < kNodes; ++i) {
            const int n = i + 1;
            const std::string d = dir.file("n" + std::to_string(n));
            bus[i].emplace(d);
            auto g = lab::ganesha_on_bus(d + "/nfsd", static_cast<std::uint16_t>(nfs_port + i), *bus[i]);
            g.bind_addr = address(n);
            ganesha[i].emplace(g);
            // Client records for the VIPs, so a take-ip grace lasts its
            // period instead of ending at once for lack of clients. ganesha
            // loads a record only when the length before ':' is the
            // owner's ("Linux NFSv4.2 c": 15; recovery_fs.c).
            for (int other = 1; other <= 4; ++other)
                fs::create_directories(ganesha[i]->recovery_root() + "/" + vip(other) +
                                       "/v4recov/::ffff:127.0.0.99-(15:Linux NFSv4.2 c)");
            ganesha[i]->start();
            // The daemon's view of ganesha.conf (HA_GANESHA_CONF): only its
            // Server_Scope matters here. node3's differs until a test fixes it.
            scope_conf[i] = lab::write_file(d + "/scope.conf", scope_text(n == 3 ? "other" : "peers"));
            lab::write_file(d + "/ganesha-ha.conf",
                            cluster_config(n, key, hb_port, *ganesha[i]) + "HA_GANESHA_CONF=" + scope_conf[i] +
                                "\nHA_VOL_MNT=" + shared + "\n");  // where take-vip records the VIP's holder
            lab::HadOptions h;
            h.bindir = kBin;
            h.config = d + "/ganesha-ha.conf";
            h.node = "node" + std::to_string(n);
            h.socket = d + "/hactl.sock";
            h.env = lab::fake_pacemaker_env(dir.file("bin"), d + "/attrs");
            h.env.emplace("DBUS_SYSTEM_BUS_ADDRESS", bus[i]->address());
            had[i].emplace(h);
        }
        for (auto& h : had) h->start();
    }

    static std::string scope_text(const std::string& scope) {
        return "NFS_CORE_PARAM { Clustered = false; }\nNFSV4 { Server_Scope = \"" + scope + "\"; }\n";
    }
    std::vector<json> scope_events(int on, const std::string& node) {
        std::vector<json> out;
        for (const auto& e : events(on))
            if (e["type"] == "peer" && e["subject"] == node && e["fields"].contains("mismatch")) out.push_back(e);
        return out;
    }

    json call(int node, const std::string& command, json arguments = json::object()) {
        control::ClientError error;
        auto answer = control::call(had[node - 1]->socket_path(), {command, std::move(arguments)}, 3000ms, error);
        EXPECT_EQ(error.kind, control::ClientError::none) << error.text;
        return answer;
    }
    json peer(int on, const std::string& node) {
        const json answer = call(on, "peers");
        for (const auto& p : answer["arguments"]["peers"])
            if (p["node"] == node) return p;
        return nullptr;
    }
    bool all_up(std::chrono::milliseconds deadline) {
        return lab::wait_until(
            [&] {
                for (int on = 1; on <= kNodes; ++on)
                    for (int n = 1; n <= kNodes; ++n)
                        if (n != on && peer(on, "node" + std::to_string(n))["state"] != "up") return false;
                return true;
            },
            deadline, 50ms);
    }
    std::vector<json> events(int node, std::uint64_t since = 0) {
        const json answer = call(node, "events", {{"since", since}, {"limit", 10000}});
        std::vector<json> out;
        for (const auto& e : answer["arguments"]["events"]) out.push_back(e);
        return out;
    }
    // When the grace pipeline for `address` on `node` got ganesha's answer
    // to grace() and then confirmed it with get_grace().
    std::optional<long long> step_done(int node, const std::string& step_prefix, const std::string& target) {
        const auto at = steps_done(node, step_prefix, target);
        return at.empty() ? std::nullopt : std::optional<long long>(at.front());
    }
    // When each such step succeeded, oldest first.
    std::vector<long long> steps_done(int node, const std::string& step_prefix, const std::string& target) {
        std::vector<long long> at;
        for (const auto& e : events(node))
            if (e["type"] == "action" && e["fields"].value("target", "") == target &&
                e["fields"].value("step", "").rfind(step_prefix, 0) == 0 && e["fields"].value("state", "") == "succeeded")
                at.push_back(e["monotonic_ns"].get<long long>());
        return at;
    }
    // Pipelines for `target` that succeeded on `node`.
    std::size_t pipelines_succeeded(int node, const std::string& target) {
        std::size_t n = 0;
        const json actions = call(node, "actions");  // kept alive: the loop reads into it
        for (const auto& r : actions["arguments"]["pipelines"]) n += r["target"] == target && r["state"] == "succeeded";
        return n;
    }
    bool in_grace(int node) {
        auto r = lab::run_capture({"dbus-send", "--system", "--print-reply", "--dest=org.ganesha.nfsd",
                                   "/org/ganesha/nfsd/admin", "org.ganesha.nfsd.admin.get_grace"},
                                  5000ms, {{"DBUS_SYSTEM_BUS_ADDRESS", bus[node - 1]->address()}});
        const auto first = r.out.find("boolean ");  // (in_grace, success, message): the first one
        return r.exit_code == 0 && first != std::string::npos && r.out.compare(first, 12, "boolean true") == 0;
    }
    // Every datagram the daemons sent to node4 (us) goes to `take`, until
    // it says it had the one awaited or the deadline passes.
    bool receive_until(const std::function<bool(std::span<const std::uint8_t>)>& take,
                       std::chrono::milliseconds deadline) {
        bool done = false;
        lab::wait_until(
            [&] {
                std::array<std::uint8_t, 2048> buffer;
                udp::endpoint from;
                std::error_code ec;
                for (;;) {
                    const auto n = capture.receive_from(asio::buffer(buffer), from, 0, ec);
                    if (ec) return done;
                    done = take(std::span<const std::uint8_t>(buffer.data(), n)) || done;
                }
            },
            deadline, 20ms);
        return done;
    }
    // A genuine datagram a daemon sent to node4 (us).
    std::optional<std::pair<std::vector<std::uint8_t>, Heartbeat>> captured_from(const std::string& node,
                                                                               std::chrono::milliseconds deadline) {
        std::optional<std::pair<std::vector<std::uint8_t>, Heartbeat>> found;
        receive_until(
            [&](std::span<const std::uint8_t> bytes) {
                DropReason why{};
                auto hb = HeartbeatCodec::parse(bytes, why);
                if (!hb || hb->node != node) return false;
                found.emplace(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), *hb);
                return true;
            },
            deadline);
        return found;
    }

    lab::TempDir dir;
    std::string key;
    std::uint16_t hb_port = 0;
    asio::io_context io;
    udp::socket capture{io};
    std::array<std::optional<lab::DbusDaemon>, kNodes> bus;
    std::array<std::optional<lab::Ganesha>, kNodes> ganesha;
    std::array<std::optional<lab::Had>, kNodes> had;
    std::array<std::string, kNodes> scope_conf;
};

// Issue 11: only the node that takes node1's VIP (node2: the next in
// HA_CLUSTER_NODES) enters grace for node1's clients; node3 keeps granting
// new opens and locks.
TEST_F(PeersTest, AKilledNfsdPutsOnlyItsVipsTakerIntoGraceWithin100ms) {
    ASSERT_TRUE(all_up(10000ms)) << call(2, "peers").dump(2) << lab::tail_file(had[1]->log_path());
    // The start-up grace of each ganesha is over before the fault.
    ASSERT_TRUE(lab::wait_until([&] { return !in_grace(2) && !in_grace(3); }, 15000ms, 200ms));

    const long long killed = monotonic_ns();
    ASSERT_TRUE(ganesha[0]->kill(SIGKILL));
    const std::string target = "grace " + vip(1);
    ASSERT_TRUE(lab::wait_until([&] { return step_done(2, "confirm", target).has_value(); }, 5000ms, 20ms))
        << call(2, "actions").dump(2);
    EXPECT_TRUE(in_grace(2));
    const long long grace_called = *step_done(2, "grace take-ip", target) - killed;
    const long long confirmed = *step_done(2, "confirm", target) - killed;
    std::printf("node2: kill -> grace(5:%s) answered %.1f ms, get_grace confirmed %.1f ms\n", vip(1).c_str(),
                static_cast<double>(grace_called) / 1e6, static_cast<double>(confirmed) / 1e6);
    EXPECT_LT(confirmed, 100'000'000LL);
    // Why it happened: the peer's own report, not Pacemaker, not a timeout.
    bool reported = false;
    for (const auto& e : events(2))
        reported = reported || (e["type"] == "peer" && e["subject"] == "node1" && e["fields"].value("to", "") == "down" &&
                                e["message"].get<std::string>().find("reports its nfsd down") != std::string::npos);
    EXPECT_TRUE(reported);
    // node2 may now start node1's VIP: grace-for-node1=1 on node2 only.
    EXPECT_TRUE(lab::wait_until([&] { return lab::read_file(dir.file("n2/attrs/grace-for-node1")) == "1"; }, 3000ms,
                                20ms));
    EXPECT_FALSE(fs::exists(dir.file("n3/attrs/grace-for-node1")));

    // node3 saw node1 go down too, and says who takes its VIP instead of entering grace.
    ASSERT_TRUE(lab::wait_until(
        [&] {
            for (const auto& e : events(3))
                if (e["type"] == "peer" && e["subject"] == "node1" &&
                    e["message"].get<std::string>().find("node2 takes its VIP(s): no grace here") != std::string::npos)
                    return true;
            return false;
        },
        3000ms, 20ms))
        << call(3, "events").dump(2);
    EXPECT_FALSE(step_done(3, "grace take-ip", target).has_value()) << call(3, "actions").dump(2);
    EXPECT_FALSE(in_grace(3));

    // node1's failover waited for its taker's confirmation only, not for HA_GRACE_DELAY (10 s).
    std::optional<long long> waited;
    std::string detail;
    ASSERT_TRUE(lab::wait_until(
        [&] {
            for (const auto& e : events(1))
                if (e["type"] == "action" && e["fields"].value("step", "") == "wait for the takers' grace" &&
                    e["fields"].value("state", "") == "succeeded") {
                    waited = e["monotonic_ns"].get<long long>() - killed;
                    detail = e["message"];
                }
            return waited.has_value();
        },
        5000ms, 20ms))
        << call(1, "actions").dump(2);
    std::printf("node1: kill -> its taker's grace confirmed to the failing node %.1f ms (%s)\n",
                static_cast<double>(*waited) / 1e6, detail.c_str());
    EXPECT_NE(detail.find("grace confirmed by node2"), std::string::npos) << detail;
    EXPECT_EQ(detail.find("node3"), std::string::npos) << detail;
    EXPECT_LT(*waited, 2'000'000'000LL);

    // What the survivors say about it.
    const json p = peer(2, "node1");
    EXPECT_EQ(p["state"], "down");
    EXPECT_EQ(p["nfsd"], "down");
    EXPECT_EQ(call(2, "peers")["arguments"]["local"]["grace_held"], json::array({"node1"}));
    EXPECT_EQ(call(3, "peers")["arguments"]["local"]["grace_held"], json::array());
    EXPECT_EQ(peer(1, "node2")["grace_held"], json::array({"node1"}));

    // Pacemaker's notify comes later: node2 answers it without a second
    // grace call, node3 without any.
    const auto pipelines_before = call(2, "actions")["arguments"]["pipelines"].size();
    auto r = lab::run_cli(kBin, had[1]->socket_path(), {"grace", "node=node1"}, 10000ms);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("already in grace for " + vip(1)), std::string::npos) << r.out;
    EXPECT_EQ(call(2, "actions")["arguments"]["pipelines"].size(), pipelines_before);
    r = lab::run_cli(kBin, had[2]->socket_path(), {"grace", "node=node1"}, 10000ms);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("node2 takes node1's VIP(s), not this node"), std::string::npos) << r.out;
    EXPECT_FALSE(in_grace(3));

    // The node comes back: node2 sees it up, stops holding grace for it and
    // withdraws its readiness for node1's VIP (which never came here).
    ganesha[0]->wait_exited(5000ms);
    ganesha[0]->start();
    ASSERT_TRUE(lab::wait_until([&] { return peer(2, "node1")["state"] == "up"; }, 10000ms, 50ms));
    EXPECT_TRUE(lab::wait_until(
        [&] { return call(2, "peers")["arguments"]["local"]["grace_held"].empty(); }, 2000ms, 20ms));
    EXPECT_TRUE(lab::wait_until([&] { return !fs::exists(dir.file("n2/attrs/grace-for-node1")); }, 3000ms, 20ms));
}

// The taker fails before the hand-over: the next node takes over, for the
// first node's VIP as for the taker's own.
TEST_F(PeersTest, WhenTheTakerFailsTooTheNextNodeTakesGraceForBoth) {
    ASSERT_TRUE(all_up(10000ms));
    ASSERT_TRUE(lab::wait_until([&] { return !in_grace(2) && !in_grace(3); }, 15000ms, 200ms));
    ASSERT_TRUE(ganesha[0]->kill(SIGKILL));
    ASSERT_TRUE(lab::wait_until([&] { return step_done(2, "confirm", "grace " + vip(1)).has_value(); }, 5000ms, 20ms));
    EXPECT_FALSE(step_done(3, "confirm", "grace " + vip(1)).has_value());
    ASSERT_TRUE(lab::wait_until([&] { return lab::read_file(dir.file("n2/attrs/grace-for-node1")) == "1"; }, 3000ms,
                                20ms));

    ASSERT_TRUE(ganesha[1]->kill(SIGKILL));
    // node3 is now the first able node after node1 and after node2.
    EXPECT_TRUE(lab::wait_until(
        [&] {
            return step_done(3, "confirm", "grace " + vip(1)).has_value() &&
                   step_done(3, "confirm", "grace " + vip(2)).has_value();
        },
        5000ms, 20ms))
        << call(3, "events").dump(2);
    EXPECT_TRUE(in_grace(3));
    EXPECT_TRUE(lab::wait_until(
        [&] {
            return lab::read_file(dir.file("n3/attrs/grace-for-node1")) == "1" &&
                   lab::read_file(dir.file("n3/attrs/grace-for-node2")) == "1";
        },
        3000ms, 20ms));
    // node2's own failover waits for node3 (its only taker) and gets it.
    EXPECT_TRUE(lab::wait_until(
        [&] {
            for (const auto& e : events(2))
                if (e["type"] == "action" && e["fields"].value("step", "") == "wait for the takers' grace" &&
                    e["fields"].value("state", "") == "succeeded" &&
                    e["message"].get<std::string>().find("grace confirmed by node3") != std::string::npos)
                    return true;
            return false;
        },
        5000ms, 20ms))
        << call(2, "actions").dump(2);
}

// A dead or hung ganesha is in grace for nobody: a taker whose nfsd fails
// withdraws its readiness for the VIPs it is recorded to hold but that are
// not on its interfaces, at once. Kept (the holder record made it stay
// until the next reconcile), it let Pacemaker start a trigger there whose
// take-vip failed, or bring a VIP back to a restarted ganesha that was in
// grace for none of its clients (bench, 2026-12-03).
TEST_F(PeersTest, ATakerWhoseNfsdFailsWithdrawsItsReadinessAtOnce) {
    ASSERT_TRUE(all_up(10000ms));
    ASSERT_TRUE(lab::wait_until([&] { return !in_grace(2) && !in_grace(3); }, 15000ms, 200ms));
    ASSERT_TRUE(ganesha[0]->kill(SIGKILL));
    ASSERT_TRUE(lab::wait_until([&] { return lab::read_file(dir.file("n2/attrs/grace-for-node1")) == "1"; }, 3000ms,
                                20ms));
    // What the VIP's trigger does when Pacemaker starts it on node2.
    auto r = lab::run_cli(kBin, had[1]->socket_path(), {"take-vip", "address=" + vip(1)}, 10000ms);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

    ASSERT_TRUE(ganesha[1]->kill(SIGKILL));
    EXPECT_TRUE(lab::wait_until([&] { return !fs::exists(dir.file("n2/attrs/grace-for-node1")); }, 2000ms, 20ms))
        << call(2, "events").dump(2);
}

TEST_F(PeersTest, ForgedAndReplayedDatagramsChangeNothingAndAreCounted) {
    ASSERT_TRUE(all_up(10000ms)) << call(2, "peers").dump(2);
    auto genuine = captured_from("node1", 3000ms);
    ASSERT_TRUE(genuine);
    // node2 got the same datagram (one sequence number per round).
    ASSERT_TRUE(lab::wait_until([&] { return peer(2, "node1")["sequence"] >= genuine->second.sequence; }, 2000ms));
    // node4 (this test) never sends: its "not heard from since start" edge,
    // fall x interval after node2 started, is not part of what is checked.
    ASSERT_TRUE(lab::wait_until([&] { return peer(2, "node4")["state"] == "down"; }, 5000ms, 20ms));
    const std::uint64_t events_before = call(2, "status")["arguments"]["last_event"];
    const auto pipelines_before = call(2, "actions")["arguments"]["pipelines"].size();

    udp::endpoint node2(asio::ip::make_address(address(2)), hb_port);
    auto forged = genuine->first;
    forged[5] = static_cast<std::uint8_t>(NfsdState::down);  // "node1's nfsd is down", without the key
    capture.send_to(asio::buffer(forged), node2);  // from node4's own socket: charged to node4, not node1
    capture.send_to(asio::buffer(genuine->first), node2);  // genuine, relayed from node4's address
    // The genuine one again from node1's address (another port: only the
    // address is checked): an authentic replay.
    udp::socket on_node1(io);
    on_node1.open(udp::v4());
    on_node1.bind(udp::endpoint(asio::ip::make_address(address(1)), 0));
    on_node1.send_to(asio::buffer(genuine->first), node2);
    ASSERT_TRUE(lab::wait_until(
        [&] {
            const json drops = call(2, "peers")["arguments"]["drops"];
            return drops["bad-mac"] == 1 && drops["replay"] == 1 && drops["wrong-source"] == 1;
        },
        2000ms, 20ms))
        << call(2, "peers").dump(2);

    // A few genuine heartbeats later: still up, nothing happened.
    const auto received = peer(2, "node1")["received"].get<std::uint64_t>();
    ASSERT_TRUE(lab::wait_until([&] { return peer(2, "node1")["received"].get<std::uint64_t>() >= received + 2; },
                                3000ms, 20ms));
    const json p = peer(2, "node1");
    EXPECT_EQ(p["state"], "up");
    EXPECT_EQ(p["nfsd"], "healthy");
    EXPECT_EQ(p["drops"]["bad-mac"], 0) << "a forgery naming node1 is not node1's";
    EXPECT_EQ(p["drops"]["replay"], 1);
    EXPECT_EQ(p["drops"]["wrong-source"], 1);
    const std::string from_node4 = address(4) + ":" + std::to_string(hb_port);
    EXPECT_EQ(p["wrong_source"], from_node4);
    EXPECT_EQ(peer(2, "node4")["drops"]["bad-mac"], 1) << "sent from node4's own heartbeat socket";
    const json all = call(2, "peers")["arguments"];
    EXPECT_EQ(all["last_bad_mac"]["source"], from_node4) << all.dump(2);
    for (const auto& e : events(2, events_before)) EXPECT_NE(e["type"], "peer") << e.dump();
    EXPECT_EQ(call(2, "actions")["arguments"]["pipelines"].size(), pipelines_before);
    EXPECT_FALSE(in_grace(2));
    const json drops = all["drops"];
    for (const auto& [reason, count] : drops.items()) {
        if (reason != "bad-mac" && reason != "replay" && reason != "wrong-source") {
            EXPECT_EQ(count, 0) << reason;
        }
    }

    auto table = lab::run_cli(kBin, had[1]->socket_path(), {"peers"});
    EXPECT_EQ(table.exit_code, 0) << table.err;
    EXPECT_NE(table.out.find("bad-mac=1 replay=1 wrong-source=1"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("replay=1 wrong-source=1"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("bad MAC     last from " + from_node4), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("last wrong source " + from_node4), std::string::npos) << table.out;
}

// Issue 13: a peer that flaps (its daemon SIGSTOPped: silent, then back with
// the same incarnation, its nfsd healthy throughout) does not restart the
// grace its first silence took, while ganesha is still in it; an event and a
// metric say so. A peer whose daemon restarted (a new incarnation) and then
// goes silent again within the same 90 s is a real failure and gets grace.
TEST_F(PeersTest, AFlappingPeerDoesNotRestartGraceButARestartedOneDoes) {
    ASSERT_TRUE(all_up(10000ms));
    const std::string target = "grace " + vip(3);
    // node3's VIP's taker is node1 (its order: node3, node4 — this test,
    // never able —, node1): node1 is the one that takes grace.
    auto graces = [&] { return pipelines_succeeded(1, target); };  // node3's VIP's graces on node1
    auto not_restarted = [&] {
        std::vector<json> out;
        for (const auto& e : events(1))
            if (e["type"] == "peer" && e["subject"] == "node3" && e["fields"].value("suppressed", "") == "flapping")
                out.push_back(e);
        return out;
    };
    auto downs = [&] {
        std::size_t n = 0;
        for (const auto& e : events(1)) n += e["type"] == "peer" && e["subject"] == "node3" && e["fields"].value("to", "") == "down";
        return n;
    };
    auto up_again = [&] { return lab::wait_until([&] { return peer(1, "node3")["state"] == "up"; }, 5000ms, 50ms); };
    struct Resume {  // whatever fails below, the daemon can be stopped at teardown
        lab::Had& had;
        ~Resume() { had.signal(SIGCONT); }
    } resume{*had[2]};

    // 1. Silent: grace for its VIP, confirmed.
    const std::string first_life = peer(1, "node3")["incarnation"];
    ASSERT_TRUE(had[2]->signal(SIGSTOP));
    ASSERT_TRUE(lab::wait_until([&] { return graces() == 1; }, 5000ms, 50ms)) << call(1, "actions").dump(2);
    // 2. Back, the same incarnation; silent again: a flap, grace not restarted.
    ASSERT_TRUE(had[2]->signal(SIGCONT));
    ASSERT_TRUE(up_again());
    EXPECT_EQ(peer(1, "node3")["incarnation"], first_life);
    ASSERT_TRUE(had[2]->signal(SIGSTOP));
    ASSERT_TRUE(lab::wait_until([&] { return downs() == 2; }, 5000ms, 50ms)) << call(1, "events").dump(2);
    ASSERT_TRUE(lab::wait_until([&] { return !not_restarted().empty(); }, 2000ms, 50ms)) << call(1, "events").dump(2);
    const json e = not_restarted().front();
    const std::string message = e["message"];
    EXPECT_EQ(message.rfind("grace not restarted: peer node3 flapped, same incarnation, last grace ", 0), 0u) << message;
    EXPECT_EQ(e["fields"]["address"], vip(3));
    EXPECT_EQ(e["fields"]["incarnation"], first_life);
    EXPECT_TRUE(in_grace(1));  // the first grace still runs
    EXPECT_EQ(graces(), 1u) << call(1, "actions").dump(2);
    const json metrics = call(1, "metrics");  // kept alive: the loop reads into it
    const std::string text = metrics["arguments"]["text"];
    EXPECT_NE(text.find("ganesha_ha_peer_grace_not_restarted_total{peer=\"node3\"} 1"), std::string::npos) << text;

    // 3. Its daemon restarts (a new incarnation), then goes silent again,
    // well within 90 s of the first grace: a real failure, grace again.
    ASSERT_TRUE(had[2]->signal(SIGCONT));
    had[2]->stop();
    had[2]->start();
    ASSERT_TRUE(up_again());
    EXPECT_NE(peer(1, "node3")["incarnation"], first_life);
    ASSERT_TRUE(had[2]->signal(SIGSTOP));
    ASSERT_TRUE(lab::wait_until([&] { return graces() == 2; }, 6000ms, 50ms)) << call(1, "events").dump(2);
    EXPECT_EQ(not_restarted().size(), 1u);
}

// A take-ip grace counts as held for ganesha's Grace_Period (from
// HA_GANESHA_CONF), not a fixed 90 s: after it, the VIP's readiness is no
// longer claimed on a grace ganesha has ended, and a failed peer's VIP that
// has still not come here (its holder is still the failed node) gets a new
// grace.
TEST_F(PeersTest, AGraceIsHeldForGaneshasGracePeriodThenTakenAgainForAVipStillAway) {
    lab::write_file(scope_conf[1], "NFS_CORE_PARAM { Clustered = false; }\nNFSV4 { Server_Scope = \"peers\"; "
                                   "Grace_Period = 3; }\n");
    ASSERT_EQ(call(2, "reload")["result"], 0);
    ASSERT_TRUE(all_up(10000ms));
    const std::string target = "grace " + vip(1);
    auto graces = [&] { return pipelines_succeeded(2, target); };  // node1's VIP's graces on node2
    auto held = [&] { return call(2, "peers")["arguments"]["local"]["grace_held"]; };

    ASSERT_TRUE(ganesha[0]->kill(SIGKILL));
    ASSERT_TRUE(lab::wait_until([&] { return graces() == 1; }, 5000ms, 20ms)) << call(2, "actions").dump(2);
    EXPECT_TRUE(lab::wait_until([&] { return held() == json::array({"node1"}); }, 2000ms, 20ms));
    // Held for Grace_Period less a second (2 s), counted from the pipeline's
    // end; then node1, which still holds its VIP (nothing moved it here),
    // gets a new grace for its clients at once.
    ASSERT_TRUE(lab::wait_until([&] { return graces() == 2; }, 10000ms, 20ms)) << call(2, "events").dump(2);
    const auto at = steps_done(2, "confirm", target);
    ASSERT_EQ(at.size(), 2u);
    const long long apart = at[1] - at[0];
    std::printf("node2: grace for %s taken again %.2f s after the first (Grace_Period = 3)\n", vip(1).c_str(),
                static_cast<double>(apart) / 1e9);
    EXPECT_GE(apart, 2'000'000'000LL);
    EXPECT_LT(apart, 10'000'000'000LL);  // not held for the 90 s default
    EXPECT_EQ(held(), json::array({"node1"}));
    EXPECT_TRUE(in_grace(2));
    EXPECT_FALSE(step_done(3, "grace take-ip", target).has_value());  // still only the taker
}

// A daemon restarted on purpose says goodbye: no grace for its VIP; its new
// incarnation is accepted.
TEST_F(PeersTest, ARestartedDaemonIsNotAFailureAndItsNewIncarnationIsAccepted) {
    ASSERT_TRUE(all_up(10000ms));
    const std::string before = peer(1, "node3")["incarnation"];
    had[2]->stop();
    ASSERT_TRUE(lab::wait_until([&] { return peer(1, "node3")["state"] == "unknown"; }, 2000ms, 20ms))
        << peer(1, "node3").dump(2);
    // Silent for longer than fall x interval, by node2's own clock.
    ASSERT_TRUE(lab::wait_until(
        [&] {
            const json p = peer(1, "node3");
            return p["last_heard_ago_ms"].is_number() && p["last_heard_ago_ms"].get<double>() > 2500;
        },
        5000ms, 50ms))
        << peer(1, "node3").dump(2);
    const json actions = call(1, "actions");  // kept alive: the loop reads into it
    ASSERT_TRUE(actions["arguments"]["pipelines"].is_array()) << actions.dump(2);
    for (const auto& r : actions["arguments"]["pipelines"]) EXPECT_NE(r["target"], "grace " + vip(3));
    had[2]->start();
    ASSERT_TRUE(lab::wait_until([&] { return peer(1, "node3")["state"] == "up"; }, 5000ms, 50ms));
    EXPECT_NE(peer(1, "node3")["incarnation"], before);
    EXPECT_EQ(peer(1, "node3")["restarts"], 1);
}

// A silent peer (its daemon killed, no goodbye) is down after fall x interval.
// `ganesha-hactl status|events|peers --node NAME` (issue 14): node1's
// daemon asks NAME's over the heartbeat socket and relays its answer; only
// read-only commands are answered, a replayed query is not, and a node that
// does not answer fails within the deadline with a clear error.
TEST_F(PeersTest, StatusEventsAndPeersOfAnotherNodeComeOverThePeerChannel) {
    ASSERT_TRUE(all_up(10000ms)) << call(1, "peers").dump(2);
    auto hactl = [&](int on, const std::vector<std::string>& args) {
        std::vector<std::string> argv = {kBin + "/ctl/ganesha-hactl", "--socket", had[on - 1]->socket_path()};
        argv.insert(argv.end(), args.begin(), args.end());
        return lab::run_capture(argv, 10000ms);
    };
    auto r = hactl(1, {"status", "--node", "node2", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(json::parse(r.out)["arguments"]["node"], "node2");
    r = hactl(1, {"status", "--node", "node3"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("node3"), std::string::npos) << r.out;
    r = hactl(3, {"peers", "--node=node1", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::set<std::string> seen;
    const json node1_peers = json::parse(r.out);
    for (const auto& p : node1_peers["arguments"]["peers"]) seen.insert(p["node"].get<std::string>());
    EXPECT_EQ(seen, (std::set<std::string>{"node2", "node3", "node4"}));  // node1's view
    r = hactl(1, {"events", "--node", "node2", "--limit", "3", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["arguments"]["events"].size(), 3u);
    r = hactl(1, {"status", "--node", "node1", "--json"});  // itself: answered here
    EXPECT_EQ(json::parse(r.out)["arguments"]["node"], "node1");

    r = hactl(1, {"status", "--node", "node9"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("node 'node9' is not in HA_CLUSTER_NODES"), std::string::npos) << r.err;
    // node4 is the test, which does not answer queries.
    const auto asked = std::chrono::steady_clock::now();
    r = hactl(1, {"status", "--node", "node4"});
    const auto waited = std::chrono::steady_clock::now() - asked;
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("node node4 did not answer within 3000 ms"), std::string::npos) << r.err;
    EXPECT_LT(waited, 4500ms);

    // As node4 (it has the key): a query for a command that changes
    // something is refused, and nothing changes; a replay is not answered.
    PeerQueryCodec codec("peers", HeartbeatKey::load(key));
    const std::uint64_t incarnation = make_incarnation(std::chrono::system_clock::now(), 1);
    const udp::endpoint node2(asio::ip::make_address(address(2)), hb_port);
    auto answer_to = [&](std::uint32_t id) {
        std::optional<std::string> text;
        QueryAnswerAssembler assembler;
        receive_until(
            [&](std::span<const std::uint8_t> bytes) {
                DropReason why{};
                auto q = PeerQueryCodec::parse(bytes, why);
                if (q && q->id == id && q->sender == "node2")
                    if (auto t = assembler.add(*q)) text = *t;
                return text.has_value();
            },
            2000ms);
        return text;
    };
    const auto drain = codec.encode_request("node4", "node2", incarnation, 1, 77, R"({"command":"drain"})");
    capture.send_to(asio::buffer(drain), node2);
    const auto refused = answer_to(77);
    ASSERT_TRUE(refused.has_value());
    EXPECT_NE(refused->find("not a read-only command"), std::string::npos) << *refused;
    EXPECT_EQ(call(2, "status")["arguments"].value("drained", false), false);
    const auto status = codec.encode_request("node4", "node2", incarnation, 2, 78, R"({"command":"status"})");
    capture.send_to(asio::buffer(status), node2);
    ASSERT_TRUE(answer_to(78).has_value());
    capture.send_to(asio::buffer(status), node2);  // the same datagram again
    EXPECT_FALSE(answer_to(78).has_value());
    EXPECT_GE(peer(2, "node4")["drops"]["replay"].get<int>(), 1) << peer(2, "node4").dump(2);
}

TEST_F(PeersTest, ASilentPeerIsDownAfterFallTimesInterval) {
    ASSERT_TRUE(all_up(10000ms));
    const long long killed = monotonic_ns();
    ASSERT_TRUE(had[2]->signal(SIGKILL));
    std::optional<long long> down_at;
    ASSERT_TRUE(lab::wait_until(
        [&] {
            for (const auto& e : events(2))
                if (e["type"] == "peer" && e["subject"] == "node3" && e["fields"].value("to", "") == "down")
                    down_at = e["monotonic_ns"].get<long long>() - killed;
            return down_at.has_value();
        },
        5000ms, 50ms));
    std::printf("node3's daemon SIGKILLed -> node2 sees it down after %.0f ms\n", static_cast<double>(*down_at) / 1e6);
    EXPECT_GE(*down_at, 1500'000'000LL);  // the last datagram left at most one interval before the kill
    EXPECT_LE(*down_at, 2300'000'000LL);
    // and its VIP's taker, node1 (node4, before it in node3's order, is this
    // test: never able), takes grace for it (the daemon is gone; so may the
    // node be); node2 does not.
    EXPECT_TRUE(lab::wait_until([&] { return step_done(1, "confirm", "grace " + vip(3)).has_value(); }, 3000ms));
    EXPECT_FALSE(step_done(2, "confirm", "grace " + vip(3)).has_value());
}

// Every heartbeat carries a fingerprint of the sender's NFSv4 Server_Scope;
// a peer whose scope differs from ours is shown, logged once per change,
// and counted in ganesha_ha_peer_server_scope_mismatch.
TEST_F(PeersTest, AServerScopeMismatchIsReportedOnceAndClearsAfterAReload) {
    ASSERT_TRUE(all_up(10000ms));
    const auto hb = captured_from("node1", 3000ms);
    ASSERT_TRUE(hb);
    EXPECT_EQ(hb->second.scope_fingerprint, ganesha_conf::scope_fingerprint("peers"));
    const auto hb3 = captured_from("node3", 3000ms);
    ASSERT_TRUE(hb3);
    EXPECT_EQ(hb3->second.scope_fingerprint, ganesha_conf::scope_fingerprint("other"));

    const json peers = call(1, "peers")["arguments"];
    EXPECT_EQ(peers["server_scope"], "peers");
    EXPECT_EQ(peer(1, "node2")["server_scope_mismatch"], false);
    EXPECT_EQ(peer(1, "node3")["server_scope_mismatch"], true);
    EXPECT_TRUE(peer(1, "node4")["server_scope_fingerprint"].is_null());  // never heard
    EXPECT_EQ(peer(3, "node1")["server_scope_mismatch"], true);

    // Once per change, however many heartbeats repeat it.
    ASSERT_TRUE(lab::wait_until([&] { return !scope_events(1, "node3").empty(); }, 3000ms));
    const auto seq = peer(1, "node3")["sequence"].get<std::uint64_t>();
    ASSERT_TRUE(lab::wait_until([&] { return peer(1, "node3")["sequence"].get<std::uint64_t>() >= seq + 4; }, 5000ms));
    auto seen = scope_events(1, "node3");
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_NE(seen[0]["message"].get<std::string>().find("server scope differs"), std::string::npos) << seen[0].dump();
    EXPECT_TRUE(scope_events(1, "node2").empty());

    const std::string text = call(1, "metrics")["arguments"]["text"];
    EXPECT_NE(text.find("ganesha_ha_peer_server_scope_mismatch{peer=\"node3\"} 1"), std::string::npos) << text;
    EXPECT_NE(text.find("ganesha_ha_peer_server_scope_mismatch{peer=\"node2\"} 0"), std::string::npos) << text;
    EXPECT_NE(text.find("ganesha_ha_peer_server_scope_mismatch{peer=\"node4\"} 0"), std::string::npos) << text;

    const auto out = lab::run_cli(kBin, had[0]->socket_path(), {"peers"}, 5000ms);
    EXPECT_NE(out.out.find("scope       \"peers\""), std::string::npos) << out.out;
    EXPECT_NE(out.out.find("DIFFERS"), std::string::npos) << out.out;

    // node3's ganesha.conf fixed and re-read: the peers see the new fingerprint at once.
    lab::write_file(scope_conf[2], scope_text("peers"));
    ASSERT_EQ(call(3, "reload")["result"], 0);
    ASSERT_TRUE(lab::wait_until([&] { return peer(1, "node3")["server_scope_mismatch"] == false; }, 3000ms));
    seen = scope_events(1, "node3");
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_NE(seen[1]["message"].get<std::string>().find("matches again"), std::string::npos) << seen[1].dump();
    EXPECT_NE(call(1, "metrics")["arguments"]["text"].get<std::string>().find(
                  "ganesha_ha_peer_server_scope_mismatch{peer=\"node3\"} 0"),
              std::string::npos);

    // An unreadable ganesha.conf is a warning event, not a refusal: the scope is unknown, a mismatch for all.
    fs::remove(scope_conf[1]);
    ASSERT_EQ(call(2, "reload")["result"], 0);
    ASSERT_TRUE(lab::wait_until([&] { return peer(1, "node2")["server_scope_mismatch"] == true; }, 3000ms));
    EXPECT_TRUE(call(2, "peers")["arguments"]["server_scope"].is_null());
    bool warned = false;
    for (const auto& e : events(2))
        warned |= e["subject"] == "server-scope" && e["message"].get<std::string>().rfind("unknown: ", 0) == 0;
    EXPECT_TRUE(warned);
    EXPECT_EQ(peer(2, "node1")["state"], "up");  // heartbeats go on
}

TEST(PeersKeyFile, AKeyOthersCanReadRefusesStartUp) {
    lab::TempDir dir;
    const std::string key = dir.file("ha.key");
    ASSERT_EQ(lab::run_capture({kBin + "/ctl/ganesha-hactl", "keygen", key}, 5000ms).exit_code, 0);
    auto again = lab::run_capture({kBin + "/ctl/ganesha-hactl", "keygen", key}, 5000ms);
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
    ::chmod(key.c_str(), 0644);
    const std::string config = dir.file("ganesha-ha.conf");
    lab::write_file(config, std::string(lab::kHostNetworkClients) + "HA_NAME=peers\nHA_CLUSTER_NODES=\"node1,node2\"\nVIP_node1=127.0.0.11\n"
                            "VIP_node2=127.0.0.12\nHA_PEER_ADDR_node1=127.0.0.1\nHA_PEER_ADDR_node2=127.0.0.2\n"
                            "HA_HEARTBEAT_KEY=" + key + "\nHA_METRICS_LISTEN=off\n");
    const std::string socket = dir.file("hactl.sock");
    lab::Process had;
    had.spawn({kBin + "/service/ganesha-had", "--config", config, "--node", "node1", "--socket", socket}, {},
              dir.file("had.log"));
    EXPECT_EQ(had.wait_exit(5000ms), 1);
    const std::string log = lab::read_file(dir.file("had.log"));
    EXPECT_NE(log.find("HA_HEARTBEAT_KEY " + key + ": mode 0644"), std::string::npos) << log;
    EXPECT_NE(log.find("0600 or stricter"), std::string::npos) << log;
    EXPECT_FALSE(fs::exists(socket)) << "refused before binding the control socket";

    auto check = lab::run_capture({kBin + "/service/ganesha-had", "--config", config, "--node", "node1",
                                   "--check-config"},
                                  5000ms);
    EXPECT_EQ(check.exit_code, 1);
    EXPECT_NE(check.err.find("mode 0644"), std::string::npos) << check.err;
    ::chmod(key.c_str(), 0600);
    check = lab::run_capture({kBin + "/service/ganesha-had", "--config", config, "--node", "node1", "--check-config"},
                             5000ms);
    EXPECT_EQ(check.exit_code, 0) << check.err;
}

}  // namespace
}  // namespace gha
