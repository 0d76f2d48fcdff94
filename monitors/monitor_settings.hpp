// The monitors' settings: the timings of one monitor (MonitorSession and
// the monitors built on it, and the per-peer rise/fall of the heartbeats)
// and the heartbeats' default port. The monitors own them;
// service/config.cpp fills them from HA_MONITOR_* and HA_HEARTBEAT_* keys.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace gha {

using Millis = std::chrono::milliseconds;

// Timings of one monitor; worst-case detection time is derived from these.
struct MonitorSettings {
    bool enabled = true;
    Millis interval{1000};
    Millis timeout{1000};
    Millis jitter{0};  // each period is interval + uniform[0, jitter]
    int rise = 2;      // consecutive successes to become healthy
    int fall = 2;      // consecutive failures to become unhealthy

    // fall periods plus the timeout of the last probe; a period is at least
    // the timeout because probes never overlap. Values from the configuration
    // are bounded (1 hour, fall <= 100), far from overflowing the count.
    Millis detection_bound() const { return fall * std::max(interval + jitter, timeout) + timeout; }
    bool operator==(const MonitorSettings&) const = default;
};

// UDP port of the peer heartbeats (PeerHeartbeatOptions::port,
// HA_HEARTBEAT_PORT): in IANA's dynamic range (49152-65535, never assigned
// to a service, so no well-known clash) and above Linux's default ephemeral
// range (32768-60999), so an outgoing connection never holds it. Not 9587
// (ganesha's own exporter).
inline constexpr std::uint16_t kDefaultHeartbeatPort = 62049;

}  // namespace gha
