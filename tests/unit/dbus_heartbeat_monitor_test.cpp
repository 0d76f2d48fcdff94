// The dbus-heartbeat monitor's rules with a fake clock and a heartbeat source
// the test fires by hand: time only moves in advance(), nothing sleeps.
#include "monitors/dbus_heartbeat_monitor.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/support/fake_clock.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;

class FakeSource final : public HeartbeatSource {
public:
    void listen(Handler h) override {
        handler = std::move(h);
        ++listens;
    }
    void stop_listening() override {
        handler = nullptr;
        ++stops;
    }
    Diagnosis diagnose() override {
        ++diagnoses;
        return diagnosis;
    }
    void beat(bool healthy = true) {
        if (handler) handler(healthy);
    }

    Handler handler;
    Diagnosis diagnosis;
    int listens = 0, stops = 0, diagnoses = 0;
};

struct Seen {
    Transition transition;
    Health health;
    std::string reason;
    TimePoint at;
};

MonitorSettings defaults() {
    MonitorSettings s;  // what the configuration gives dbus-heartbeat
    s.interval = 1000ms;
    s.timeout = 500ms;
    s.rise = 1;
    s.fall = 3;
    return s;
}

class DbusHeartbeatMonitorTest : public ::testing::Test {
protected:
    void make(MonitorSettings settings = defaults()) {
        monitor = std::make_shared<DbusHeartbeatMonitor>(
            clock, settings, source, [this](const MonitorSession& m, Transition t, const ProbeResult& r) {
                seen.push_back({t, m.health(), r.reason, clock.now()});
            });
    }
    void start(MonitorSettings settings = defaults()) {
        make(settings);
        monitor->start();
        started = clock.now();
    }
    // Beats every `period` for `count` beats, starting one period from now.
    void beats(int count, Duration period = 1000ms) {
        for (int i = 0; i < count; ++i) {
            clock.advance(period);
            source->beat();
        }
    }
    std::vector<Seen> edges() const {
        std::vector<Seen> out;
        for (const auto& s : seen)
            if (s.transition == Transition::changed) out.push_back(s);
        return out;
    }

    test::FakeClock clock;
    std::shared_ptr<FakeSource> source = std::make_shared<FakeSource>();
    std::shared_ptr<DbusHeartbeatMonitor> monitor;
    std::vector<Seen> seen;
    TimePoint started;
};

TEST_F(DbusHeartbeatMonitorTest, TheFirstHeartbeatMakesItHealthy) {
    start();
    EXPECT_EQ(source->listens, 1);
    EXPECT_EQ(monitor->health(), Health::unknown);
    clock.advance(400ms);
    source->beat();
    EXPECT_EQ(monitor->health(), Health::healthy);
    ASSERT_EQ(edges().size(), 1u);
    EXPECT_EQ(monitor->status().last.reason, "ok");
    EXPECT_EQ(monitor->status().last_success, clock.now());
    EXPECT_EQ(monitor->status().kind, "dbus-heartbeat");
}

TEST_F(DbusHeartbeatMonitorTest, LateButNotMissedHeartbeatsCountNoFailure) {
    start();
    // ganesha's period wanders: gaps from 0.6 s to just under 1.5 s
    // (interval + timeout, when a period counts as missed).
    const Duration gaps[] = {1000ms, 1100ms, 600ms, 1490ms, 1400ms, 900ms, 1000ms, 1499ms, 700ms, 1300ms};
    for (int round = 0; round < 6; ++round)
        for (const auto gap : gaps) {
            clock.advance(gap);
            source->beat();
        }
    EXPECT_EQ(monitor->status().failures, 0u);
    EXPECT_EQ(monitor->status().probes, 60u);  // one result per heartbeat
    EXPECT_EQ(edges().size(), 1u);
    EXPECT_EQ(clock.pending(), 1u) << "one deadline wait at a time";
}

