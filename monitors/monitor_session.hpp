// One session per monitored target (Envoy's health-checker shape): its own
// interval and timeout timers, never two probes at once, a timeout counts as
// a failure, and every result goes through one HealthCounter. Subclasses only
// start a probe, tear it down on timeout, and report its result.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "monitors/clock.hpp"
#include "monitors/health_counter.hpp"
#include "monitors/monitor_settings.hpp"

namespace gha {

struct ProbeResult {
    Outcome outcome = Outcome::success;
    std::string reason;  // short, from a fixed set per monitor ("timeout", "refused", ...)
    std::string detail;  // one human line
    // Set by MonitorSession on probe results (start to result; a timeout
    // counts as the timeout); empty for report()s between probes.
    std::optional<Duration> duration;

    static ProbeResult ok(std::string detail = {}) {
        return {Outcome::success, "ok", std::move(detail)};
    }
    static ProbeResult failed(std::string reason, std::string detail) {
        return {Outcome::failure, std::move(reason), std::move(detail)};
    }
    static ProbeResult down(std::string reason, std::string detail) {
        return {Outcome::definite_failure, std::move(reason), std::move(detail)};
    }
};

// A snapshot for status, the control socket and (later) metrics.
struct MonitorStatus {
    std::string name;
    std::string kind;
    Health health = Health::unknown;
    int counter = 0;
    ProbeResult last;            // last result counted
    TimePoint last_change{};     // of health
    TimePoint last_success{};
    std::uint64_t probes = 0;
    std::uint64_t failures = 0;
    MonitorSettings settings;
};

class MonitorSession : public std::enable_shared_from_this<MonitorSession> {
public:
    // Called after every counted result; transition says whether health
    // moved (changed), the counter moved (pending) or nothing did.
    using Listener =
        std::function<void(const MonitorSession&, Transition, const ProbeResult&)>;
    using ProbeId = std::uint64_t;

    MonitorSession(std::string name, std::string kind, const MonitorSettings& settings,
                   Clock& clock, Listener listener);
    virtual ~MonitorSession() = default;
    MonitorSession(const MonitorSession&) = delete;
    MonitorSession& operator=(const MonitorSession&) = delete;

    // Must be owned by a shared_ptr: async handlers hold weak references.
    void start();  // first probe at once
    void stop();   // cancels timers and any probe in flight; no more results

    const MonitorStatus& status() const { return status_; }
    const std::string& name() const { return status_.name; }
    Health health() const { return counter_.health(); }
    bool probe_in_flight() const { return in_flight_ != 0; }

    // The target behind this monitor was replaced (the server process
    // exited): what was learnt about the old one no longer counts, so health
    // drops to unhealthy now and needs `rise` successes against the new one.
    // Nothing happens when it is already unhealthy.
    void invalidate(std::string reason, std::string detail);

    // Seed for the jitter; tests make it deterministic.
    void seed_jitter(std::uint64_t seed) { rng_.seed(seed); }

protected:
    // Begin probe `id`; finish it with complete_probe(id, result), possibly
    // from inside this call. A late completion after a timeout is ignored.
    virtual void start_probe(ProbeId id) = 0;
    // The probe timed out: release its resources (close the socket, ...).
    virtual void abort_probe() {}
    // The session is stopping: release everything.
    virtual void on_stop() {}
    // What start() does. Probing sessions keep the default (the first probe
    // at once, then one per period); a session that listens for what its
    // target sends (dbus-heartbeat) overrides it, arms its own timers and
    // counts its results with observe().
    virtual void begin() { launch(); }

    void complete_probe(ProbeId id, ProbeResult result);
    // A result that arrives between probes (e.g. the process exit event).
    void report(ProbeResult result);
    // A result of a listening session (see begin()): counted like a probe's,
    // so status shows how many there were.
    void observe(ProbeResult result);

    // False once the probe timed out, was superseded or the session stopped:
    // completions already queued for it must then do nothing.
    bool current(ProbeId id) const { return running_ && id != 0 && in_flight_ == id; }
    Clock& clock() { return clock_; }
    bool running() const { return running_; }
    template <class Fn>
    auto guarded(Fn fn) {  // wraps a handler so it does nothing once we are gone
        return [weak = weak_from_this(), fn = std::move(fn)](auto&&... args) mutable {
            if (auto self = weak.lock()) fn(std::forward<decltype(args)>(args)...);
        };
    }

private:
    void launch();
    void on_period_elapsed();
    void on_timeout(ProbeId id);
    void count(const ProbeResult& result);
    Duration next_period();

    MonitorStatus status_;
    Clock& clock_;
    Listener listener_;
    HealthCounter counter_;
    std::unique_ptr<Timer> period_timer_;
    std::unique_ptr<Timer> timeout_timer_;
    std::mt19937_64 rng_{std::random_device{}()};
    ProbeId next_id_ = 1;
    ProbeId in_flight_ = 0;  // 0: none
    TimePoint probe_started_{};
    bool period_elapsed_ = false;
    bool running_ = false;
};

}  // namespace gha
