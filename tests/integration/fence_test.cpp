// The fence against a real ganesha.nfsd (MEM FSAL, loopback, private bus)
// and the real ganesha-had: a SIGSTOPped server is found hung by rpc-null,
// and the nfsd-down pipeline kills it (SIGKILL through the pid monitor's
// pidfd, exit confirmed) after the wait for the survivors' grace and before
// ganesha-active is deleted. No Pacemaker runs here: attrd_updater and
// cibadmin are the test stand-ins (lab::install_fake_pacemaker), so the
// pipeline gets past its attribute steps. Every wait is a condition with a
// deadline.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>

#include "ctl/control_client.hpp"
#include "tests/support/build_dir.hpp"
#include "tests/support/ganesha_lab.hpp"
#include "tests/support/test_port.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

using test::kBin;

// The state letter of /proc/PID/stat ('T' stopped, 'Z' zombie), '\0' when
// the process is gone (reaped).
char proc_state(pid_t pid) {
    const std::string stat = lab::read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) return '\0';
    return stat[paren + 2];
}

class FenceAgainstGanesha : public ::testing::Test {
protected:
    void SetUp() override {
        dbus.emplace(dir.path());
        ganesha.emplace(lab::ganesha_on_bus(dir.file("nfsd"), test::test_port(25000), *dbus));
        ganesha->start();
        // The test's own handle on the process, to see its exit the way the daemon does.
        pidfd = static_cast<int>(::syscall(SYS_pidfd_open, ganesha->pid(), 0));
        ASSERT_GE(pidfd, 0);
        lab::install_fake_pacemaker(dir.file("bin"));
        socket = dir.file("hactl.sock");
        config = dir.file("ganesha-ha.conf");
    }
    void TearDown() override {
        if (pidfd >= 0) ::close(pidfd);
        if (ganesha) ganesha->kill(SIGCONT);  // a stopped server would sit out stop()'s SIGTERM
    }

    void start_had(const std::string& fence) {
        lab::write_file(config,
                        lab::had_config(*ganesha) +
                        "HA_MONITOR_PID=\"interval=200ms\"\n"
                        "HA_MONITOR_RPC_NULL=\"interval=200ms timeout=200ms rise=2 fall=2\"\n"
                        "HA_METRICS_LISTEN=off\n"
                        // No peers to confirm grace: the wait ends at its bound.
                        "HA_GRACE_DELAY=300ms\nHA_ACTION_TIMEOUT=2s\nHA_ACTION_ATTEMPTS=1\n" +
                            (fence.empty() ? "" : "HA_NFSD_FENCE=" + fence + "\n"));
        auto env = lab::fake_pacemaker_env(dir.file("bin"), attrs());
        env.emplace("DBUS_SYSTEM_BUS_ADDRESS", dbus->address());
        had.emplace(kBin, config, "node1", socket, env);
        had->start();
        // Healthy and serving: the first nfsd-up set ganesha-active.
        ASSERT_TRUE(lab::wait_until([&] { return active() == "1"; }, 5000ms))
            << call("events").dump(2) << lab::tail_file(had->log_path());
    }

    std::string attrs() const { return dir.file("attrs"); }
    std::string active() const {
        const std::string path = attrs() + "/ganesha-active";
        return std::filesystem::exists(path) ? lab::read_file(path) : "";
    }
    bool exited() const {
        pollfd p{pidfd, POLLIN, 0};
        return ::poll(&p, 1, 0) > 0;
    }

    json call(const std::string& command, json arguments = json::object()) {
        control::ClientError error;
        auto answer = control::call(socket, {command, std::move(arguments)}, 2000ms, error);
        EXPECT_EQ(error.kind, control::ClientError::none) << error.text;
        return answer;
    }
    std::vector<json> events() {
        const json answer = call("events", {{"limit", 10000}});
        return {answer["arguments"]["events"].begin(), answer["arguments"]["events"].end()};
    }
    // Sequence number of the first event that matches, or 0.
    std::uint64_t seq_of(const std::function<bool(const json&)>& match) {
        for (const auto& e : events())
            if (match(e)) return e["seq"].get<std::uint64_t>();
        return 0;
    }
    std::uint64_t step_ended(const std::string& step, const std::string& state) {
        return seq_of([&](const json& e) {
            return e["type"] == "action" && e["subject"] == "nfsd-down" && e["fields"].value("step", "") == step &&
                   e["fields"].value("state", "") == state;
        });
    }
    std::uint64_t pipeline_ended(const std::string& pipeline) {
        return seq_of([&](const json& e) {
            return e["type"] == "action" && e["subject"] == pipeline && !e["fields"].contains("step") &&
                   (e["fields"].value("state", "") == "succeeded" || e["fields"].value("state", "") == "failed");
        });
    }
    double metric(const std::string& series) {
        const std::string text = call("metrics")["arguments"]["text"];
        const auto at = text.find("\n" + series + " ");
        return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
    }

    lab::TempDir dir;
    std::optional<lab::DbusDaemon> dbus;
    std::optional<lab::Ganesha> ganesha;
    std::optional<lab::Had> had;
    std::string socket, config;
    int pidfd = -1;
};

