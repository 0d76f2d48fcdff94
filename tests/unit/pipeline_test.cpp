// The pipeline engine with the fake clock: ordering, timeouts, retries with
// backoff, the queue/supersede rule, and what a failed pipeline leaves undone.
#include "actions/pipeline.hpp"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;

class PipelineTest : public ::testing::Test {
protected:
    PipelineTest()
        : runner(clock, [this](const PipelineRecord& r, const StepRecord* s) {
              if (s) log.push_back(r.name + "/" + s->name + ":" + to_string(s->state));
              else log.push_back(r.name + ":" + to_string(r.state));
          }) {}

    // A step that succeeds at once and records that it ran.
    Step instant(std::string name) {
        return Step{name, [this, name](StepDone done) {
                        ran.push_back(name);
                        done(StepResult::ok());
                    }};
    }
    // A step whose completion the test triggers by hand.
    Step manual(std::string name) {
        return Step{name, [this, name](StepDone done) {
                        ran.push_back(name);
                        pending[name] = std::move(done);
                    }};
    }
    // Fails `failures` times, then succeeds; records when each try started.
    Step flaky(std::string name, int failures, int attempts, std::chrono::milliseconds backoff) {
        auto count = std::make_shared<int>(0);
        Step s{name, [this, name, failures, count](StepDone done) {
                   tries.push_back(clock.now());
                   if ((*count)++ < failures) return done({std::make_error_code(std::errc::io_error), "boom"});
                   done(StepResult::ok());
               }};
        s.attempts = attempts;
        s.backoff = backoff;
        return s;
    }

    test::FakeClock clock;
    std::vector<std::string> log;
    std::vector<std::string> ran;
    std::vector<TimePoint> tries;
    std::map<std::string, StepDone> pending;
    PipelineRunner runner;
};

TEST_F(PipelineTest, StepsRunInOrderOneAfterTheOther) {
    const auto id = runner.submit({"down", "node1", {instant("a"), manual("b"), instant("c")}});
    EXPECT_EQ(ran, (std::vector<std::string>{"a", "b"}));  // c waits for b
    pending["b"](StepResult::ok());
    EXPECT_EQ(ran, (std::vector<std::string>{"a", "b", "c"}));
    auto record = runner.record(id);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->state, PipelineState::succeeded);
    EXPECT_TRUE(record->undone().empty());
}

TEST_F(PipelineTest, ATimedOutStepIsAbortedAndFailsThePipeline) {
    bool aborted = false;
    Step hang = manual("hang");
    hang.timeout = 300ms;
    hang.abort = [&] { aborted = true; };
    const auto id = runner.submit({"down", "node1", {instant("a"), hang, instant("c")}});
    clock.advance(299ms);
    EXPECT_FALSE(aborted);
    clock.advance(1ms);
    EXPECT_TRUE(aborted);
    auto record = runner.record(id);
    EXPECT_EQ(record->state, PipelineState::failed);
    EXPECT_EQ(record->steps[1].state, StepState::failed);
    EXPECT_NE(record->steps[1].detail.find("timed out"), std::string::npos);
    EXPECT_EQ(record->steps[2].state, StepState::skipped);
    EXPECT_EQ(record->undone(), (std::vector<std::string>{"hang", "c"}));
    pending["hang"](StepResult::ok());  // a late answer changes nothing
    EXPECT_EQ(runner.record(id)->state, PipelineState::failed);
}

TEST_F(PipelineTest, RetriesWithDoublingBackoffThenSucceeds) {
    const auto t0 = clock.now();
    const auto id = runner.submit({"up", "node1", {flaky("attr", 2, 3, 100ms)}});
    clock.advance(1s);
    ASSERT_EQ(tries.size(), 3u);
    EXPECT_EQ(tries[0] - t0, 0ms);
    EXPECT_EQ(tries[1] - tries[0], 100ms);
    EXPECT_EQ(tries[2] - tries[1], 200ms);
    auto record = runner.record(id);
    EXPECT_EQ(record->state, PipelineState::succeeded);
    EXPECT_EQ(record->steps[0].attempts, 3);
}

