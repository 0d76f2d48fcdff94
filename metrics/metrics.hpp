// Everything ganesha-had knows, as Prometheus metrics (prometheus-cpp's
// Registry and metric types; served by metrics/exporter.hpp and by the
// `metrics` control command).
//
// Conventions (https://prometheus.io/docs/practices/naming/): prefix
// ganesha_ha_, base units (seconds), counters end in _total, times are
// *_timestamp_seconds (Unix time, not ages), and every label value comes
// from a fixed set: configured monitor/peer names, the kinds, the action and
// pipeline names below, and bounded reason sets. Raw error text never
// becomes a label (it would make series without bound); anything outside a
// set is counted as "other" (commands: "unknown").
//
// Threading: all updates and all text() calls happen on the daemon's one
// asio thread. A scrape therefore always sees the state between two events,
// never half of one (e.g. monitor_up already 1 but last success not yet
// moved): that is the whole consistency story, and it is why the exporter
// serves from the loop instead of from civetweb threads.
//
// Series for every configured monitor, peer, action, pipeline, command and
// drop reason exist from configure() on (counters at 0), so rate() and
// absent() work from the first scrape and a dashboard never shows "no data"
// for something that simply has not happened yet.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "actions/pipeline.hpp"
#include "monitors/monitor_session.hpp"
#include "service/config.hpp"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace gha {

namespace metric_labels {
// Failure reasons a monitor kind can report (MonitorSession adds "timeout"
// to every kind). A reason outside its kind's set is counted as "other".
const std::vector<std::string>& probe_failure_reasons(std::string_view kind);
// Action label for a pipeline step name ("set ganesha-active=1" -> attrd-set);
// "other" for a step this table does not know.
std::string action_label(std::string_view step_name);
const std::vector<std::string>& actions();    // attrd-set, attrd-delete, ..., other
const std::vector<std::string>& pipelines();  // nfsd-down, nfsd-up, drain, undrain, grace, other
std::string pipeline_label(std::string_view pipeline_name);  // the name itself, or "other"
const std::vector<std::string>& pipeline_results();  // succeeded, failed, superseded, duplicate
// Why a peer heartbeat datagram was dropped.
const std::vector<std::string>& heartbeat_drop_reasons();
}  // namespace metric_labels

class Metrics {
public:
    // Wall clock in Unix seconds, for the *_timestamp_seconds gauges;
    // injectable so tests are exact.
    using WallClock = std::function<double()>;

    explicit Metrics(std::string version = GHA_VERSION, WallClock wall = {});
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // Creates the series for what `config` configures (enabled monitors,
    // the other nodes of HA_CLUSTER_NODES as peers) and removes those of
    // monitors and peers it no longer has. Call at start-up and after a
    // reload. A monitor's kind label is its name (pid, rpc-null, ...).
    void configure(const Config& config);
    // The control commands the daemon registered; any other command name
    // is counted as "unknown".
    void configure_commands(const std::vector<std::string>& commands);

    // Monitors: every counted result (not only edges), from the listener.
    void monitor_result(const MonitorStatus& status, Transition transition, const ProbeResult& result);

    // Pipelines: the PipelineRunner observer's calls, unchanged.
    void pipeline_event(const PipelineRecord& record, const StepRecord* step);

    // The fence step killed a hung ganesha.nfsd and saw it exit.
    void nfsd_fenced();
    // Client steering (issue 12): tickle ACKs sent, the drop table's state
    // (1 while this node's VIPs drop NFS traffic because its nfsd is down),
    // nft runs that failed, client connections known per source.
    void tickles_sent(double count);
    void client_drop(bool leaving);
    // 1 while this node is drained; by is "operator" (the persistent
    // drain in the CIB) or "agent" (ganesha_mon stopped here).
    void drained(std::string_view by, bool on);
    void firewall_failure();
    void client_connections(const std::string& node, double count);

    // Control socket: one request (before dispatch).
    void control_request(const std::string& command);
    // A failed accept on a listener: "control" or "metrics" (others ignored).
    void accept_failure(std::string_view listener);