TEST_F(FenceAgainstGanesha, AHungNfsdIsKilledAfterTheWaitForGraceAndBeforeTheVipIsReleased) {
    start_had("");  // the default: kill
    const pid_t pid = ganesha->pid();
    ASSERT_TRUE(ganesha->kill(SIGSTOP));
    json fence;
    ASSERT_TRUE(lab::wait_until(
        [&] {
            fence = nullptr;
            for (const auto& e : events())
                if (e["type"] == "fence") fence = e;
            return !fence.is_null();
        },
        15000ms))
        << call("events").dump(2) << lab::tail_file(had->log_path());
    EXPECT_EQ(fence["fields"]["pid"], pid);
    EXPECT_EQ(fence["fields"]["outcome"], "exit-confirmed") << fence.dump();
    EXPECT_EQ(fence["message"].get<std::string>().rfind("fenced ganesha.nfsd pid " + std::to_string(pid) +
                                                            ": exit confirmed after ",
                                                        0),
              0u)
        << fence.dump();

    // The process is gone: its pidfd is readable and it is a zombie (the
    // test, its parent, has not reaped it).
    EXPECT_TRUE(exited());
    const char state = proc_state(pid);
    EXPECT_TRUE(state == 'Z' || state == '\0') << "state " << state;

    // In order: the wait for grace, the fence, then ganesha-active.
    ASSERT_TRUE(lab::wait_until([&] { return pipeline_ended("nfsd-down") != 0; }, 10000ms)) << call("events").dump(2);
    const auto waited = step_ended("wait for the takers' grace", "succeeded");
    const auto fenced = step_ended("fence ganesha.nfsd", "succeeded");
    const auto released = step_ended("delete ganesha-active", "succeeded");
    ASSERT_NE(waited, 0u);
    ASSERT_NE(fenced, 0u) << call("events").dump(2);
    ASSERT_NE(released, 0u);
    EXPECT_LT(waited, fenced);
    EXPECT_LT(fenced, released);
    EXPECT_EQ(active(), "");
    // The rpc-null judgement came first; the pid monitor saw the exit afterwards.
    const auto hung = seq_of([](const json& e) {
        return e["type"] == "monitor" && e["subject"] == "rpc-null" && e["fields"].value("to", "") == "unhealthy";
    });
    const auto gone = seq_of([](const json& e) {
        return e["type"] == "monitor" && e["subject"] == "pid" && e["fields"].value("to", "") == "unhealthy";
    });
    EXPECT_NE(hung, 0u);
    EXPECT_LT(hung, fenced);
    EXPECT_GT(gone, hung);

    EXPECT_EQ(metric("ganesha_ha_nfsd_fenced_total"), 1);
    EXPECT_EQ(metric("ganesha_ha_actions_total{action=\"fence\"}"), 1);
    EXPECT_EQ(metric("ganesha_ha_action_failures_total{action=\"fence\"}"), 0);
    auto table = lab::run_cli(kBin, socket, {"actions"}, 5000ms);
    EXPECT_NE(table.out.find("fence ganesha.nfsd"), std::string::npos) << table.out;
    EXPECT_TRUE(ganesha->wait_exited(2000ms));
}

TEST_F(FenceAgainstGanesha, WithFenceNoneAHungNfsdIsLeftAlive) {
    start_had("none");
    const pid_t pid = ganesha->pid();
    ASSERT_TRUE(ganesha->kill(SIGSTOP));
    ASSERT_TRUE(lab::wait_until([&] { return pipeline_ended("nfsd-down") != 0; }, 15000ms))
        << call("events").dump(2) << lab::tail_file(had->log_path());
    EXPECT_EQ(active(), "");  // the VIP was released all the same
    EXPECT_EQ(step_ended("fence ganesha.nfsd", "succeeded"), 0u);
    EXPECT_EQ(seq_of([](const json& e) { return e["type"] == "fence"; }), 0u);
    EXPECT_FALSE(exited());
    EXPECT_EQ(proc_state(pid), 'T');
    EXPECT_EQ(metric("ganesha_ha_nfsd_fenced_total"), 0);
}

// The operator's failover of a healthy server moves the VIP but kills nothing.
TEST_F(FenceAgainstGanesha, AFailoverOfAHealthyNfsdDoesNotFenceIt) {
    start_had("kill");
    ASSERT_EQ(call("failover")["result"], 0);
    ASSERT_TRUE(lab::wait_until([&] { return pipeline_ended("nfsd-down") != 0; }, 10000ms)) << call("events").dump(2);
    const auto fenced = step_ended("fence ganesha.nfsd", "succeeded");
    ASSERT_NE(fenced, 0u);
    for (const auto& e : events()) {
        if (e["seq"] != fenced) continue;
        EXPECT_NE(e["message"].get<std::string>().find("healthy again: not fenced"), std::string::npos) << e.dump();
    }
    EXPECT_FALSE(exited());
    EXPECT_TRUE(ganesha->answers_null(1000ms));
}

}  // namespace
}  // namespace gha
