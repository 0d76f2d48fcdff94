// Smoke tests of lab::PacemakerNode: a real single-node corosync + pacemaker
// cluster in its own network/mount/UTS namespaces, and the exact exit codes
// and output formats of the Pacemaker CLI tools that the daemon's actions rely
// on (recorded at the top of tests/support/pacemaker_node.hpp). Needs root.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/ganesha_lab.hpp"
#include "tests/support/pacemaker_node.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;
using Monotonic = std::chrono::steady_clock;
namespace fs = std::filesystem;

const std::string kNode = "node1";
const std::string kAttr = "ganesha-active";
const std::string kPrimitive =
    R"(<primitive id="node1-dead_ip-1" class="ocf" provider="heartbeat" type="Dummy"/>)";
const std::string kPrimitiveRef = R"(<primitive id="node1-dead_ip-1"/>)";

std::string describe(const lab::CliResult& r) {
    return "rc " + std::to_string(r.exit_code) + "\nstdout: [" + r.out + "]\nstderr: [" + r.err + "]";
}

// libqb entries (qb-SERVER-CLIENT-...) in the host's /dev/shm that mention one of the pids.
std::vector<std::string> host_shm_entries_of(const std::vector<pid_t>& pids) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it("/dev/shm", ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind("qb-", 0) != 0) continue;
        for (pid_t pid : pids)
            if (name.find("-" + std::to_string(pid) + "-") != std::string::npos) out.push_back(name);
    }
    return out;
}

bool netns_listed(const std::string& name) {
    const auto r = lab::run_capture({"ip", "netns", "list"}, 5s);
    return r.out.find(name) != std::string::npos;
}

// ---------------------------------------------------------------- lifecycle

TEST(PacemakerNodeLifecycle, ComesOnlineIsIsolatedAndStopsClean) {
    lab::PacemakerNode node;
    const auto t0 = Monotonic::now();
    node.start();
    const auto started = Monotonic::now();
    ASSERT_TRUE(node.wait_online(15s)) << node.diagnostics();
    const auto online_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Monotonic::now() - t0).count();
    std::printf("[ pcmk     ] start() %lld ms, online %lld ms after start() was called\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(started - t0).count()),
                static_cast<long long>(online_ms));
    ::testing::Test::RecordProperty("online_ms", std::to_string(online_ms));
    EXPECT_LT(online_ms, 15000);

    const std::string ns = node.netns();
    ASSERT_FALSE(ns.empty());
    EXPECT_TRUE(netns_listed(ns));
    const auto corosync = node.corosync_pid();
    const auto pacemakerd = node.pacemakerd_pid();
    ASSERT_TRUE(corosync && pacemakerd) << node.diagnostics();

    // Names: corosync/pacemaker and the UTS namespace agree on node1.
    auto r = node.exec({"crm_node", "-n"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, kNode + "\n");
    r = node.exec({"hostname"});
    EXPECT_EQ(r.out, kNode + "\n");

    // libqb's shared memory is in the node's private /dev/shm, not the host's.
    r = node.exec({"ls", "/dev/shm"});
    EXPECT_NE(r.out.find("qb-" + std::to_string(*corosync) + "-"), std::string::npos) << describe(r);
    const std::vector<pid_t> before_stop = node.processes();
    EXPECT_TRUE(host_shm_entries_of(before_stop).empty());
    EXPECT_NE(std::find(before_stop.begin(), before_stop.end(), *corosync), before_stop.end());
    EXPECT_NE(std::find(before_stop.begin(), before_stop.end(), *pacemakerd), before_stop.end());
    EXPECT_GE(before_stop.size(), 9u);  // helper, corosync, pacemakerd + 6 subdaemons

    // A long-lived process spawned with wrap() is in the node (and is killed
    // by stop() if its owner has not stopped it first).
    lab::Process straggler;
    straggler.spawn(node.wrap({"sleep", "300"}));
    ASSERT_TRUE(lab::wait_until(
        [&] {
            const auto procs = node.processes();
            return std::find(procs.begin(), procs.end(), straggler.pid()) != procs.end();
        },
        2s));

    const auto t_stop = Monotonic::now();
    node.stop();
    std::printf("[ pcmk     ] stop() %lld ms\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(Monotonic::now() - t_stop).count()));
    EXPECT_FALSE(node.running());
    EXPECT_TRUE(node.processes().empty());
    EXPECT_EQ(straggler.wait_exit(2s), -SIGKILL);
    EXPECT_FALSE(netns_listed(ns));
    EXPECT_EQ(node.netns(), "");
    EXPECT_TRUE(host_shm_entries_of(before_stop).empty());
    for (pid_t pid : before_stop) {
        // Gone, or (PID 1 reaps late) a zombie.
        const std::string stat = lab::read_file("/proc/" + std::to_string(pid) + "/stat");
        if (!stat.empty()) {
            EXPECT_NE(stat.find(") Z"), std::string::npos) << stat;
        }
    }
    node.stop();  // idempotent
}

// ---------------------------------------------------------------- no cluster

TEST(PacemakerNodeNoCluster, ToolsFailWith102Quickly) {
    lab::NetNs ns;
    const auto t0 = Monotonic::now();
    auto r = ns.exec({"attrd_updater", "-Q", "-n", kAttr, "-N", kNode}, 5s);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Monotonic::now() - t0).count();
    EXPECT_EQ(r.exit_code, 102) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("Could not connect to attrd"), std::string::npos) << describe(r);
    EXPECT_LT(ms, 2000);

    r = ns.exec({"attrd_updater", "-n", kAttr, "-U", "1", "-N", kNode}, 5s);
    EXPECT_EQ(r.exit_code, 102) << describe(r);
    r = ns.exec({"cibadmin", "-C", "-o", "resources", "-X", kPrimitive}, 5s);
    EXPECT_EQ(r.exit_code, 102) << describe(r);
    r = ns.exec({"crm_mon", "--output-as=xml", "-1"}, 5s);
    EXPECT_EQ(r.exit_code, 102) << describe(r);
    EXPECT_NE(r.out.find("<status code=\"102\""), std::string::npos) << describe(r);

    const std::string name = ns.name();
    EXPECT_TRUE(netns_listed(name));
    ns.remove();
    EXPECT_FALSE(netns_listed(name));
}

