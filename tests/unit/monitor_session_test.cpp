// The session framework with a fake probe and the fake clock: time moves only
// when the test advances it, so every timing assertion is exact.
#include "monitors/monitor_session.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "tests/support/fake_clock.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;
using test::FakeClock;

// A probe the test answers by hand (or never, to simulate a hang).
class ScriptedMonitor final : public MonitorSession {
public:
    using MonitorSession::MonitorSession;
    std::vector<TimePoint> starts;
    std::vector<ProbeId> ids;
    int aborted = 0;
    int concurrent = 0;
    int max_concurrent = 0;
    std::deque<ProbeResult> immediate;  // answers given from inside start_probe

    void answer(ProbeResult result) {
        --concurrent;
        complete_probe(ids.back(), std::move(result));
    }
    void answer_stale(ProbeId id, ProbeResult result) { complete_probe(id, std::move(result)); }
    void event(ProbeResult result) { report(std::move(result)); }

private:
    void start_probe(ProbeId id) override {
        starts.push_back(clock().now());
        ids.push_back(id);
        max_concurrent = std::max(max_concurrent, ++concurrent);
        if (!immediate.empty()) {
            auto r = immediate.front();
            immediate.pop_front();
            --concurrent;
            complete_probe(id, r);
        }
    }
    void abort_probe() override {
        ++aborted;
        --concurrent;
    }
};

struct Edge {
    Health to;
    std::string reason;
    TimePoint at;
};

class MonitorSessionTest : public ::testing::Test {
protected:
    std::shared_ptr<ScriptedMonitor> make(MonitorSettings s) {
        auto m = std::make_shared<ScriptedMonitor>(
            "scripted", "test", s, clock,
            [this](const MonitorSession& session, Transition t, const ProbeResult& r) {
                transitions.push_back(t);
                if (t == Transition::changed) edges.push_back({session.health(), r.reason, clock.now()});
            });
        m->seed_jitter(42);
        return m;
    }
    static MonitorSettings settings(Millis interval, Millis timeout, int rise, int fall, Millis jitter = 0ms) {
        MonitorSettings s;
        s.interval = interval;
        s.timeout = timeout;
        s.rise = rise;
        s.fall = fall;
        s.jitter = jitter;
        return s;
    }

    FakeClock clock;
    std::vector<Transition> transitions;
    std::vector<Edge> edges;
};

TEST_F(MonitorSessionTest, ProbesAtEveryIntervalFromProbeStart) {
    auto m = make(settings(1000ms, 300ms, 1, 1));
    const TimePoint t0 = clock.now();
    m->start();
    ASSERT_EQ(m->starts.size(), 1u);
    m->answer(ProbeResult::ok());
    clock.advance(200ms);
    clock.advance(799ms);
    EXPECT_EQ(m->starts.size(), 1u);
    clock.advance(1ms);
    ASSERT_EQ(m->starts.size(), 2u);
    EXPECT_EQ(m->starts[1] - t0, 1000ms);
}

TEST_F(MonitorSessionTest, TimeoutCountsAsFailureAndTearsTheProbeDown) {
    auto m = make(settings(1000ms, 300ms, 1, 1));
    m->start();
    m->answer(ProbeResult::ok());
    clock.advance(1000ms);  // second probe starts, never answered
    clock.advance(299ms);
    EXPECT_EQ(m->health(), Health::healthy);
    clock.advance(1ms);
    EXPECT_EQ(m->aborted, 1);
    EXPECT_EQ(m->health(), Health::unhealthy);
    ASSERT_EQ(edges.size(), 2u);
    EXPECT_EQ(edges[1].reason, "timeout");
}

TEST_F(MonitorSessionTest, ALateAnswerAfterTheTimeoutIsIgnored) {
    auto m = make(settings(1000ms, 300ms, 1, 1));
    m->start();
    const auto first = m->ids.back();
    clock.advance(300ms);  // first probe timed out
    EXPECT_EQ(m->health(), Health::unhealthy);
    m->answer_stale(first, ProbeResult::ok());
    EXPECT_EQ(m->health(), Health::unhealthy);
}

TEST_F(MonitorSessionTest, ProbesNeverOverlapWhenTheTimeoutExceedsTheInterval) {
    auto m = make(settings(100ms, 1000ms, 1, 1));
    m->start();
    clock.advance(999ms);
    EXPECT_EQ(m->starts.size(), 1u);  // period elapsed long ago, probe still running
    clock.advance(1ms);               // timeout ends it; the due probe starts at once
    EXPECT_EQ(m->starts.size(), 2u);
    EXPECT_EQ(m->max_concurrent, 1);
    m->answer(ProbeResult::ok());
    clock.advance(100ms);
    EXPECT_EQ(m->starts.size(), 3u);
    EXPECT_EQ(m->max_concurrent, 1);
}

