#include "metrics/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>

namespace gha {

namespace {

bool contains(const std::vector<std::string>& set, std::string_view value) {
    return std::find(set.begin(), set.end(), value) != set.end();
}

}  // namespace

namespace metric_labels {
namespace {
const std::vector<std::string> kOther{"timeout", "other"};
}  // namespace

// From monitors/pid_monitor.cpp, monitors/rpc_null_monitor.cpp and
// rpc::to_string(ReplyStatus); "timeout" comes from MonitorSession's probes;
// "server-exited" from the daemon invalidating the other monitors when the
// pid monitor sees ganesha.nfsd exit.
const std::vector<std::string>& probe_failure_reasons(std::string_view kind) {
    static const std::vector<std::string> pid{"no-pidfile",  "pidfile-unreadable", "pidfile-garbage",
                                              "stale-pidfile", "pidfd-error",      "exited",
                                              "timeout",     "other"};
    static const std::vector<std::string> rpc_null{
        "timeout",      "refused",     "closed",       "network-error", "bad-reply",
        "prog-unavail", "prog-mismatch", "proc-unavail", "garbage-args", "system-err",
        "rpc-mismatch", "auth-error",  "wrong-xid",    "server-exited", "other"};
    // monitors/dbus_heartbeat_monitor.cpp; the bus labels are dbus_reason()'s.
    // It listens instead of probing, so it never times out.
    static const std::vector<std::string> dbus_heartbeat{"no-heartbeat", "reported-unhealthy", "bus_unreachable",
                                                         "service_unknown", "server-exited", "other"};
    if (kind == "pid") return pid;
    if (kind == "dbus-heartbeat") return dbus_heartbeat;
    if (kind == "rpc-null") return rpc_null;
    return kOther;
}

// Step names are built in actions/pacemaker_actions.cpp, actions/grace_steps.cpp,
// actions/nfsd_fence.cpp, service/failover.cpp and service/daemon_handover.cpp; tests/unit/metrics_test.cpp builds the real steps
// and checks that none of them falls into "other".
std::string action_label(std::string_view name) {
    if (name.starts_with("set ")) return "attrd-set";
    if (name.starts_with("create trigger ")) return "trigger-create";
    if (name.starts_with("delete trigger ")) return "trigger-delete";
    if (name.starts_with("delete ")) return "attrd-delete";
    if (name.starts_with("confirm ") && name.find("grace") != std::string_view::npos) return "grace-confirm";
    if (name.starts_with("wait ") && name.find("grace") != std::string_view::npos) return "wait-grace";
    if (name == "grace" || name.starts_with("grace ")) return "grace";
    if (name.starts_with("fence ")) return "fence";
    if (name.starts_with("record ") && name.find(" as the holder of ") != std::string_view::npos) return "holder-record";
    return "other";
}

const std::vector<std::string>& actions() {
    static const std::vector<std::string> set{"attrd-set",     "attrd-delete",  "trigger-create", "trigger-delete",
                                              "grace",         "grace-confirm", "wait-grace",     "fence",
                                              "holder-record", "other"};
    return set;
}

const std::vector<std::string>& pipelines() {
    static const std::vector<std::string> set{"nfsd-down", "nfsd-up",  "drain",       "undrain",
                                              "grace",     "take-vip", "release-vip", "move",
                                              "other"};
    return set;
}

std::string pipeline_label(std::string_view name) {
    return contains(pipelines(), name) ? std::string(name) : "other";
}

const std::vector<std::string>& pipeline_results() {
    static const std::vector<std::string> set{"succeeded", "failed", "superseded", "duplicate"};
    return set;
}

// The drop reasons of the heartbeat receiver (issue 6: bad MAC, wrong
// cluster, unknown sender, replayed or old sequence, oversized or truncated
// datagrams; plus an unknown protocol version and undecodable content;
// issue 13: an authentic datagram from another address than the peer's, an
// incarnation from the future).
const std::vector<std::string>& heartbeat_drop_reasons() {
    static const std::vector<std::string> set{"bad-mac",   "wrong-cluster", "unknown-sender", "replay",
                                              "oversized", "truncated",     "bad-version",    "malformed",
                                              "wrong-source", "clock-skew", "other"};
    return set;
}

}  // namespace metric_labels

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Counter;
using prometheus::Gauge;
using prometheus::Histogram;

// Probes answer in microseconds (pid) to a timeout of about a second
// (rpc-null); actions take tens of milliseconds (attrd_updater) to seconds
// (waiting for the survivors' grace, retries).
const Histogram::BucketBoundaries& probe_buckets() {
    static const Histogram::BucketBoundaries b{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,   5,     10};
    return b;
}
const Histogram::BucketBoundaries& action_buckets() {
    static const Histogram::BucketBoundaries b{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
    return b;
}

double wall_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

struct Metrics::MonitorSeries {
    std::string kind;
    Gauge* up;
    Counter* probes;
    std::map<std::string, Counter*, std::less<>> failures;  // by reason
    Histogram* duration;
    Counter* to_healthy;
    Counter* to_unhealthy;
    Gauge* last_success;
    Gauge* detection_bound;
};

struct Metrics::PeerSeries {
    Gauge* up;
    Gauge* last_heartbeat;
    Gauge* scope_mismatch;
    prometheus::Counter* grace_not_restarted;
};

Metrics::Metrics(std::string version, WallClock wall)
    : wall_(wall ? std::move(wall) : WallClock(wall_now)),
      registry_(std::make_shared<prometheus::Registry>()),
      build_info_(BuildGauge()
                      .Name("ganesha_ha_build_info")
                      .Help("ganesha-had build information; always 1")
                      .Register(*registry_)),
      monitor_up_(BuildGauge()
                      .Name("ganesha_ha_monitor_up")
                      .Help("1 while the monitor's target is healthy, 0 while unhealthy or not yet decided")
                      .Register(*registry_)),
      probes_(BuildCounter()
                  .Name("ganesha_ha_probes_total")
                  .Help("Results counted by the monitor (probes, and events such as a process exit between probes)")
                  .Register(*registry_)),
      probe_failures_(BuildCounter()
                          .Name("ganesha_ha_probe_failures_total")
                          .Help("Failed results by reason (timeouts included)")
                          .Register(*registry_)),
      probe_duration_(BuildHistogram()
                          .Name("ganesha_ha_probe_duration_seconds")
                          .Help("Time from probe start to its result; a timed-out probe counts as the timeout")
                          .Register(*registry_)),
      transitions_(BuildCounter()
                       .Name("ganesha_ha_monitor_transitions_total")
                       .Help("Health edges of the monitor, by the state entered")
                       .Register(*registry_)),
      last_success_(BuildGauge()
                        .Name("ganesha_ha_monitor_last_success_timestamp_seconds")
                        .Help("Unix time of the monitor's last successful result; 0 before the first")
                        .Register(*registry_)),
      detection_bound_(BuildGauge()
                           .Name("ganesha_ha_detection_bound_seconds")
                           .Help("Worst-case time from a failure to the monitor's unhealthy edge: "
                                 "fall x max(interval + jitter, timeout) + timeout")
                           .Register(*registry_)),
      actions_(BuildCounter()
                   .Name("ganesha_ha_actions_total")
                   .Help("Pipeline steps that finished (succeeded or failed after their retries), by action")
                   .Register(*registry_)),
      action_failures_(BuildCounter()
                           .Name("ganesha_ha_action_failures_total")
                           .Help("Pipeline steps that failed after all their retries, by action")
                           .Register(*registry_)),
      action_duration_(BuildHistogram()
                           .Name("ganesha_ha_action_duration_seconds")
                           .Help("Time a pipeline step took, retries included, by action")
                           .Register(*registry_)),
      nfsd_fenced_(BuildCounter()
                       .Name("ganesha_ha_nfsd_fenced_total")
                       .Help("Hung ganesha.nfsd processes killed by the fence step, exit confirmed")
                       .Register(*registry_)
                       .Add({})),
      tickles_sent_(BuildCounter()
                        .Name("ganesha_ha_tickles_sent_total")
                        .Help("Tickle ACKs sent to NFS clients of a VIP that arrived on this node")
                        .Register(*registry_)
                        .Add({})),
      client_drop_(BuildGauge()
                       .Name("ganesha_ha_client_drop_active")
                       .Help("1 while NFS traffic to this node's VIPs is dropped (its ganesha.nfsd is down)")
                       .Register(*registry_)
                       .Add({})),
      drained_(BuildGauge()
                   .Name("ganesha_ha_drained")
                   .Help("1 while this node is drained: by the operator (the persistent drain, "
                         "HA_DRAINED_ATTR in the CIB) or by the ganesha_mon agent's stop")
                   .Register(*registry_)),
      firewall_failures_(BuildCounter()
                             .Name("ganesha_ha_firewall_failures_total")
                             .Help("nft runs that failed to bring the ganesha_ha table to the wanted state")
                             .Register(*registry_)
                             .Add({})),
      client_connections_(BuildGauge()
                              .Name("ganesha_ha_client_connections")
                              .Help("NFS client connections to the VIPs, by the node that serves them "
                                    "(this node's own scan or a peer's last list)")
                              .Register(*registry_)),
      pipeline_runs_(BuildCounter()
                         .Name("ganesha_ha_pipeline_runs_total")
                         .Help("Pipelines that ended, by pipeline and result")
                         .Register(*registry_)),
      pipelines_running_(BuildGauge()
                             .Name("ganesha_ha_pipelines_running")
                             .Help("Pipelines running now, by pipeline")
                             .Register(*registry_)),
      peer_up_(BuildGauge()
                   .Name("ganesha_ha_peer_up")
                   .Help("1 while the peer's heartbeats arrive, 0 once it is considered lost or not yet heard")
                   .Register(*registry_)),
      peer_last_heartbeat_(BuildGauge()
                               .Name("ganesha_ha_peer_last_heartbeat_timestamp_seconds")
                               .Help("Unix time of the last valid heartbeat from the peer; 0 before the first")
                               .Register(*registry_)),
      peer_scope_mismatch_(BuildGauge()
                               .Name("ganesha_ha_peer_server_scope_mismatch")
                               .Help("1 when the peer's ganesha presents another NFSv4 Server_Scope than ours (or "
                                     "either is unknown), so its clients could not reclaim state here; 0 when "
                                     "they match or the peer was not heard yet")
                               .Register(*registry_)),
      peer_grace_not_restarted_(BuildCounter()
                                    .Name("ganesha_ha_peer_grace_not_restarted_total")
                                    .Help("Peer-downs that did not restart grace for the peer's VIP: the peer "
                                          "flapped (silent and back with the same incarnation, its nfsd healthy, "
                                          "its VIP not moved) within the grace period and ganesha was still in "
                                          "grace")
                                    .Register(*registry_)),
      heartbeats_dropped_(BuildCounter()
                              .Name("ganesha_ha_heartbeats_dropped_total")
                              .Help("Peer heartbeat datagrams dropped, by reason")
                              .Register(*registry_)),
      control_requests_(BuildCounter()
                            .Name("ganesha_ha_control_requests_total")
                            .Help("Control socket requests, by command (\"unknown\" for commands the daemon lacks)")
                            .Register(*registry_)),
      accept_failures_(BuildCounter()
                           .Name("ganesha_ha_accept_failures_total")
                           .Help("Failed accepts (out of file descriptors or memory), by listener (control, "
                                 "metrics); each one pauses that listener for 100 ms")
                           .Register(*registry_)) {
    build_info_.Add({{"version", std::move(version)}}).Set(1);
    for (const char* listener : {"control", "metrics"})
        accept_failure_series_[listener] = &accept_failures_.Add({{"listener", listener}});
    for (const auto& action : metric_labels::actions())
        action_series_[action] = {&actions_.Add({{"action", action}}), &action_failures_.Add({{"action", action}}),
                                  &action_duration_.Add({{"action", action}}, action_buckets())};
    for (const auto& pipeline : metric_labels::pipelines()) {
        running_series_[pipeline] = &pipelines_running_.Add({{"pipeline", pipeline}});
        for (const auto& result : metric_labels::pipeline_results())
            pipeline_runs_.Add({{"pipeline", pipeline}, {"result", result}});
    }
    for (const auto& reason : metric_labels::heartbeat_drop_reasons())
        drop_series_[reason] = &heartbeats_dropped_.Add({{"reason", reason}});
    for (const char* by : {"operator", "agent"}) drained_.Add({{"by", by}});
    configure_commands({});
}

Metrics::~Metrics() = default;

double Metrics::now() const { return wall_(); }

void Metrics::configure(const Config& config) {
    std::set<std::string> monitors;
    for (const auto& [name, settings] : config.monitors) {
        if (!settings.enabled) continue;
        monitors.insert(name);
        monitor(name, name).detection_bound->Set(seconds(settings.detection_bound()));
    }
    std::vector<std::string> stale;
    for (const auto& [name, series] : monitors_)
        if (!monitors.count(name)) stale.push_back(name);
    for (const auto& name : stale) remove_monitor(name);

    std::set<std::string> peers;
    for (const auto& node : config.cluster_nodes) {
        if (node == config.node) continue;
        peers.insert(node);
        if (!peers_.count(node))
            peers_[node] = std::make_unique<PeerSeries>(
                PeerSeries{&peer_up_.Add({{"peer", node}}), &peer_last_heartbeat_.Add({{"peer", node}}),
                           &peer_scope_mismatch_.Add({{"peer", node}}),
                           &peer_grace_not_restarted_.Add({{"peer", node}})});
    }
    stale.clear();
    for (const auto& [name, series] : peers_)
        if (!peers.count(name)) stale.push_back(name);
    for (const auto& name : stale) remove_peer(name);
}

void Metrics::configure_commands(const std::vector<std::string>& commands) {
    for (const auto& command : commands)
        if (!command_series_.count(command))
            command_series_[command] = &control_requests_.Add({{"command", command}});
    if (!command_series_.count("unknown")) command_series_["unknown"] = &control_requests_.Add({{"command", "unknown"}});
}

Metrics::MonitorSeries& Metrics::monitor(const std::string& name, const std::string& kind) {
    auto it = monitors_.find(name);
    if (it != monitors_.end()) return *it->second;
    auto series = std::make_unique<MonitorSeries>();
    const prometheus::Labels both{{"monitor", name}, {"kind", kind}};
    series->kind = kind;
    series->up = &monitor_up_.Add(both);
    series->probes = &probes_.Add(both);
    for (const auto& reason : metric_labels::probe_failure_reasons(kind))
        series->failures[reason] = &probe_failures_.Add({{"monitor", name}, {"kind", kind}, {"reason", reason}});
    series->duration = &probe_duration_.Add(both, probe_buckets());
    series->to_healthy = &transitions_.Add({{"monitor", name}, {"to", "healthy"}});
    series->to_unhealthy = &transitions_.Add({{"monitor", name}, {"to", "unhealthy"}});
    series->last_success = &last_success_.Add({{"monitor", name}});
    series->detection_bound = &detection_bound_.Add({{"monitor", name}});
    return *monitors_.emplace(name, std::move(series)).first->second;
}

void Metrics::remove_monitor(const std::string& name) {
    auto it = monitors_.find(name);
    if (it == monitors_.end()) return;
    MonitorSeries& s = *it->second;
    monitor_up_.Remove(s.up);
    probes_.Remove(s.probes);
    for (auto& [reason, counter] : s.failures) probe_failures_.Remove(counter);
    probe_duration_.Remove(s.duration);
    transitions_.Remove(s.to_healthy);
    transitions_.Remove(s.to_unhealthy);
    last_success_.Remove(s.last_success);
    detection_bound_.Remove(s.detection_bound);
    monitors_.erase(it);
}

Metrics::PeerSeries* Metrics::peer(const std::string& name) {
    auto it = peers_.find(name);
    return it == peers_.end() ? nullptr : it->second.get();
}

void Metrics::remove_peer(const std::string& name) {
    auto it = peers_.find(name);
    if (it == peers_.end()) return;
    peer_up_.Remove(it->second->up);
    peer_last_heartbeat_.Remove(it->second->last_heartbeat);
    peer_scope_mismatch_.Remove(it->second->scope_mismatch);
    peer_grace_not_restarted_.Remove(it->second->grace_not_restarted);
    peers_.erase(it);
}

// All series of one result are updated here, together, on the loop.
void Metrics::monitor_result(const MonitorStatus& status, Transition transition, const ProbeResult& result) {
    MonitorSeries& s = monitor(status.name, status.kind);
    s.probes->Increment();
    if (result.outcome == Outcome::success) {
        s.last_success->Set(now());
    } else {
        auto reason = s.failures.find(result.reason);
        if (reason == s.failures.end()) reason = s.failures.find("other");
        reason->second->Increment();
    }
    if (result.duration) s.duration->Observe(seconds(*result.duration));
    if (transition == Transition::changed) {
        if (status.health == Health::healthy) s.to_healthy->Increment();
        if (status.health == Health::unhealthy) s.to_unhealthy->Increment();
    }
    s.up->Set(status.health == Health::healthy ? 1 : 0);
    s.detection_bound->Set(seconds(status.settings.detection_bound()));
}

void Metrics::pipeline_event(const PipelineRecord& record, const StepRecord* step) {
    if (step) {
        if (step->state != StepState::succeeded && step->state != StepState::failed) return;
        const auto& s = action_series_.at(metric_labels::action_label(step->name));
        s.total->Increment();
        if (step->state == StepState::failed) s.failures->Increment();
        s.duration->Observe(seconds(step->duration));
        return;
    }
    const std::string pipeline = metric_labels::pipeline_label(record.name);
    if (record.state == PipelineState::running) {
        if (running_.emplace(record.id, pipeline).second) running_series_.at(pipeline)->Increment();
        return;
    }
    if (record.state == PipelineState::queued) return;
    if (auto it = running_.find(record.id); it != running_.end()) {
        running_series_.at(it->second)->Decrement();
        running_.erase(it);
    }
    const std::string result = to_string(record.state);
    if (!contains(metric_labels::pipeline_results(), result)) return;
    pipeline_runs_.Add({{"pipeline", pipeline}, {"result", result}}).Increment();
}

void Metrics::nfsd_fenced() { nfsd_fenced_.Increment(); }
void Metrics::tickles_sent(double count) { tickles_sent_.Increment(count); }
void Metrics::client_drop(bool leaving) { client_drop_.Set(leaving ? 1 : 0); }

void Metrics::drained(std::string_view by, bool on) {
    drained_.Add({{"by", by == "operator" ? "operator" : "agent"}}).Set(on ? 1 : 0);
}
void Metrics::firewall_failure() { firewall_failures_.Increment(); }
void Metrics::client_connections(const std::string& node, double count) {
    client_connections_.Add({{"node", node}}).Set(count);
}

void Metrics::control_request(const std::string& command) {
    auto it = command_series_.find(command);
    if (it == command_series_.end()) it = command_series_.find("unknown");
    it->second->Increment();
}

void Metrics::accept_failure(std::string_view listener) {
    if (auto it = accept_failure_series_.find(listener); it != accept_failure_series_.end()) it->second->Increment();
}

void Metrics::peer_heard(const std::string& name, double when) {
    if (auto* p = peer(name)) p->last_heartbeat->Set(when);
}

void Metrics::peer_heard(const std::string& name) { peer_heard(name, now()); }

void Metrics::peer_up(const std::string& name, bool up) {
    if (auto* p = peer(name)) p->up->Set(up ? 1 : 0);
}

void Metrics::peer_scope_mismatch(const std::string& name, bool mismatch) {
    if (auto* p = peer(name)) p->scope_mismatch->Set(mismatch ? 1 : 0);
}

void Metrics::peer_grace_not_restarted(const std::string& name) {
    if (auto* p = peer(name)) p->grace_not_restarted->Increment();
}

void Metrics::heartbeat_dropped(std::string_view reason, double count) {
    auto it = drop_series_.find(reason);
    if (it == drop_series_.end()) it = drop_series_.find("other");
    it->second->Increment(count);
}

std::string Metrics::text() const { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

}  // namespace gha
