// Client state across VIP moves, as a real Linux NFSv4.1 client sees it.
// lab/ganesha-lab brings up 3 nodes that export one shared directory
// (FSAL VFS) with their NFS state on the shared volume; a User-Mode Linux
// guest (lab/kernel-client) mounts node1's VIP, takes a lock on a file and
// writes + fsyncs it every 10 ms. Each scenario fails something, lets the
// VIP move and come back, and asserts what the application saw: no I/O
// error, every record written reads back, its lock still held at the end
// (another lock owner is refused), no lost-lock or reclaim failure in the
// guest's kernel log; and on the way, that the node serving the VIP held the
// client's lock on the backend and that the survivors were in grace before
// the VIP arrived.
//
// Needs root. ctest label "lab" (RUN_SERIAL: the lab owns its namespaces,
// 192.168.77.0/24 inside them and /tmp/ganesha-lab).
#include <signal.h>
#include <sys/stat.h>

#include <cstring>
#include <functional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/ganesha_lab.hpp"
#include "tests/support/kernel_client.hpp"
#include "tests/support/netns_connect.hpp"
#include "tests/lab/lab_under_test.hpp"
#include "tests/support/lab_cluster.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
namespace lab = gha::lab;

namespace {

using lab::cluster;
using lab::vip;

// Each line of `text` holding one of `needles`, prefixed (a failure's context).
void print_lines_with(const std::string& text, const char* prefix, std::initializer_list<const char*> needles) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        for (const char* needle : needles)
            if (line.find(needle) != std::string::npos) {
                std::printf("    %s: %s\n", prefix, line.c_str());
                break;
            }
}

// Deaths of `node`'s ganesha.nfsd by a signal of its own making (SIGSEGV,
// SIGABRT, SIGBUS), from its supervisor's log. Debian 12's ganesha 4.3
// segfaults now and then under the bystander's create-lock-close cycle
// (README, "A failed lab test"): nothing the product does causes or
// prevents it; the product's part (the VIP moves) is what it always does.
int nfsd_crashes(int node) {
    std::istringstream in(lab::read_file(cluster().dir() + "/node" + std::to_string(node) + "/supervisor.log"));
    int crashes = 0;
    for (std::string line; std::getline(in, line);)
        if (line.find("ganesha.nfsd exited:") != std::string::npos)
            for (const char* sig : {" signal 11", " signal 6", " signal 7"})
                if (line.size() >= std::strlen(sig) && line.compare(line.size() - std::strlen(sig), std::string::npos, sig) == 0)
                    ++crashes;
    return crashes;
}

