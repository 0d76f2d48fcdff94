#include "monitors/dbus_heartbeat_monitor.hpp"

namespace gha {

DbusHeartbeatMonitor::DbusHeartbeatMonitor(Clock& clock, const MonitorSettings& settings,
                                           std::shared_ptr<HeartbeatSource> source, Listener listener)
    : MonitorSession(kName, kName, settings, clock, std::move(listener)),
      source_(std::move(source)),
      deadline_(clock.make_timer()) {}

DbusHeartbeatMonitor::~DbusHeartbeatMonitor() { source_->stop_listening(); }

void DbusHeartbeatMonitor::begin() {
    last_heard_ = clock().now();
    arm(status().settings.interval + status().settings.timeout);
    source_->listen(guarded([this](bool healthy) { on_heartbeat(healthy); }));
}

void DbusHeartbeatMonitor::on_stop() {
    source_->stop_listening();
    ++wait_;
    deadline_->cancel();
}

void DbusHeartbeatMonitor::arm(Duration delay) {
    const std::uint64_t wait = ++wait_;
    deadline_->async_wait_for(delay, guarded([this, wait](std::error_code ec) {
        if (!ec) on_silence(wait);  // operation_aborted: re-armed or stopped
    }));
}

void DbusHeartbeatMonitor::on_heartbeat(bool healthy) {
    if (!running()) return;
    last_heard_ = clock().now();
    // Re-armed before the result is counted: the listener may stop us.
    arm(status().settings.interval + status().settings.timeout);
    if (healthy)
        observe(ProbeResult::ok("heartbeat"));
    else
        observe(ProbeResult::failed("reported-unhealthy", "ganesha's heartbeat says it is unhealthy"));
}

void DbusHeartbeatMonitor::on_silence(std::uint64_t wait) {
    // A wait that fired after a heartbeat re-armed the timer (both were
    // already queued on the loop) is stale.
    if (!running() || wait != wait_) return;
    arm(status().settings.interval);
    const auto silent = std::chrono::duration_cast<Millis>(clock().now() - last_heard_);
    std::string detail = "no heartbeat for " + std::to_string(silent.count()) + " ms";
    HeartbeatSource::Diagnosis why = source_->diagnose();
    if (why.reason.empty()) return observe(ProbeResult::failed("no-heartbeat", detail));
    observe(ProbeResult::failed(why.reason, detail + " (" + why.detail + ")"));
}

}  // namespace gha
