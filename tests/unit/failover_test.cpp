// The failover pipelines' order and waits, against scripted Pacemaker tools
// and the fake clock.
#include "service/failover.hpp"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;

// Answers every command with success; -Q answers echo what was last set.
class RecordingRunner final : public CommandRunner {
public:
    Cancel run(std::vector<std::string> argv, ChildOptions, Handler handler) override {
        calls.push_back(summary(argv));
        ChildResult r;
        r.program = argv.front();
        r.exit_code = 0;
        if (argv.size() > 1 && argv[1] == "-Q") r.out = "name=\"" + argv[3] + "\" host=\"" + argv[5] + "\" value=\"" + values[argv[3]] + "\"\n";
        if (argv.size() > 6 && argv[5] == "-U") values[argv[2]] = argv[6];
        if (argv.size() > 5 && argv[5] == "-D") values[argv[2]] = "";
        handler(r);
        return [] {};
    }
    static std::string summary(const std::vector<std::string>& argv) {
        if (argv[0] == "cibadmin") return "cibadmin " + argv[1];
        if (argv[1] == "-Q") return "query " + argv[3];
        return argv[2] + " " + argv[5] + (argv.size() > 6 ? " " + argv[6] : "");
    }
    std::vector<std::string> calls;
    std::map<std::string, std::string> values;
};

class FailoverTest : public ::testing::Test {
protected:
    FailoverTest() {
        config.node = "node1";
        config.grace_delay = 5000ms;
    }
    std::vector<std::string> changes() const {  // the calls that change something
        std::vector<std::string> out;
        for (const auto& c : runner.calls)
            if (c.rfind("query", 0) != 0) out.push_back(c);
        return out;
    }

    test::FakeClock clock;
    Config config;
    RecordingRunner runner;
    PacemakerActions pacemaker{runner, PacemakerTools{}};
    PipelineRunner pipelines{clock, nullptr};
    Failover failover{config, clock, pipelines, pacemaker, nullptr};
};

TEST_F(FailoverTest, DownClearsGraceWaitsThenGivesUpTheVipAndCreatesTheTrigger) {
    const auto id = failover.local_down("test");
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D"}));
    clock.advance(4999ms);
    EXPECT_EQ(changes().size(), 1u) << "ganesha-active cleared before the survivors had time for grace";
    clock.advance(1ms);
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D", "ganesha-active -D", "cibadmin -C"}));
    EXPECT_EQ(pipelines.record(id)->state, PipelineState::succeeded);
}

TEST_F(FailoverTest, AConfirmationEndsTheWaitEarly) {
    failover.local_down("test");
    clock.advance(300ms);
    failover.confirm_grace("node2");
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D", "ganesha-active -D", "cibadmin -C"}));
    const auto record = pipelines.records().front();
    EXPECT_NE(record.steps[1].detail.find("confirmed by node2"), std::string::npos);
}

// Peer heartbeats may confirm before the wait begins: the check at its start
// ends it at once; without a confirmation it still waits.
TEST_F(FailoverTest, AConfirmationThatIsAlreadyThereEndsTheWaitAtOnce) {
    std::optional<std::string> confirmed;
    failover.set_confirmation_check([&] { return confirmed; });
    failover.local_down("test");
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D"}));
    clock.advance(5000ms);
    confirmed = "node2, node3";
    failover.local_down("again");
    EXPECT_EQ(changes().size(), 6u);
    EXPECT_NE(pipelines.records().front().steps[1].detail.find("confirmed by node2, node3"), std::string::npos);
}

// A survivor whose ganesha cannot enter grace (its bus hung) does not hold
// the VIP hostage: the wait ends at HA_GRACE_DELAY and names who was missing.
TEST_F(FailoverTest, TheWaitEndsAtTheBoundNamingTheSurvivorsThatNeverConfirmed) {
    failover.set_confirmation_check([] { return std::nullopt; }, [] { return std::string("node3"); });
    const auto id = failover.local_down("test");
    clock.advance(5000ms);
    EXPECT_EQ(pipelines.record(id)->state, PipelineState::succeeded);
    EXPECT_NE(pipelines.record(id)->steps[1].detail.find("no confirmation from node3"), std::string::npos)
        << pipelines.record(id)->steps[1].detail;
}

TEST_F(FailoverTest, UpSetsGraceThenActiveThenDeletesTheTrigger) {
    failover.local_up("test");
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -U 1", "ganesha-active -U 1", "cibadmin -D"}));
}

TEST_F(FailoverTest, RecoveryDuringAFailoverWaitsForItToFinish) {
    failover.local_down("test");
    failover.local_up("test");
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D"}));
    clock.advance(5000ms);
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D", "ganesha-active -D", "cibadmin -C",
                                                   "grace-active -U 1", "ganesha-active -U 1", "cibadmin -D"}));
    EXPECT_EQ(runner.values["ganesha-active"], "1");
}

TEST_F(FailoverTest, DrainMovesTheVipWithoutATriggerAndUndrainBringsItBack) {
    failover.drain();
    EXPECT_TRUE(failover.drained());
    clock.advance(5000ms);
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D", "ganesha-active -D"}));
    EXPECT_TRUE(failover.undrain(true).has_value());
    EXPECT_FALSE(failover.drained());
    EXPECT_EQ(runner.values["ganesha-active"], "1");
    EXPECT_EQ(runner.values["grace-active"], "1");
}

TEST_F(FailoverTest, UndrainOfAnUnhealthyNodeDoesNotBringTheVipBack) {
    failover.drain();
    clock.advance(5000ms);
    EXPECT_FALSE(failover.undrain(false).has_value());
    EXPECT_EQ(runner.values["ganesha-active"], "");
}

}  // namespace
}  // namespace gha