// ---------------------------------------------------------------- one shared node

class PacemakerNodeTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        try {
            node_ = std::make_unique<lab::PacemakerNode>();
            node_->start();
            if (!node_->wait_online(15s)) setup_error_ = "node not online in 15 s\n" + node_->diagnostics();
        } catch (const std::exception& e) {
            setup_error_ = e.what();
        }
    }
    static void TearDownTestSuite() { node_.reset(); }

    void SetUp() override {
        if (!setup_error_.empty()) GTEST_FAIL() << setup_error_;
    }

    lab::CliResult run(const std::vector<std::string>& argv) { return node_->exec(argv, 10s); }

    static std::unique_ptr<lab::PacemakerNode> node_;
    static std::string setup_error_;
};

std::unique_ptr<lab::PacemakerNode> PacemakerNodeTest::node_;
std::string PacemakerNodeTest::setup_error_;

TEST_F(PacemakerNodeTest, AttrdUpdateQueryDelete) {
    const std::string set_line = "name=\"" + kAttr + "\" host=\"" + kNode + "\" value=\"1\"\n";
    const std::string empty_line = "name=\"" + kAttr + "\" host=\"" + kNode + "\" value=\"\"\n";

    auto r = run({"attrd_updater", "-n", kAttr, "-U", "1", "-N", kNode});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");

    // Observed: the value is visible to the very next query.
    r = run({"attrd_updater", "-Q", "-n", kAttr, "-N", kNode});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, set_line) << describe(r);

    r = run({"attrd_updater", "-Q", "-n", kAttr, "-N", kNode, "--output-as=xml"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("<attribute name=\"" + kAttr + "\" value=\"1\" host=\"" + kNode + "\"/>"),
              std::string::npos)
        << describe(r);

    // attrd writes it to the CIB status section.
    EXPECT_TRUE(lab::wait_until(
        [&] {
            r = run({"crm_attribute", "-N", kNode, "-n", kAttr, "-l", "reboot", "-G"});
            return r.exit_code == 0;
        },
        5s, 100ms))
        << describe(r);
    EXPECT_EQ(r.out, "scope=status  name=" + kAttr + " value=1\n");

    r = run({"attrd_updater", "-D", "-n", kAttr, "-N", kNode});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "");

    // Deleted = attrd still knows the name, with an empty value (rc 0).
    r = run({"attrd_updater", "-Q", "-n", kAttr, "-N", kNode});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, empty_line) << describe(r);

    // ... and it leaves the CIB: crm_attribute -G then fails with rc 105.
    EXPECT_TRUE(lab::wait_until(
        [&] {
            r = run({"crm_attribute", "-N", kNode, "-n", kAttr, "-l", "reboot", "-G"});
            return r.exit_code != 0;
        },
        5s, 100ms))
        << describe(r);
    EXPECT_EQ(r.exit_code, 105) << describe(r);
    EXPECT_NE(r.err.find("No such device or address"), std::string::npos) << describe(r);

    // Deleting again is not an error.
    r = run({"attrd_updater", "-D", "-n", kAttr, "-N", kNode});
    EXPECT_EQ(r.exit_code, 0) << describe(r);

    // A name attrd has never seen: rc 78.
    const std::string never = "gha-never-set-" + std::to_string(::getpid());
    r = run({"attrd_updater", "-Q", "-n", never, "-N", kNode});
    EXPECT_EQ(r.exit_code, 78) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("attribute does not exist"), std::string::npos) << describe(r);

    // A known name on a node that does not exist: rc 0 and an empty value.
    r = run({"attrd_updater", "-Q", "-n", kAttr, "-N", "node2"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "name=\"" + kAttr + "\" host=\"node2\" value=\"\"\n") << describe(r);
}

TEST_F(PacemakerNodeTest, CibadminCreateTwiceDeleteTwice) {
    // Start from a clean slate (deleting a missing primitive is rc 0 anyway).
    auto r = run({"cibadmin", "-D", "-o", "resources", "-X", kPrimitiveRef});
    ASSERT_EQ(r.exit_code, 0) << describe(r);

    r = run({"cibadmin", "-C", "-o", "resources", "-X", kPrimitive});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "");

    r = run({"cibadmin", "-Q", "-o", "resources"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find(kPrimitive), std::string::npos) << describe(r);

    // Already exists: rc 108 (pcmk "not unique"), "File exists".
    r = run({"cibadmin", "-C", "-o", "resources", "-X", kPrimitive});
    EXPECT_EQ(r.exit_code, 108) << describe(r);
    EXPECT_NE(r.err.find("Call cib_create failed: File exists"), std::string::npos) << describe(r);
    EXPECT_NE(r.out.find("<failed_update id=\"node1-dead_ip-1\""), std::string::npos) << describe(r);

    r = run({"cibadmin", "-D", "-o", "resources", "-X", kPrimitiveRef});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "");

    r = run({"cibadmin", "-Q", "-o", "resources"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out.find("node1-dead_ip-1"), std::string::npos) << describe(r);

    // Missing: still rc 0.
    r = run({"cibadmin", "-D", "-o", "resources", "-X", kPrimitiveRef});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
}

}  // namespace
}  // namespace gha