class ClientState : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        cluster().run({"down"});
        ASSERT_EQ(cluster().run({"up", "3"}, 240s), 0) << "the lab did not come up";
    }
    static void TearDownTestSuite() { cluster().run({"down"}); }

    void SetUp() override {
        if (cluster().nodes() != 3) GTEST_SKIP() << "no 3-node lab is up";
        for (int n = 1; n <= 3; ++n) {
            ASSERT_TRUE(cluster().wait_owner(vip(n), n, 60s)) << vip(n) << " is not home";
            since_[n] = cluster().last_event(n);
        }
        // Out of the grace an earlier test left (a fail-back's, a restarted
        // server's): a client mounting now would wait for it.
        for (int n = 1; n <= 3; ++n)
            ASSERT_TRUE(lab::wait_until([&] { return !cluster().in_grace(n); }, 40s, 100ms))
                << "node" << n << " stays in grace";
    }
    // Repairs whatever the scenario broke, even when it failed half-way.
    void TearDown() override {
        if (cluster().nodes() != 3) return;
        for (int n = 1; n <= 3; ++n) {
            if (!lab::process_alive(cluster().supervisor(n))) cluster().run({"revive-node", std::to_string(n)});
            cluster().run({"resume-nfsd", std::to_string(n)});
            if (!lab::process_alive(cluster().pid_of(n, "nfsd"))) cluster().run({"restart-nfsd", std::to_string(n)});
        }
        for (int n = 1; n <= 3; ++n) cluster().wait_owner(vip(n), n, 60s);
    }

    // The VIP arrives on `to`; the monotonic time it was first seen there.
    long long expect_moved(int vip_of, int to, std::chrono::milliseconds bound) {
        const auto up = cluster().wait_owner(vip(vip_of), to, bound);
        EXPECT_TRUE(up) << vip(vip_of) << " did not come up on node" << to << " (owner "
                        << cluster().owner_of(vip(vip_of)) << ")";
        return up.value_or(0);
    }
    // Issue 11: only the VIP's taker enters grace for its clients.
    void expect_no_grace(int vip_of, const std::vector<int>& bystanders) {
        for (int s : bystanders)
            EXPECT_FALSE(cluster().first_event(s, since_[s],
                                               [&](const json& e) { return lab::grace_confirmed_for(e, vip(vip_of)); }))
                << "node" << s << " entered grace for " << vip(vip_of) << " although node2 took it";
    }
    void expect_grace_before(int vip_of, const std::vector<int>& survivors, long long vip_up) {
        for (int s : survivors) {
            const auto g = cluster().first_event(s, since_[s],
                                                 [&](const json& e) { return lab::grace_confirmed_for(e, vip(vip_of)); });
            ASSERT_TRUE(g) << "node" << s << " never confirmed grace for " << vip(vip_of);
            EXPECT_LT(*g, vip_up) << "node" << s << " confirmed grace " << (*g - vip_up) / 1000000
                                  << " ms after the VIP came up";
        }
    }
    // The client writes again after `wall` and its lock is held on the backend.
    void expect_served(lab::KernelClient& client, long long wall, const std::string& when) {
        EXPECT_TRUE(client.wait_writing_after(wall, 40s)) << "the application made no progress " << when;
        if (lab::backend_lock_held(client.data_file())) return;
        // Seen now and then after a fail-back, with no error for the
        // application and the lock held again by the end (README): measure
        // the window in which the client writes under a lock nobody holds
        // on the backend, for whoever looks into it.
        const long long missing = lab::wall_ms();
        const bool back = lab::wait_until([&] { return lab::backend_lock_held(client.data_file()); }, 10s, 50ms);
        ADD_FAILURE() << "nobody holds the client's lock " << when << ": "
                      << (back ? "held again " + std::to_string(lab::wall_ms() - missing) + " ms later"
                               : std::string("still not held 10 s later"));
    }
    // What the application saw from start to stop (its report).
    json expect_kept(lab::KernelClient& client) {
        const json r = client.stop();
        if (!r.is_object()) {
            ADD_FAILURE() << client.why();
            return json::object();
        }
        EXPECT_TRUE(r["errors"].empty()) << "the application got errors: " << r["errors"].dump();
        EXPECT_TRUE(r.value("lock_held", false)) << "another lock owner got the lock: " << r.dump();
        EXPECT_GT(r.value("writes", 0), 0);
        EXPECT_EQ(r.value("records_verified", -1), r.value("writes", 0)) << r.dump();
        EXPECT_EQ(r.value("first_bad_record", 0), -1) << r.dump();
        EXPECT_EQ(client.recovery_failures(), "") << "the guest kernel reported state recovery failures";
        RecordProperty("max_stall_ms", std::to_string(r.value("max_stall_ms", -1)));
        std::printf("    kc: longest write stall %lld ms; stalls over 200 ms (wall ms): %s\n", r.value("max_stall_ms", -1LL),
                    r["stalls"].dump().c_str());
        return r;
    }

    // The application's first gap between writes (over 200 ms, from its
    // report) that ends after `after` and began before `before` (wall ms):
    // the one a fault at `after` caused. {after, after} when there was none.
    struct Gap {
        long long from = 0, to = 0;
        long long ms() const { return to - from; }
    };
    static Gap gap_after(const json& r, long long after, long long before) {
        if (r.contains("stalls"))
            for (const auto& s : r["stalls"])
                if (s.value("to_ms", 0LL) > after && s.value("from_ms", 0LL) < before)
                    return {s.value("from_ms", 0LL), s.value("to_ms", 0LL)};
        return {after, after};
    }

    // kc1 on node1's VIP through `fault` of node1 (VIP1 to node2 within
    // `bound`, after the survivors' grace) and `restore` (VIP1 home again).
    // `served_after_vip`: the client must write again this soon after the
    // VIP came up on node2 (issue 12: dropped, not refused, reconnects and
    // tickle ACKs; without them it waits for its own back-off or timers).
    // Issue 11's bystander: kc3, a client of node3 (which nothing happens
    // to), creates, locks, writes and closes a new file every 100 ms through
    // node3's VIP from before the fault until after the fail-back. node3
    // never enters grace, so it never waits.
    void fail_and_come_back(const std::string& fault, const std::string& restore, std::chrono::milliseconds bound,
                            std::chrono::milliseconds served_after_vip,
                            const std::function<void(long long vip_up)>& also = {},
                            const std::function<void()>& right_after_fault = {}) {
        const int crashes_before = nfsd_crashes(3);
        lab::KernelClient client(cluster(), 1);
        ASSERT_TRUE(client.start(vip(1))) << client.why();
        // Booted after kc1 and stopped before it: a UML guest booting or
        // powered off on the lab bridge has been seen to hold the other one
        // up for seconds (4.3 s, once 27 s, node3's daemon doing nothing
        // meanwhile): the lab's, not what a client of node3 would see.
        lab::KernelClient bystander(cluster(), 3);
        ASSERT_TRUE(bystander.start(vip(3), lab::KernelClient::Mode::new_files)) << bystander.why();
        ASSERT_TRUE(client.wait_known_by_peers(1, vip(1), 10s)) << "node1's peers never listed the client's connection";
        const long long fault_wall = lab::wall_ms();
        ASSERT_EQ(cluster().run({fault, "1"}), 0);
        if (right_after_fault) right_after_fault();
        const long long up = expect_moved(1, 2, bound);
        ASSERT_GT(up, 0);
        // wait_owner polls: the VIP came up at most one poll before this.
        const long long vip_wall = lab::wall_ms();
        if (also) also(up);
        expect_grace_before(1, {2}, up);
        expect_no_grace(1, {3});
        expect_served(client, lab::wall_ms(), "after the VIP moved to node2");

        const long long restore_wall = lab::wall_ms();
        ASSERT_EQ(cluster().run({restore, "1"}), 0);
        ASSERT_GT(expect_moved(1, 1, 60s), 0);
        expect_served(client, lab::wall_ms(), "after the fail-back");
        // The bystander, through the failover and the fail-back: a grace
        // period on node3 would have held it for Grace_Period (20 s here).
        const json b = bystander.stop();
        ASSERT_TRUE(b.is_object()) << bystander.why();
        EXPECT_TRUE(b["errors"].empty()) << "node3's client got errors: " << b["errors"].dump();
        EXPECT_EQ(b.value("records_verified", -1), b.value("writes", 0)) << b.dump();
        EXPECT_LT(b.value("started_ms", 0LL), fault_wall) << "the bystander started after the fault";
        RecordProperty("bystander_max_stall_ms", std::to_string(b.value("max_stall_ms", -1)));
        std::printf("    kc3 (node3's client, new file every 100 ms): %lld files, longest stall %lld ms; stalls: %s\n",
                    b.value("writes", 0LL), b.value("max_stall_ms", -1LL), b["stalls"].dump().c_str());
        const bool node3_crashed = nfsd_crashes(3) > crashes_before;
        if (node3_crashed) {
            // Its client then waits for the crash's failover (VIP3 to node1,
            // node1's grace for it): node3's failure, not node1's.
            std::printf("    kc3: node3's ganesha.nfsd crashed by itself during the test (its supervisor saw a crash "
                        "signal; dmesg names the segfault): the bystander's stall is not asserted\n");
            RecordProperty("bystander_server_crashed", "1");
        } else {
            EXPECT_GT(b.value("writes", 0), 10) << b.dump();
            EXPECT_LE(b.value("max_stall_ms", 0LL), kBystanderStallBound.count())
                << "node3's client waited " << b.value("max_stall_ms", 0LL) << " ms: " << b["stalls"].dump();
        }
        if (!node3_crashed && b.value("max_stall_ms", 0LL) > kBystanderStallBound.count())  // why: what node3's daemon saw and did
            // All of it: once its own healthy ganesha.nfsd was fenced and VIP3 moved.
            for (const auto& e : cluster().events(3, since_[3]))
                std::printf("    node3 %s %s: %s\n", e.value("type", "").c_str(), e.value("subject", "").c_str(),
                            e.value("message", "").c_str());
        if (!node3_crashed && b.value("max_stall_ms", 0LL) > kBystanderStallBound.count()) {
            // Whether node3's ganesha itself was in grace, or the client
            // waited on its own (reconnect back-off, a stalled guest).
            print_lines_with(lab::read_file(cluster().dir() + "/node3/ganesha.log"), "node3 ganesha", {"GRACE", "grace"});
            print_lines_with(bystander.dmesg(), "kc3 kernel", {"nfs", "NFS", "rpc"});
        }
        const json r = expect_kept(client);
        const Gap failover = gap_after(r, fault_wall, vip_wall);
        std::printf("    kc: failover gap %lld ms, writing again %lld ms after VIP1 was seen on node2; fail-back gap %lld ms\n",
                    failover.ms(), failover.to - vip_wall, gap_after(r, restore_wall, lab::wall_ms()).ms());
        // What node2 did for the client when VIP1 arrived (tickle rounds,
        // their count), relative to the VIP's arrival: why a slow one was slow.
        for (const auto& e : cluster().events(2, since_[2]))
            if (e.value("type", "") == "clients")
                std::printf("    node2 %+lld ms: %s\n", (e.value("monotonic_ns", 0LL) - up) / 1000000,
                            e.value("message", "").c_str());
        EXPECT_LE(failover.to - vip_wall, served_after_vip.count())
            << "the client wrote again " << failover.to - vip_wall << " ms after the VIP moved (gap "
            << failover.ms() << " ms)";

    }
    // Issue 11's target is 0.5 s; the bound leaves room for a loaded 2-core
    // machine (a 100 ms cycle through a UML guest), far below any grace period.
    static constexpr std::chrono::milliseconds kBystanderStallBound{2000};

    std::uint64_t since_[4] = {};
};