    // Peer heartbeats (called by the heartbeat code). `when` is the wall
    // time the datagram arrived, Unix seconds. Unknown peers are ignored:
    // their series would be unbounded, and the drop is counted instead.
    void peer_heard(const std::string& peer, double when);
    void peer_heard(const std::string& peer);  // now
    void peer_up(const std::string& peer, bool up);
    // The peer's NFSv4 Server_Scope differs from ours, or either is unknown.
    void peer_scope_mismatch(const std::string& peer, bool mismatch);
    // A peer-down that did not restart grace for the peer's VIP: the peer
    // flapped (service/peer_flaps.hpp) and ganesha was still in grace.
    void peer_grace_not_restarted(const std::string& peer);
    // reason: one of heartbeat_drop_reasons(), else counted as "other".
    void heartbeat_dropped(std::string_view reason, double count = 1);

    // The text exposition format (version 0.0.4), for /metrics and
    // `ganesha-hactl metrics`.
    std::string text() const;
    prometheus::Registry& registry() { return *registry_; }

private:
    struct MonitorSeries;
    struct PeerSeries;
    MonitorSeries& monitor(const std::string& name, const std::string& kind);
    PeerSeries* peer(const std::string& name);
    void remove_monitor(const std::string& name);
    void remove_peer(const std::string& name);
    double now() const;

    WallClock wall_;
    std::shared_ptr<prometheus::Registry> registry_;

    prometheus::Family<prometheus::Gauge>& build_info_;
    prometheus::Family<prometheus::Gauge>& monitor_up_;
    prometheus::Family<prometheus::Counter>& probes_;
    prometheus::Family<prometheus::Counter>& probe_failures_;
    prometheus::Family<prometheus::Histogram>& probe_duration_;
    prometheus::Family<prometheus::Counter>& transitions_;
    prometheus::Family<prometheus::Gauge>& last_success_;
    prometheus::Family<prometheus::Gauge>& detection_bound_;
    prometheus::Family<prometheus::Counter>& actions_;
    prometheus::Family<prometheus::Counter>& action_failures_;
    prometheus::Family<prometheus::Histogram>& action_duration_;
    prometheus::Counter& nfsd_fenced_;
    prometheus::Counter& tickles_sent_;
    prometheus::Gauge& client_drop_;
    prometheus::Family<prometheus::Gauge>& drained_;
    prometheus::Counter& firewall_failures_;
    prometheus::Family<prometheus::Gauge>& client_connections_;
    prometheus::Family<prometheus::Counter>& pipeline_runs_;
    prometheus::Family<prometheus::Gauge>& pipelines_running_;
    prometheus::Family<prometheus::Gauge>& peer_up_;
    prometheus::Family<prometheus::Gauge>& peer_last_heartbeat_;
    prometheus::Family<prometheus::Gauge>& peer_scope_mismatch_;
    prometheus::Family<prometheus::Counter>& peer_grace_not_restarted_;
    prometheus::Family<prometheus::Counter>& heartbeats_dropped_;
    prometheus::Family<prometheus::Counter>& control_requests_;
    prometheus::Family<prometheus::Counter>& accept_failures_;

    std::map<std::string, std::unique_ptr<MonitorSeries>> monitors_;
    std::map<std::string, std::unique_ptr<PeerSeries>> peers_;
    struct ActionSeries {
        prometheus::Counter* total;
        prometheus::Counter* failures;
        prometheus::Histogram* duration;
    };
    std::map<std::string, ActionSeries, std::less<>> action_series_;
    std::map<std::string, prometheus::Gauge*, std::less<>> running_series_;
    std::map<std::string, prometheus::Counter*, std::less<>> drop_series_;
    std::map<std::string, prometheus::Counter*, std::less<>> command_series_;
    std::map<std::string, prometheus::Counter*, std::less<>> accept_failure_series_;
    // Pipelines now running, by record id -> pipeline label.
    std::map<std::uint64_t, std::string> running_;
};

}  // namespace gha