TEST_F(PipelineTest, RetriesAreBounded) {
    const auto id = runner.submit({"up", "node1", {flaky("attr", 100, 4, 10ms)}});
    clock.advance(10s);
    EXPECT_EQ(tries.size(), 4u);
    EXPECT_EQ(runner.record(id)->state, PipelineState::failed);
    EXPECT_EQ(runner.record(id)->steps[0].detail, "boom");
}

TEST_F(PipelineTest, AnOptionalStepsFailureDoesNotStopThePipeline) {
    Step wait = flaky("wait", 1, 1, 0ms);
    wait.optional = true;
    const auto id = runner.submit({"down", "node1", {wait, instant("after")}});
    EXPECT_EQ(ran, (std::vector<std::string>{"after"}));
    EXPECT_EQ(runner.record(id)->state, PipelineState::failed);  // still says something failed
    EXPECT_EQ(runner.record(id)->undone(), (std::vector<std::string>{"wait"}));
}

TEST_F(PipelineTest, ARequestWhileOneRunsIsQueuedAndTheLatestWins) {
    const auto down = runner.submit({"down", "node1", {manual("d1")}});
    const auto up = runner.submit({"up", "node1", {instant("u1")}});
    const auto drain = runner.submit({"drain", "node1", {instant("r1")}});
    EXPECT_EQ(runner.record(up)->state, PipelineState::superseded);
    EXPECT_EQ(runner.record(drain)->state, PipelineState::queued);
    EXPECT_EQ(ran, (std::vector<std::string>{"d1"}));  // the running one is never interrupted
    pending["d1"](StepResult::ok());
    EXPECT_EQ(runner.record(down)->state, PipelineState::succeeded);
    EXPECT_EQ(runner.record(drain)->state, PipelineState::succeeded);
    EXPECT_EQ(ran, (std::vector<std::string>{"d1", "r1"}));
}

TEST_F(PipelineTest, TheSameRequestTwiceIsADuplicate) {
    runner.submit({"down", "node1", {manual("d1")}});
    const auto again = runner.submit({"down", "node1", {manual("d1")}});
    EXPECT_EQ(runner.record(again)->state, PipelineState::duplicate);
    const auto up = runner.submit({"up", "node1", {instant("u")}});
    const auto up_again = runner.submit({"up", "node1", {instant("u")}});
    EXPECT_EQ(runner.record(up)->state, PipelineState::queued);
    EXPECT_EQ(runner.record(up_again)->state, PipelineState::duplicate);
}

TEST_F(PipelineTest, TargetsRunIndependently) {
    runner.submit({"grace", "10.0.0.1", {manual("g1")}});
    runner.submit({"grace", "10.0.0.2", {manual("g2")}});
    EXPECT_EQ(ran, (std::vector<std::string>{"g1", "g2"}));
    EXPECT_TRUE(runner.busy("10.0.0.1"));
    EXPECT_TRUE(runner.busy("10.0.0.2"));
}

TEST_F(PipelineTest, EveryStepStartAndEndIsObserved) {
    runner.submit({"up", "node1", {instant("a"), instant("b")}});
    EXPECT_EQ(log, (std::vector<std::string>{"up:running", "up/a:running", "up/a:succeeded", "up/b:running",
                                             "up/b:succeeded", "up:succeeded"}));
}

TEST_F(PipelineTest, ADoubleCompletionIsIgnored) {
    int runs = 0;
    Step twice{"twice", [&](StepDone done) {
                   ++runs;
                   done(StepResult::ok());
                   done({std::make_error_code(std::errc::io_error), "second call"});
               }};
    const auto id = runner.submit({"up", "node1", {twice, instant("next")}});
    EXPECT_EQ(runner.record(id)->state, PipelineState::succeeded);
    EXPECT_EQ(ran, (std::vector<std::string>{"next"}));
}

TEST_F(PipelineTest, HistoryIsBounded) {
    PipelineRunner small(clock, nullptr, 3);
    for (int i = 0; i < 10; ++i) small.submit({"p" + std::to_string(i), "t", {instant("s")}});
    auto records = small.records();
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records.front().name, "p9");
}

}  // namespace
}  // namespace gha
