#include "monitors/monitor_session.hpp"

#include <algorithm>

namespace gha {

MonitorSession::MonitorSession(std::string name, std::string kind,
                               const MonitorSettings& settings, Clock& clock,
                               Listener listener)
    : clock_(clock),
      listener_(std::move(listener)),
      counter_(settings.rise, settings.fall),
      period_timer_(clock.make_timer()),
      timeout_timer_(clock.make_timer()) {
    status_.name = std::move(name);
    status_.kind = std::move(kind);
    status_.settings = settings;
}

void MonitorSession::start() {
    if (running_) return;
    running_ = true;
    begin();
}

void MonitorSession::stop() {
    if (!running_) return;
    running_ = false;
    period_timer_->cancel();
    timeout_timer_->cancel();
    if (in_flight_ != 0) {
        in_flight_ = 0;
        abort_probe();
    }
    on_stop();
}

Duration MonitorSession::next_period() {
    const auto jitter = status_.settings.jitter.count();
    Millis extra{0};
    if (jitter > 0) extra = Millis{std::uniform_int_distribution<long long>(0, jitter)(rng_)};
    return status_.settings.interval + extra;
}

// Periods are measured from probe start, so a hang is caught within
// fall x period + timeout; a probe still running when the period ends delays
// the next one instead of overlapping it.
void MonitorSession::launch() {
    period_elapsed_ = false;
    const ProbeId id = next_id_++;
    in_flight_ = id;
    probe_started_ = clock_.now();
    ++status_.probes;
    period_timer_->async_wait_for(next_period(), guarded([this](std::error_code ec) {
        if (!ec && running_) on_period_elapsed();
    }));
    timeout_timer_->async_wait_for(status_.settings.timeout,
                                   guarded([this, id](std::error_code ec) {
                                       if (!ec) on_timeout(id);
                                   }));
    start_probe(id);
}

void MonitorSession::on_period_elapsed() {
    if (in_flight_ != 0) {
        period_elapsed_ = true;  // start the next one when this one ends
        return;
    }
    launch();
}

void MonitorSession::on_timeout(ProbeId id) {
    if (!running_ || in_flight_ != id) return;
    abort_probe();
    complete_probe(id, ProbeResult::failed("timeout", "no answer within " +
                                                         std::to_string(status_.settings.timeout.count()) +
                                                         " ms"));
}

void MonitorSession::complete_probe(ProbeId id, ProbeResult result) {
    if (!running_ || id == 0 || in_flight_ != id) return;  // late, after timeout or stop
    in_flight_ = 0;
    timeout_timer_->cancel();
    result.duration = clock_.now() - probe_started_;
    count(result);
    if (running_ && period_elapsed_ && in_flight_ == 0) launch();
}

void MonitorSession::report(ProbeResult result) {
    if (running_) count(result);
}

void MonitorSession::invalidate(std::string reason, std::string detail) {
    if (counter_.health() == Health::unhealthy) return;
    report(ProbeResult::down(std::move(reason), std::move(detail)));
}

void MonitorSession::observe(ProbeResult result) {
    if (!running_) return;
    ++status_.probes;
    count(result);
}

void MonitorSession::count(const ProbeResult& result) {
    const Transition transition = counter_.record(result.outcome);
    const TimePoint now = clock_.now();
    if (result.outcome == Outcome::success)
        status_.last_success = now;
    else
        ++status_.failures;
    if (transition == Transition::changed) status_.last_change = now;
    status_.health = counter_.health();
    status_.counter = counter_.counter();
    status_.last = result;
    if (listener_) listener_(*this, transition, result);
}

}  // namespace gha