// Its reconnect is dropped, not refused, while VIP1 leaves node1: the
// client's next SYN (1 s after the first) reaches node2. Refused, it waits
// ~3 s. (Now and then the reconnect reaches the dying server's listener
// before the kernel closed it, and is reset: then it waits ~3 s anyway;
// hence the bound on the kernel client is loose and the drop is checked
// directly, with a connection attempt from the client namespace.)
TEST_F(ClientState, NfsdKilledThenRestarted) {
    fail_and_come_back("kill-nfsd", "restart-nfsd", 10s, 2500ms, {}, [&] {
        // Every thread gone, so its listener is closed: a zombie main thread
        // is not enough (its other threads still held the listener, and the
        // attempt was accepted by node1's dying server: 3 runs in 6).
        EXPECT_TRUE(lab::wait_process_exited(cluster().pid_of(1, "nfsd"), 2s)) << "ganesha.nfsd survived SIGKILL";
        // Connected is fine once VIP1 is up on node2 (a loaded machine has
        // taken over a second to get here: CI, stop 21); refused never is.
        const int outcome = lab::connect_outcome("gl-client", vip(1), 2049, 300ms);
        if (outcome == 0)
            EXPECT_EQ(cluster().owner_of(vip(1)), 2) << "a connection to VIP1 right after the kill was answered, "
                                                        "and not by node2";
        else
            EXPECT_EQ(outcome, ETIMEDOUT) << "a connection to VIP1 on node1 right after the kill was not dropped "
                                             "(ECONNREFUSED = "
                                          << ECONNREFUSED << ")";
    });
}

