// The failover pipelines' order and waits, against scripted Pacemaker tools
// and the fake clock.
#include "service/failover.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "tests/support/fake_clock.hpp"
#include "tests/support/scripted_killer.hpp"

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

// With peer heartbeats the takers learn of the failure from the heartbeat:
// grace-active stays (clearing it would stop this node's nfs-grace instance,
// and its notifications on every node would run beside the VIP's move).
TEST_F(FailoverTest, WithPeerHeartbeatsDownKeepsGraceActiveAndStillWaitsBeforeGivingUpTheVip) {
    config.heartbeat.key_file = "/etc/ganesha/ha-heartbeat.key";
    failover.update(config);
    runner.values["grace-active"] = "1";
    const auto id = failover.local_down("test");
    EXPECT_EQ(changes(), (std::vector<std::string>{}));
    clock.advance(4999ms);
    EXPECT_EQ(changes(), (std::vector<std::string>{})) << "ganesha-active cleared before the taker had time for grace";
    clock.advance(1ms);
    EXPECT_EQ(changes(), (std::vector<std::string>{"ganesha-active -D", "grace-active -U 1"}))
        << "no dead_ip marker with heartbeats: a configuration change in the middle of the VIP's move";
    EXPECT_EQ(pipelines.record(id)->state, PipelineState::succeeded);
    EXPECT_EQ(runner.values["grace-active"], "1");
}

// An operator's failover of a healthy nfsd is not in the heartbeats: the
// grace clone's notifications are how the taker hears of it.
TEST_F(FailoverTest, WithPeerHeartbeatsAFailoverOfAHealthyNfsdStillClearsGraceActiveFirst) {
    config.heartbeat.key_file = "/etc/ganesha/ha-heartbeat.key";
    failover.update(config);
    failover.local_down("operator request", false);
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D"}));
    clock.advance(5000ms);
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D", "ganesha-active -D"}));
}

TEST_F(FailoverTest, WithPeerHeartbeatsADrainStillClearsGraceActiveFirst) {
    config.heartbeat.key_file = "/etc/ganesha/ha-heartbeat.key";
    failover.update(config);
    failover.drain();
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D"}));
    clock.advance(5000ms);
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D", "ganesha-active -D"}));
}

// What reconcile expects of a node whose nfsd is down: ganesha-active gone,
// and grace-active gone too unless peer heartbeats keep it.
TEST_F(FailoverTest, ReconcileOfAFailedNodeExpectsGraceActiveOnlyWithPeerHeartbeats) {
    runner.values["ganesha-active"] = "";
    runner.values["grace-active"] = "1";
    std::optional<Failover::Reconciled> result;
    failover.reconcile(false, [&](Failover::Reconciled r) { result = r; });
    EXPECT_EQ(result, Failover::Reconciled::started) << "without heartbeats grace-active=1 is out of place";

    clock.advance(5000ms);  // that nfsd-down pipeline ends
    runner.calls.clear();
    runner.values["grace-active"] = "1";
    config.heartbeat.key_file = "/etc/ganesha/ha-heartbeat.key";
    failover.update(config);
    result.reset();
    failover.reconcile(false, [&](Failover::Reconciled r) { result = r; });
    EXPECT_EQ(result, Failover::Reconciled::in_sync);
    EXPECT_EQ(changes(), (std::vector<std::string>{}));

    runner.values.erase("grace-active");  // Pacemaker restarted: the transient attribute is gone
    result.reset();
    failover.reconcile(false, [&](Failover::Reconciled r) { result = r; });
    EXPECT_EQ(result, Failover::Reconciled::started);
    clock.advance(5000ms);
    EXPECT_EQ(runner.values["grace-active"], "1");
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


// The fence: a hung nfsd is killed after the survivors hold grace and before
// ganesha-active goes, decided by what the monitors say when the step runs.
class FenceTest : public FailoverTest {
protected:
    FenceTest() {
        target.state = FenceTarget::State::hung;
        target.pid = 4242;
        target.pidfd = 17;
        target.why = "rpc-null: timeout";
        settings.timeout = 1000ms;
        settings.attempts = 2;
    }
    NfsdFence& fence() {
        if (!fence_)
            fence_.emplace(settings, killer, [this] { return target; },
                           [this](const FenceReport& r) { reports.push_back(r); });
        return *fence_;
    }
    Failover& fenced() {
        if (!fenced_) fenced_.emplace(config, clock, pipelines, pacemaker, nullptr, &fence());
        return *fenced_;
    }
    const StepRecord& step(std::uint64_t id, const std::string& name) {
        static const StepRecord none{"(absent)"};
        record = *pipelines.record(id);
        for (const auto& s : record.steps)
            if (s.name == name) return s;
        return none;
    }
    FenceSettings settings;
    FenceTarget target;
    std::vector<std::string> kill_log;
    test::ScriptedKiller killer{clock, kill_log};
    std::vector<FenceReport> reports;
    PipelineRecord record;
    std::optional<NfsdFence> fence_;
    std::optional<Failover> fenced_;
};

TEST_F(FenceTest, AHungNfsdIsKilledAfterTheSurvivorsGraceAndBeforeTheVipIsReleased) {
    const auto id = fenced().local_down("rpc-null: timeout");
    clock.advance(4999ms);
    EXPECT_TRUE(kill_log.empty()) << "killed before the survivors had time for grace";
    clock.advance(1ms);
    ASSERT_EQ(kill_log, (std::vector<std::string>{"kill pidfd 17"}));
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D"})) << "the VIP left before the exit was confirmed";
    clock.advance(30ms);  // the exit
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D", "ganesha-active -D", "cibadmin -C"}));
    EXPECT_EQ(pipelines.record(id)->state, PipelineState::succeeded);
    std::vector<std::string> names;
    const PipelineRecord done = *pipelines.record(id);  // a copy: the loop must not outlive it
    for (const auto& s : done.steps) names.push_back(s.name);
    EXPECT_EQ(names, (std::vector<std::string>{"delete grace-active", "wait for the takers' grace", "fence ganesha.nfsd",
                                               "delete ganesha-active", "create trigger node1-dead_ip-1"}));
    EXPECT_EQ(step(id, "fence ganesha.nfsd").detail, "fenced ganesha.nfsd pid 4242: exit confirmed after 30 ms");
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].pid, 4242);
    EXPECT_EQ(reports[0].outcome, FenceReport::Outcome::confirmed);
}

