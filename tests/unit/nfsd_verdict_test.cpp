#include "service/nfsd_verdict.hpp"

#include <gtest/gtest.h>

namespace gha {
namespace {

MonitorStatus monitor(std::string kind, Health health, std::string reason = "ok") {
    MonitorStatus s;
    s.name = kind;
    s.kind = kind;
    s.health = health;
    s.last = {health == Health::healthy ? Outcome::success : Outcome::failure, std::move(reason), "detail"};
    return s;
}

TEST(NfsdVerdict, HealthyWhenEveryMonitorIs) {
    EXPECT_EQ(nfsd_verdict({monitor("pid", Health::healthy), monitor("rpc-null", Health::healthy)}).code,
              NfsdVerdict::running);
}

TEST(NfsdVerdict, ADeadProcessIsNotRunningEvenIfOthersHaveNotNoticed) {
    for (const char* reason : {"exited", "no-pidfile", "stale-pidfile"})
        EXPECT_EQ(nfsd_verdict({monitor("pid", Health::unhealthy, reason), monitor("rpc-null", Health::healthy)}).code,
                  NfsdVerdict::not_running)
            << reason;
}

TEST(NfsdVerdict, AHungServerIsFailedNotStopped) {
    auto v = nfsd_verdict({monitor("pid", Health::healthy), monitor("rpc-null", Health::unhealthy, "timeout")});
    EXPECT_EQ(v.code, NfsdVerdict::failed);
    EXPECT_NE(v.text.find("timeout"), std::string::npos);
}

TEST(NfsdVerdict, HungMeansALiveProcessThatAProbeJudgedUnhealthy) {
    EXPECT_TRUE(nfsd_hung({monitor("pid", Health::healthy), monitor("rpc-null", Health::unhealthy, "timeout")}));
    EXPECT_TRUE(nfsd_hung({monitor("pid", Health::healthy), monitor("rpc-null", Health::healthy),
                           monitor("dbus-heartbeat", Health::unhealthy, "no-heartbeat")}));
    // Gone, healthy, or no pid monitor to vouch that a process is there.
    EXPECT_FALSE(nfsd_hung({monitor("pid", Health::unhealthy, "exited"), monitor("rpc-null", Health::unhealthy, "timeout")}));
    EXPECT_FALSE(nfsd_hung({monitor("pid", Health::healthy), monitor("rpc-null", Health::healthy)}));
    EXPECT_FALSE(nfsd_hung({monitor("rpc-null", Health::unhealthy, "timeout")}));
    // A restarted server whose probes were voided by the old one's exit has
    // not been judged yet.
    EXPECT_FALSE(nfsd_hung({monitor("pid", Health::healthy), monitor("rpc-null", Health::unhealthy, "server-exited")}));
    EXPECT_FALSE(nfsd_hung({monitor("pid", Health::healthy), monitor("rpc-null", Health::unknown)}));
}

// Lab, cold start: rpc-null refused while no ganesha ran (t=0); ganesha
// started (pid healthy at t=5 s) and was fenced by the nfsd-down pipeline
// begun at t=0, before rpc-null (rise 2) could see it answer.
TEST(NfsdVerdict, AProbeThatWentBadBeforeThisProcessWasSeenHasNotJudgedIt) {
    const TimePoint t0{std::chrono::seconds(100)}, started{std::chrono::seconds(105)};
    auto pid = monitor("pid", Health::healthy);
    pid.last_change = started;
    auto refused = monitor("rpc-null", Health::unhealthy, "refused");
    refused.last_change = t0;
    EXPECT_EQ(nfsd_verdict({pid, refused}).code, NfsdVerdict::failed);  // still not serving: no VIP here
    EXPECT_FALSE(nfsd_hung({pid, refused}));
    // The same probe failing after the process was seen: it judged this one.
    auto timeout = monitor("rpc-null", Health::unhealthy, "timeout");
    timeout.last_change = started + std::chrono::seconds(3);
    EXPECT_TRUE(nfsd_hung({pid, timeout}));
    EXPECT_TRUE(nfsd_hung({pid, refused, timeout}));
}

TEST(NfsdVerdict, RefusedMeansNotRunningOnlyWithoutALiveProcess) {
    EXPECT_EQ(nfsd_verdict({monitor("pid", Health::healthy), monitor("rpc-null", Health::unhealthy, "refused")}).code,
              NfsdVerdict::failed);
    EXPECT_EQ(nfsd_verdict({monitor("rpc-null", Health::unhealthy, "refused")}).code, NfsdVerdict::not_running);
}

// Missing heartbeats mean a stuck or overloaded server, or one that cannot
// be reached over D-Bus (where grace is asked for): unwell, not stopped.
TEST(NfsdVerdict, NoHeartbeatIsFailedUnlessThePidMonitorSaysTheProcessIsGone) {
    for (const char* reason : {"no-heartbeat", "reported-unhealthy", "service_unknown", "bus_unreachable"}) {
        SCOPED_TRACE(reason);
        const auto hung = nfsd_verdict({monitor("pid", Health::healthy), monitor("rpc-null", Health::healthy),
                                        monitor("dbus-heartbeat", Health::unhealthy, reason)});
        EXPECT_EQ(hung.code, NfsdVerdict::failed);
        EXPECT_NE(hung.text.find(reason), std::string::npos) << hung.text;
        EXPECT_EQ(nfsd_verdict({monitor("dbus-heartbeat", Health::unhealthy, reason)}).code, NfsdVerdict::failed);
        EXPECT_EQ(nfsd_verdict({monitor("dbus-heartbeat", Health::unhealthy, reason),
                                monitor("pid", Health::unhealthy, "exited")})
                      .code,
                  NfsdVerdict::not_running);
    }
}

TEST(NfsdVerdict, UnknownOrNoMonitorsIsFailed) {
    EXPECT_EQ(nfsd_verdict({monitor("pid", Health::unknown)}).code, NfsdVerdict::failed);
    EXPECT_EQ(nfsd_verdict({}).code, NfsdVerdict::failed);
}

}  // namespace
}  // namespace gha