// A hung (SIGSTOPped) ganesha.nfsd still holds its clients' locks on the
// backend: it is fenced (killed, exit confirmed) after the survivors hold
// grace and before the VIP moves, so the client's reclaim on node2 succeeds.
TEST_F(ClientState, NfsdHungIsFencedThenRestarted) {
    // The fence's FIN is dropped; node2 tickles the connection when VIP1
    // arrives. Without the tickle the client would wait for its RPC timeout
    // (60 s).
    fail_and_come_back("hang-nfsd", "restart-nfsd", 15s, 1000ms, [&](long long up) {
        const auto fenced =
            cluster().first_event(1, since_[1], [](const json& e) { return e.value("type", "") == "fence"; });
        ASSERT_TRUE(fenced) << "the hung ganesha.nfsd was not fenced";
        EXPECT_LT(*fenced, up) << "the VIP moved before the hung server was fenced";
    });
}

// node2 tickles the silent connection when VIP1 arrives, instead of the
// client learning of the move from its next TCP retransmission (its backoff
// by then: seconds).
TEST_F(ClientState, NodeLostThenRevived) { fail_and_come_back("kill-node", "revive-node", 20s, 1000ms); }

// A client that first mounts VIP1 while node2 holds it has its record only
// on node2: node1 must take grace for node2's records when VIP1 comes home,
// and node2 must release the client before.
TEST_F(ClientState, ClientMountedDuringFailoverKeepsItsLockThroughFailBack) {
    ASSERT_EQ(cluster().run({"kill-nfsd", "1"}), 0);
    ASSERT_GT(expect_moved(1, 2, 10s), 0);
    lab::KernelClient client(cluster(), 2);
    ASSERT_TRUE(client.start(vip(1))) << client.why();
    expect_served(client, lab::wall_ms(), "on node2");

    ASSERT_EQ(cluster().run({"restart-nfsd", "1"}), 0);
    ASSERT_GT(expect_moved(1, 1, 30s), 0);
    expect_served(client, lab::wall_ms(), "after the fail-back");
    EXPECT_TRUE(cluster().first_event(2, since_[2], [](const json& e) {
        return e.value("type", "") == "handover" && e.value("message", "").find("Linux NFSv4.1 kc2") != std::string::npos;
    })) << "node2 did not release the client's state when VIP1 left";
    expect_kept(client);
}