// The fence waits for the daemon's drop table (its check): a hung server's
// FIN or RST must not reach its clients, or they reconnect to the VIP still
// here and wait for their SYN back-off once it has moved.
TEST_F(FenceTest, TheFenceWaitsForTheDropTable) {
    std::optional<std::string> drop;  // nullopt: not in place yet
    fenced().set_drop_check([&] { return drop; });
    const auto id = fenced().local_down("rpc-null: timeout");
    clock.advance(5000ms);
    fenced().drop_changed();
    EXPECT_TRUE(kill_log.empty()) << "killed before the drop table was in place";
    clock.advance(100ms);
    drop = "in place";
    fenced().drop_changed();
    ASSERT_EQ(kill_log, (std::vector<std::string>{"kill pidfd 17"}));
    EXPECT_EQ(step(id, "wait for the drop table").detail, "in place");
    clock.advance(30ms);
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D", "ganesha-active -D", "cibadmin -C"}));
    std::vector<std::string> names;
    const PipelineRecord done = *pipelines.record(id);
    for (const auto& s : done.steps) names.push_back(s.name);
    EXPECT_EQ(names, (std::vector<std::string>{"delete grace-active", "wait for the takers' grace",
                                               "wait for the drop table", "fence ganesha.nfsd",
                                               "delete ganesha-active", "create trigger node1-dead_ip-1"}));
}

TEST_F(FenceTest, ADropTableAlreadyInPlaceAddsNoWait) {
    fenced().set_drop_check([] { return std::optional<std::string>("in place"); });
    fenced().local_down("rpc-null: timeout");
    clock.advance(5000ms);
    EXPECT_EQ(kill_log, (std::vector<std::string>{"kill pidfd 17"}));
}

// nft hangs or the table never comes: the fence still happens (the locks
// must be freed), HA_ACTION_TIMEOUT later, and the record says so.
TEST_F(FenceTest, ADropTableThatNeverComesDelaysTheFenceByTheActionTimeoutAtMost) {
    fenced().set_drop_check([] { return std::optional<std::string>(); });
    const auto id = fenced().local_down("rpc-null: timeout");
    clock.advance(5000ms + config.action_timeout - 1ms);
    EXPECT_TRUE(kill_log.empty());
    clock.advance(1ms);
    EXPECT_EQ(kill_log, (std::vector<std::string>{"kill pidfd 17"}));
    EXPECT_EQ(step(id, "wait for the drop table").detail,
              "not confirmed within " + std::to_string(config.action_timeout.count()) + " ms; fencing without it");
    clock.advance(30ms);
    EXPECT_EQ(pipelines.record(id)->state, PipelineState::succeeded);
}

TEST_F(FenceTest, WithFenceNoneTheStepIsAbsent) {
    settings.mode = FenceMode::none;
    const auto id = fenced().local_down("test");
    clock.advance(5000ms);
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D", "ganesha-active -D", "cibadmin -C"}));
    EXPECT_EQ(killer.kills, 0);
    EXPECT_EQ(pipelines.record(id)->steps.size(), 4u);
    EXPECT_EQ(step(id, "fence ganesha.nfsd").name, "(absent)");
}