TEST_F(DbusHeartbeatMonitorTest, SilenceIsUnhealthyFallPeriodsPlusTimeoutAfterTheLastHeartbeat) {
    start();
    beats(5);
    const TimePoint last = clock.now();
    clock.advance(1499ms);
    EXPECT_EQ(monitor->status().failures, 0u);
    clock.advance(1ms);  // 1.5 s: the first missed period
    EXPECT_EQ(monitor->status().failures, 1u);
    EXPECT_EQ(monitor->status().last.reason, "no-heartbeat");
    EXPECT_EQ(monitor->status().last.detail, "no heartbeat for 1500 ms");
    EXPECT_EQ(monitor->health(), Health::healthy);
    clock.advance(1000ms);
    EXPECT_EQ(monitor->status().failures, 2u);
    EXPECT_EQ(monitor->health(), Health::healthy);
    clock.advance(999ms);
    EXPECT_EQ(monitor->health(), Health::healthy);
    clock.advance(1ms);
    EXPECT_EQ(monitor->health(), Health::unhealthy);
    EXPECT_EQ(clock.now() - last, monitor->status().settings.detection_bound());  // 3.5 s
    ASSERT_EQ(edges().size(), 2u);
    EXPECT_EQ(edges().back().reason, "no-heartbeat");
    EXPECT_EQ(edges().back().at - last, 3500ms);
    // Still silent: one failure per further period, no new edge.
    clock.advance(5000ms);
    EXPECT_EQ(monitor->status().failures, 8u);
    EXPECT_EQ(edges().size(), 2u);
    EXPECT_EQ(clock.pending(), 1u);
}

TEST_F(DbusHeartbeatMonitorTest, OneHeartbeatBringsItBackWithRiseOne) {
    start();
    beats(2);
    clock.advance(10s);
    ASSERT_EQ(monitor->health(), Health::unhealthy);
    source->beat();
    EXPECT_EQ(monitor->health(), Health::healthy);
    ASSERT_EQ(edges().size(), 3u);
    // And the deadline starts over from that heartbeat.
    clock.advance(1499ms);
    EXPECT_EQ(monitor->status().last.reason, "ok");
}

TEST_F(DbusHeartbeatMonitorTest, RiseTwoNeedsTwoHeartbeats) {
    auto settings = defaults();
    settings.rise = 2;
    start(settings);
    beats(1);
    clock.advance(10s);
    ASSERT_EQ(monitor->health(), Health::unhealthy);
    source->beat();
    EXPECT_EQ(monitor->health(), Health::unhealthy);
    EXPECT_EQ(seen.back().transition, Transition::pending);
    beats(1);
    EXPECT_EQ(monitor->health(), Health::healthy);
}

TEST_F(DbusHeartbeatMonitorTest, AnInterruptedSilenceStartsOver) {
    start();
    beats(1);
    // Two missed periods, then a heartbeat: the counter is full again.
    clock.advance(2500ms);
    EXPECT_EQ(monitor->status().failures, 2u);
    source->beat();
    clock.advance(3499ms);
    EXPECT_EQ(monitor->health(), Health::healthy);
    clock.advance(1ms);
    EXPECT_EQ(monitor->health(), Health::unhealthy);
}

TEST_F(DbusHeartbeatMonitorTest, AHeartbeatSayingUnhealthyIsAFailure) {
    start();
    beats(3);
    source->beat(false);
    EXPECT_EQ(monitor->status().last.reason, "reported-unhealthy");
    EXPECT_EQ(monitor->status().failures, 1u);
    EXPECT_EQ(monitor->health(), Health::healthy);  // fall 3
    clock.advance(1000ms);
    source->beat(false);
    clock.advance(1000ms);
    source->beat(false);
    EXPECT_EQ(monitor->health(), Health::unhealthy);
    EXPECT_EQ(edges().back().reason, "reported-unhealthy");
    beats(1);
    EXPECT_EQ(monitor->health(), Health::healthy);
}

TEST_F(DbusHeartbeatMonitorTest, AnUnhealthyHeartbeatStillShowsGaneshaIsAliveForTheDeadline) {
    auto settings = defaults();
    settings.fall = 1;
    start(settings);
    beats(1);
    source->beat(false);
    EXPECT_EQ(monitor->health(), Health::unhealthy);
    // The next silence failure is a full interval + timeout after it.
    clock.advance(1499ms);
    EXPECT_EQ(monitor->status().failures, 1u);
    clock.advance(1ms);
    EXPECT_EQ(monitor->status().failures, 2u);
    EXPECT_EQ(monitor->status().last.reason, "no-heartbeat");
}