TEST_F(MonitorSessionTest, HangIsDetectedWithinTheDetectionBound) {
    // The worst case: the target hangs right after a successful probe.
    const auto s = settings(1000ms, 1000ms, 2, 2);
    auto m = make(s);
    m->start();
    m->answer(ProbeResult::ok());
    const TimePoint hang = clock.now();
    while (edges.size() < 2 && clock.now() - hang < 60s) clock.advance(1ms);
    ASSERT_EQ(edges.size(), 2u);
    EXPECT_EQ(edges[1].to, Health::unhealthy);
    EXPECT_LE(edges[1].at - hang, s.detection_bound());
    EXPECT_EQ(s.detection_bound(), 3000ms);
}

TEST_F(MonitorSessionTest, RiseAndFallAreCountedAcrossProbes) {
    auto m = make(settings(1000ms, 500ms, 2, 3));
    m->start();
    m->answer(ProbeResult::ok());
    for (int i = 0; i < 2; ++i) {
        clock.advance(1000ms);
        m->answer(ProbeResult::failed("refused", "x"));
        EXPECT_EQ(m->health(), Health::healthy);
    }
    clock.advance(1000ms);
    m->answer(ProbeResult::failed("refused", "x"));
    EXPECT_EQ(m->health(), Health::unhealthy);
    clock.advance(1000ms);
    m->answer(ProbeResult::ok());
    EXPECT_EQ(m->health(), Health::unhealthy);
    clock.advance(1000ms);
    m->answer(ProbeResult::ok());
    EXPECT_EQ(m->health(), Health::healthy);
    EXPECT_EQ(edges.size(), 3u);  // unknown->healthy, ->unhealthy, ->healthy
    EXPECT_EQ(std::count(transitions.begin(), transitions.end(), Transition::pending), 3);
}

TEST_F(MonitorSessionTest, AReportBetweenProbesCountsAtOnce) {
    auto m = make(settings(1000ms, 500ms, 2, 5));
    m->start();
    m->answer(ProbeResult::ok());
    clock.advance(10ms);
    m->event(ProbeResult::down("exited", "pid 7 exited"));
    EXPECT_EQ(m->health(), Health::unhealthy);
    EXPECT_EQ(edges.back().at - edges.front().at, 10ms);
}

// A server restarted between probes: the answers of the old process must not
// vouch for the new one, so invalidate() drops health at once and the new
// process needs the full rise.
TEST_F(MonitorSessionTest, InvalidateStartsHealthOverAndNeedsTheFullRise) {
    auto m = make(settings(1000ms, 500ms, 2, 5));
    m->start();
    m->answer(ProbeResult::ok());
    ASSERT_EQ(m->health(), Health::healthy);
    m->invalidate("server-exited", "gone");
    EXPECT_EQ(m->health(), Health::unhealthy);
    EXPECT_EQ(edges.back().reason, "server-exited");
    m->invalidate("server-exited", "again");
    EXPECT_EQ(edges.size(), 2u) << "invalidating an unhealthy monitor changes nothing";
    clock.advance(1000ms);
    m->answer(ProbeResult::ok());
    EXPECT_EQ(m->health(), Health::unhealthy) << "one answer is not rise 2";
    clock.advance(1000ms);
    m->answer(ProbeResult::ok());
    EXPECT_EQ(m->health(), Health::healthy);
}

TEST_F(MonitorSessionTest, JitterStaysWithinItsBound) {
    auto m = make(settings(1000ms, 100ms, 1, 1, 200ms));
    m->immediate.assign(200, ProbeResult::ok());
    m->start();
    clock.advance(150s);
    ASSERT_GT(m->starts.size(), 120u);
    bool varied = false;
    for (std::size_t i = 1; i < m->starts.size(); ++i) {
        const auto gap = m->starts[i] - m->starts[i - 1];
        EXPECT_GE(gap, 1000ms);
        EXPECT_LE(gap, 1200ms);
        varied = varied || gap != m->starts[1] - m->starts[0];
    }
    EXPECT_TRUE(varied);
}

TEST_F(MonitorSessionTest, StopCancelsTimersAndTheProbe) {
    auto m = make(settings(1000ms, 500ms, 1, 1));
    m->start();
    m->stop();
    EXPECT_EQ(m->aborted, 1);
    clock.advance(10s);
    EXPECT_EQ(m->starts.size(), 1u);
    EXPECT_EQ(clock.pending(), 0u);
}

TEST_F(MonitorSessionTest, HandlersDoNothingOnceTheSessionIsGone) {
    auto m = make(settings(1000ms, 500ms, 1, 1));
    m->start();
    m.reset();  // timers destroyed with it: their waits complete as aborted
    clock.advance(10s);
    EXPECT_EQ(edges.size(), 0u);
}

TEST(DetectionBound, IsFallPeriodsPlusTheTimeout) {
    MonitorSettings s;
    s.interval = 1000ms;
    s.timeout = 1000ms;
    s.fall = 2;
    EXPECT_EQ(s.detection_bound(), 3000ms);
    s.jitter = 100ms;
    EXPECT_EQ(s.detection_bound(), 3200ms);
    s.timeout = 5000ms;  // a period can't be shorter than the timeout: no overlap
    EXPECT_EQ(s.detection_bound(), 15000ms);
}

}  // namespace
}  // namespace gha