// node1 fails, then node2 (which took VIP1): VIP1 ends on node3, whose
// ganesha must read node2's records (the client reclaimed there).
TEST_F(ClientState, TwoFailuresInARowEndOnTheThirdNode) {
    lab::KernelClient client(cluster(), 1);
    ASSERT_TRUE(client.start(vip(1))) << client.why();
    ASSERT_EQ(cluster().run({"kill-nfsd", "1"}), 0);
    ASSERT_GT(expect_moved(1, 2, 10s), 0);
    expect_served(client, lab::wall_ms(), "on node2");

    ASSERT_EQ(cluster().run({"kill-nfsd", "2"}), 0);
    ASSERT_GT(expect_moved(1, 3, 15s), 0);
    ASSERT_GT(expect_moved(2, 3, 15s), 0);
    expect_served(client, lab::wall_ms(), "on node3");

    ASSERT_EQ(cluster().run({"restart-nfsd", "2"}), 0);
    ASSERT_EQ(cluster().run({"restart-nfsd", "1"}), 0);
    ASSERT_GT(expect_moved(2, 2, 30s), 0);
    ASSERT_GT(expect_moved(1, 1, 30s), 0);
    expect_served(client, lab::wall_ms(), "after both came back");
    expect_kept(client);
}

// While the survivor is in grace for node1's clients, a new client's open and
// lock of another file through the moved VIP is refused (NFS4ERR_GRACE; the
// kernel retries it) and granted once grace ends. A record of a client that
// never comes back keeps node2's grace for the whole Grace_Period, so the
// window is not cut short by the first client's RECLAIM_COMPLETE.
TEST_F(ClientState, NewLocksWaitForTheSurvivorsGraceToEnd) {
    const std::string ghost = cluster().dir() + "/shared/nfs-ganesha/node1/nfs/ganesha/v4recov/" +
                              "::ffff:192.168.77.250-(21:Linux NFSv4.1 kcghost)";
    ASSERT_EQ(::mkdir(ghost.c_str(), 0700), 0) << ghost;
    struct RemoveGhost {
        std::string path;
        ~RemoveGhost() { ::rmdir(path.c_str()); }
    } remove{ghost};
    // Booted now and held before its mount: its boot after the kill took up
    // most of the 20 s grace period on a loaded CI machine, and it mounted
    // 43 ms after grace ended.
    lab::KernelClient newcomer(cluster(), 2);
    ASSERT_TRUE(newcomer.boot(vip(1))) << newcomer.why();
    lab::KernelClient holder(cluster(), 1);
    ASSERT_TRUE(holder.start(vip(1))) << holder.why();
    ASSERT_EQ(cluster().run({"kill-nfsd", "1"}), 0);
    ASSERT_GT(expect_moved(1, 2, 10s), 0);

    auto in_grace = [](int node) {
        const auto r = lab::run_capture({cluster().script(), "exec", std::to_string(node), "dbus-send", "--system",
                                         "--print-reply", "--dest=org.ganesha.nfsd", "/org/ganesha/nfsd/admin",
                                         "org.ganesha.nfsd.admin.get_grace"},
                                        5s);
        // (b in_grace, b succeeded, s message): only the first boolean says it.
        const auto first = r.out.find("boolean ");
        return first != std::string::npos && r.out.compare(first, 12, "boolean true") == 0;
    };
    ASSERT_TRUE(in_grace(2)) << "node2 is not in grace after taking VIP1";
    // A new client mounts through the moved VIP and asks for a new lock.
    std::optional<long long> grace_ended;
    std::thread watch([&] {
        if (lab::wait_until([&] { return !in_grace(2); }, 60s, 100ms)) grace_ended = lab::wall_ms();
    });
    const bool started = newcomer.go();
    watch.join();
    ASSERT_TRUE(started) << newcomer.why();
    ASSERT_TRUE(grace_ended) << "node2's grace did not end within 60 s";
    const long long mounted = std::stoll("0" + lab::read_file(newcomer.dir() + "/ctl/mounted"));
    const long long locked = std::stoll("0" + lab::read_file(newcomer.dir() + "/ctl/ready"));
    EXPECT_LT(mounted, *grace_ended) << "the new client should have asked while node2 was in grace";
    // Granted only once grace ended (100 ms: the poll's resolution).
    EXPECT_GE(locked, *grace_ended - 100) << "a new lock was granted " << (*grace_ended - locked)
                                           << " ms before node2's grace ended";
    EXPECT_LT(locked, *grace_ended + 10000) << "the new lock came long after grace ended";
    expect_served(holder, lab::wall_ms(), "after grace ended");

    ::rmdir(ghost.c_str());  // before node1 restarts and would load it
    ASSERT_EQ(cluster().run({"restart-nfsd", "1"}), 0);
    ASSERT_GT(expect_moved(1, 1, 30s), 0);
    expect_served(holder, lab::wall_ms(), "after the fail-back");
    expect_kept(holder);
    expect_kept(newcomer);
}