TEST_F(DbusHeartbeatMonitorTest, NoHeartbeatAtStartDecidesAfterOnePeriodWithTheBusReason) {
    source->diagnosis = {"service_unknown", "org.ganesha.nfsd has no owner on the bus"};
    start();
    clock.advance(1499ms);
    EXPECT_EQ(monitor->health(), Health::unknown);
    clock.advance(1ms);
    // The first result decides at once: there is no earlier state to keep.
    EXPECT_EQ(monitor->health(), Health::unhealthy);
    EXPECT_EQ(monitor->status().last.reason, "service_unknown");
    EXPECT_EQ(monitor->status().last.detail,
              "no heartbeat for 1500 ms (org.ganesha.nfsd has no owner on the bus)");
    EXPECT_EQ(source->diagnoses, 1);
    source->diagnosis = {"bus_unreachable", "not connected to the bus at unix:path=/nowhere"};
    clock.advance(1000ms);
    EXPECT_EQ(monitor->status().last.reason, "bus_unreachable");
    // The bus came back and so did ganesha.
    source->diagnosis = {};
    clock.advance(1000ms);
    EXPECT_EQ(monitor->status().last.reason, "no-heartbeat");
    source->beat();
    EXPECT_EQ(monitor->health(), Health::healthy);
}

TEST_F(DbusHeartbeatMonitorTest, HeartbeatsFasterThanTheIntervalAreAllSuccesses) {
    start();
    beats(20, 100ms);  // Heartbeat_Freq=100 with the default interval
    EXPECT_EQ(monitor->status().probes, 20u);
    EXPECT_EQ(monitor->status().failures, 0u);
    EXPECT_EQ(clock.pending(), 1u);
}

TEST_F(DbusHeartbeatMonitorTest, NothingAfterStop) {
    start();
    beats(2);
    const auto results = seen.size();
    monitor->stop();
    EXPECT_EQ(source->stops, 1);
    source->handler = [this](bool) { seen.push_back({}); };  // the source must have let go
    clock.advance(10s);
    EXPECT_EQ(seen.size(), results + 0);
    EXPECT_EQ(clock.pending(), 0u);
    EXPECT_EQ(source->diagnoses, 0);
}

TEST_F(DbusHeartbeatMonitorTest, AHeartbeatDeliveredAfterTheMonitorIsGoneDoesNothing) {
    start();
    beats(1);
    // A source that still holds the handler (a delivery already queued on
    // the loop) when the monitor is destroyed.
    auto held = source->handler;
    monitor.reset();
    EXPECT_GE(source->stops, 1);
    ASSERT_TRUE(held);
    held(true);
    held(false);
    clock.advance(10s);
    EXPECT_EQ(seen.size(), 1u);
}

TEST_F(DbusHeartbeatMonitorTest, AStaleDeadlineThatFiresAfterAHeartbeatIsIgnored) {
    start();
    beats(1);
    // The deadline is due at +1.5 s; a heartbeat at exactly that moment
    // re-arms first. The old wait completes aborted and counts nothing.
    clock.advance(1499ms);
    source->beat();
    clock.advance(1ms);
    clock.run_ready();
    EXPECT_EQ(monitor->status().failures, 0u);
    EXPECT_EQ(clock.pending(), 1u);
}

TEST_F(DbusHeartbeatMonitorTest, StopFromTheListenerIsSafe) {
    monitor = std::make_shared<DbusHeartbeatMonitor>(clock, defaults(), source,
                                                     [&](const MonitorSession&, Transition t, const ProbeResult&) {
                                                         if (t == Transition::changed)
                                                             if (auto m = monitor) m->stop();
                                                     });
    monitor->start();
    clock.advance(1500ms);  // unhealthy, and the listener stops it
    EXPECT_EQ(monitor->health(), Health::unhealthy);
    EXPECT_EQ(source->stops, 1);
    clock.advance(10s);
    EXPECT_EQ(monitor->status().failures, 1u);
    EXPECT_EQ(clock.pending(), 0u);
}

}  // namespace
}  // namespace gha