TEST_F(FenceTest, AProcessThatAlreadyExitedIsNotSignalled) {
    target.state = FenceTarget::State::gone;
    target.why = "pid: pid 4242 exited";
    const auto id = fenced().local_down("test");
    clock.advance(5000ms);
    EXPECT_EQ(killer.kills, 0);
    EXPECT_EQ(step(id, "fence ganesha.nfsd").state, StepState::succeeded);
    EXPECT_NE(step(id, "fence ganesha.nfsd").detail.find("already gone"), std::string::npos);
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D", "ganesha-active -D", "cibadmin -C"}));
    EXPECT_TRUE(reports.empty());
}

// It exited between the verdict and the signal: the pidfd says so first.
TEST_F(FenceTest, AnExitRacingTheSignalIsAlreadyGone) {
    killer.gone = true;
    const auto id = fenced().local_down("test");
    clock.advance(5000ms);
    EXPECT_EQ(step(id, "fence ganesha.nfsd").detail, "ganesha.nfsd pid 4242 already gone");
    EXPECT_EQ(pipelines.record(id)->state, PipelineState::succeeded);
}

TEST_F(FenceTest, ADrainedNodeIsNeverFenced) {
    const auto drain = fenced().drain();
    clock.advance(5000ms);
    EXPECT_EQ(step(drain, "fence ganesha.nfsd").name, "(absent)") << "a drain is not a failure";
    // Drained, then the nfsd hangs: the VIP is already away, and a stopped
    // process may be an operator's debugger.
    target.drained = true;
    const auto down = fenced().local_down("rpc-null: timeout");
    clock.advance(5000ms);
    EXPECT_EQ(killer.kills, 0);
    EXPECT_EQ(step(down, "fence ganesha.nfsd").detail, "node is drained: ganesha.nfsd not fenced");
}

TEST_F(FenceTest, AServerThatRecoveredDuringTheWaitIsNotFenced) {
    const auto id = fenced().local_down("rpc-null: timeout");
    clock.advance(2000ms);
    target.state = FenceTarget::State::healthy;  // answered again while the survivors took grace
    clock.advance(3000ms);
    EXPECT_EQ(killer.kills, 0);
    EXPECT_EQ(step(id, "fence ganesha.nfsd").detail, "ganesha.nfsd is healthy again: not fenced");
}

// A process that does not die (uninterruptible sleep in the backend) still
// holds its locks: the pipeline stops before the VIP moves and says why.
TEST_F(FenceTest, AFenceThatTimesOutStopsThePipelineAndTheVipStays) {
    killer.exit_after.reset();
    const auto id = fenced().local_down("rpc-null: timeout");
    clock.advance(5000ms + 1000ms + 200ms + 1000ms);  // wait, attempt, backoff, attempt
    EXPECT_EQ(killer.kills, 2);
    const auto& fence = step(id, "fence ganesha.nfsd");
    EXPECT_EQ(fence.state, StepState::failed);
    EXPECT_EQ(fence.attempts, 2);
    EXPECT_EQ(fence.detail, "fence of ganesha.nfsd pid 4242: SIGKILL sent, no exit within 1000 ms");
    EXPECT_EQ(pipelines.record(id)->state, PipelineState::failed);
    EXPECT_EQ(step(id, "delete ganesha-active").state, StepState::skipped);
    EXPECT_EQ(changes(), (std::vector<std::string>{"grace-active -D"})) << "the VIP was released without the fence";
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[1].outcome, FenceReport::Outcome::timeout);
}

// Every attempt asks again: an exit seen between two attempts ends the fence.
TEST_F(FenceTest, EachAttemptJudgesAgain) {
    killer.exit_after.reset();
    const auto id = fenced().local_down("rpc-null: timeout");
    clock.advance(5000ms + 1000ms);
    EXPECT_EQ(killer.kills, 1);
    target.state = FenceTarget::State::gone;
    clock.advance(200ms);
    EXPECT_EQ(killer.kills, 1);
    EXPECT_EQ(step(id, "fence ganesha.nfsd").state, StepState::succeeded);
    EXPECT_EQ(pipelines.record(id)->state, PipelineState::succeeded);
    EXPECT_EQ(runner.values["ganesha-active"], "");
}

TEST_F(FenceTest, NoProcessJudgedHungIsNotFenced) {
    target.state = FenceTarget::State::unknown;
    target.pidfd = -1;
    target.why = "rpc-null: not probed yet";
    const auto id = fenced().local_down("operator request");
    clock.advance(5000ms);
    EXPECT_EQ(killer.kills, 0);
    EXPECT_EQ(step(id, "fence ganesha.nfsd").detail, "no ganesha.nfsd process judged hung (rpc-null: not probed yet): not fenced");
}

}  // namespace
}  // namespace gha