// What node's kernel drops for the VIPs while its nfsd is down (issue 12):
// the elements of the leaving set, read with nft, not asked of the daemon.
std::string leaving_set(int node) {
    const auto r = lab::run_capture({cluster().script(), "exec", std::to_string(node), "nft", "list", "set", "inet",
                                     "ganesha_ha", "leaving4"},
                                    10s);
    return r.out + r.err;
}

// A daemon SIGKILLed while it dropped VIP1's NFS traffic cannot remove the
// drop; the daemon that replaces it starts clean and follows the nfsd's
// health, so the VIP's clients are served when it comes home.
TEST_F(ClientState, DaemonKilledWhileDroppingLeavesNothingBlocked) {
    ASSERT_EQ(cluster().run({"kill-nfsd", "1"}), 0);
    EXPECT_TRUE(lab::wait_until([&] { return leaving_set(1).find(vip(1)) != std::string::npos; }, 5s))
        << "node1 does not drop VIP1's NFS traffic while its nfsd is dead: " << leaving_set(1);
    ASSERT_GT(expect_moved(1, 2, 10s), 0);
    const pid_t had = cluster().pid_of(1, "had");
    ASSERT_EQ(cluster().run({"kill-had", "1"}), 0);
    ASSERT_TRUE(lab::wait_until([&] { return lab::process_alive(cluster().pid_of(1, "had")) && cluster().pid_of(1, "had") != had; },
                                20s))
        << "the daemon was not restarted";
    ASSERT_EQ(cluster().run({"restart-nfsd", "1"}), 0);
    ASSERT_GT(expect_moved(1, 1, 60s), 0);
    const std::string set = leaving_set(1);
    EXPECT_EQ(set.find(vip(1)), std::string::npos) << "VIP1 is home and still dropped: " << set;
    EXPECT_NE(set.find("leaving4"), std::string::npos) << "the table is not there: " << set;
    lab::KernelClient client(cluster(), 1);
    ASSERT_TRUE(client.start(vip(1))) << client.why();
    expect_served(client, lab::wall_ms(), "through VIP1 at home");
    expect_kept(client);
}

// Restarting the HA daemon is not a failover: nothing moves, nothing is lost.
TEST_F(ClientState, DaemonRestartMovesNothing) {
    lab::KernelClient client(cluster(), 1);
    ASSERT_TRUE(client.start(vip(1))) << client.why();
    const pid_t had = cluster().pid_of(1, "had");
    ASSERT_EQ(cluster().run({"kill-had", "1"}), 0);
    EXPECT_TRUE(lab::wait_until([&] { return lab::process_alive(cluster().pid_of(1, "had")) && cluster().pid_of(1, "had") != had; },
                                20s))
        << "the daemon was not restarted";
    EXPECT_TRUE(lab::wait_until([&] { return !cluster().call(1, "version").is_null(); }, 10s));
    EXPECT_EQ(cluster().owner_of(vip(1)), 1) << "VIP1 moved";
    expect_served(client, lab::wall_ms(), "after the daemon restart");
    expect_kept(client);
}

}  // namespace
