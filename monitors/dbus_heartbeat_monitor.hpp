// Listens to ganesha's heartbeat signal (about one per second while its
// request queue makes progress) instead of probing. Every heartbeat is a
// success, one saying healthy=false a "reported-unhealthy" failure. A silence
// counts one "no-heartbeat" failure when it has lasted interval + timeout
// (timeout is how late a heartbeat may be without counting as missed), and
// one more each further interval; so the fall-th failure, the unhealthy edge,
// comes fall x interval + timeout after the last heartbeat — the session's
// detection_bound() while timeout <= interval, which the configuration
// enforces. A silence while the bus is gone or ganesha's name has no owner is
// reported with that reason (bus_unreachable, service_unknown) instead.
//
// Only one deadline wait exists at a time: each heartbeat re-arms it, and a
// wait that completes after it was superseded does nothing.
#pragma once

#include <cstdint>
#include <memory>

#include "monitors/heartbeat_source.hpp"
#include "monitors/monitor_session.hpp"

namespace gha {

class DbusHeartbeatMonitor final : public MonitorSession {
public:
    static constexpr const char* kName = "dbus-heartbeat";

    DbusHeartbeatMonitor(Clock& clock, const MonitorSettings& settings, std::shared_ptr<HeartbeatSource> source,
                         Listener listener);
    ~DbusHeartbeatMonitor() override;

private:
    void begin() override;
    void on_stop() override;
    void start_probe(ProbeId) override {}  // never called: begin() launches no probes

    void on_heartbeat(bool healthy);
    void on_silence(std::uint64_t wait);
    void arm(Duration delay);

    std::shared_ptr<HeartbeatSource> source_;
    std::unique_ptr<Timer> deadline_;
    std::uint64_t wait_ = 0;  // the current deadline wait; older ones do nothing
    TimePoint last_heard_{};  // last heartbeat, or the start
};

}  // namespace gha
