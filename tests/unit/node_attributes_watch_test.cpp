// The persistent drain's (and cluster move's) watch: this node's permanent
// attributes read every 2 s, one query at a time, edges reported, our own
// writes not undone by a read that started before them. Fake clock; the
// tool's answers are given by hand, when the test says.
#include "service/node_attributes_watch.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "service/drain_sources.hpp"
#include "tests/support/fake_clock.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;

const std::string kDrained =
    "<node id=\"1\" uname=\"node1\">\n  <instance_attributes id=\"nodes-1\">\n"
    "    <nvpair id=\"nodes-1-ganesha-drained\" name=\"ganesha-drained\" value=\"1\"/>\n"
    "  </instance_attributes>\n</node>\n";
const std::string kNothing = "<node id=\"1\" uname=\"node1\"/>\n";

// Answers only when the test says so.
class HeldRunner final : public CommandRunner {
public:
    Cancel run(std::vector<std::string> argv, ChildOptions, Handler handler) override {
        calls.push_back(argv);
        pending.push_back(std::move(handler));
        return [] {};
    }
    void answer(int exit_code, const std::string& out = "") {
        ASSERT_FALSE(pending.empty());
        auto handler = std::move(pending.front());
        pending.pop_front();
        ChildResult r;
        r.program = "cibadmin";
        r.exit_code = exit_code;
        r.out = out;
        handler(r);
    }
    std::deque<Handler> pending;
    std::vector<std::vector<std::string>> calls;
};

class WatchTest : public ::testing::Test {
protected:
    WatchTest() {
        NodeAttributesWatch::Callbacks callbacks;
        callbacks.changed = [this](const NodeAttributes& now) { changes.push_back(now); };
        callbacks.failed = [this](const std::string& why) { failures.push_back(why); };
        callbacks.answered = [this] { ++answered; };
        watch = std::make_unique<NodeAttributesWatch>(clock, actions, callbacks);
    }
    bool drained() const { return watch->value("ganesha-drained") == "1"; }

    test::FakeClock clock;
    HeldRunner runner;
    PacemakerActions actions{runner, PacemakerTools{}};
    std::unique_ptr<NodeAttributesWatch> watch;
    std::vector<NodeAttributes> changes;
    std::vector<std::string> failures;
    int answered = 0;
};

TEST(NodeAttributesXml, NvpairsOfTheNodeElement) {
    const auto a = parse_node_attributes(kDrained);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->at("ganesha-drained"), "1");
    EXPECT_TRUE(parse_node_attributes(kNothing)->empty());
    EXPECT_FALSE(parse_node_attributes("<status/>"));
    EXPECT_FALSE(parse_node_attributes("not xml <"));
}

TEST(NodeAttributesXml, TrueSpellings) {
    for (const char* yes : {"1", "true", "yes", "on", "y"}) EXPECT_TRUE(attribute_true(yes)) << yes;
    for (const char* no : {"", "0", "false", "no", "2"}) EXPECT_FALSE(attribute_true(no)) << no;
}

TEST_F(WatchTest, ReadsAtStartThenEveryTwoSecondsOneAtATime) {
    watch->start("node1");
    ASSERT_EQ(runner.calls.size(), 1u);
    EXPECT_EQ(runner.calls[0], (std::vector<std::string>{"cibadmin", "--query", "--xpath",
                                                         "/cib/configuration/nodes/node[@uname='node1']"}));
    EXPECT_EQ(answered, 0);
    clock.advance(10s);  // the first read has not answered: no second one
    EXPECT_EQ(runner.calls.size(), 1u);
    runner.answer(0, kDrained);
    EXPECT_EQ(answered, 1);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_TRUE(drained());
    clock.advance(1999ms);
    EXPECT_EQ(runner.calls.size(), 1u);
    clock.advance(1ms);
    ASSERT_EQ(runner.calls.size(), 2u);
    runner.answer(0, kDrained);  // the same: no change reported
    EXPECT_EQ(changes.size(), 1u);
    clock.advance(2s);
    runner.answer(0, kNothing);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_FALSE(drained());
    EXPECT_EQ(answered, 1);
}

TEST_F(WatchTest, ANodeNotInTheCibYetHasNoAttributes) {
    watch->start("node1");
    runner.answer(105);  // cibadmin: no <node> matches the XPath
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_TRUE(changes[0].empty());
    EXPECT_TRUE(failures.empty());
}

TEST_F(WatchTest, FailuresAreReportedOncePerStreakAndStillCountAsAnswered) {
    watch->start("node1");
    runner.answer(102);  // no cluster
    EXPECT_EQ(answered, 1);
    ASSERT_EQ(failures.size(), 1u);
    EXPECT_NE(failures[0].find("no cluster running"), std::string::npos) << failures[0];
    EXPECT_FALSE(watch->attributes());
    clock.advance(2s);
    runner.answer(102);
    EXPECT_EQ(failures.size(), 1u);
    clock.advance(2s);
    runner.answer(0, kDrained);
    EXPECT_TRUE(drained());
    clock.advance(2s);
    runner.answer(102);
    EXPECT_EQ(failures.size(), 2u);
    EXPECT_TRUE(drained());  // an error keeps what was known
}

TEST_F(WatchTest, AReadStartedBeforeOurWriteDoesNotUndoIt) {
    watch->start("node1");
    runner.answer(0, kNothing);
    clock.advance(2s);
    ASSERT_EQ(runner.pending.size(), 1u);  // a read is under way ...
    watch->writing();                      // ... when our drain writes the attribute
    runner.answer(0, kNothing);            // it read the old value: ignored
    EXPECT_EQ(changes.size(), 1u);
    clock.advance(10s);  // no read while the write is pending
    EXPECT_TRUE(runner.pending.empty());
    watch->wrote(true, "ganesha-drained", "1");
    EXPECT_TRUE(drained());
    clock.advance(2s);
    runner.answer(0, kDrained);  // what we wrote: no change to report
    EXPECT_EQ(changes.size(), 1u);
}

TEST_F(WatchTest, AFailedWriteLeavesTheCibAsTheTruth) {
    watch->start("node1");
    runner.answer(0, kNothing);
    watch->writing();
    watch->wrote(false, "ganesha-drained", "1");
    EXPECT_FALSE(watch->attributes());
    clock.advance(2s);
    runner.answer(0, kNothing);  // reported again: the owner undoes what it did
    EXPECT_EQ(changes.size(), 2u);
}

TEST_F(WatchTest, StopEndsThePolling) {
    watch->start("node1");
    runner.answer(0, kNothing);
    watch->stop();
    clock.advance(10s);
    EXPECT_EQ(runner.calls.size(), 1u);
}

TEST(DrainSources, TheNodeServesOnlyWhenNobodyDrainsIt) {
    DrainSources drains;
    EXPECT_TRUE(drains.set(DrainSource::operator_request, true));
    EXPECT_FALSE(drains.set(DrainSource::agent, true));  // already drained
    EXPECT_FALSE(drains.set(DrainSource::agent, false));  // ganesha_mon's start: the operator's drain stays
    EXPECT_TRUE(drains.drained());
    EXPECT_TRUE(drains.set(DrainSource::operator_request, false));
    EXPECT_FALSE(drains.drained());
    EXPECT_EQ(std::string(to_string(DrainSource::operator_request)), "operator");
}

}  // namespace
}  // namespace gha
