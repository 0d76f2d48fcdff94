#include "service/daemon.hpp"

#include <grp.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unistd.h>

#include "actions/dbus_heartbeat_source.hpp"
#include "monitors/dbus_heartbeat_monitor.hpp"
#include "monitors/pid_monitor.hpp"
#include "monitors/rpc_null_monitor.hpp"
#include "service/log.hpp"

namespace gha {
namespace {

using control::answer;
using control::Caller;
using control::Request;
using nlohmann::json;

constexpr std::chrono::milliseconds kReconcileInterval{10000};
constexpr std::chrono::milliseconds kRetryAfterFailure{2000};

// A group with many members does not fit a small buffer (ERANGE): that is
// not "no such group"; the buffer grows up to 16 MiB.
std::optional<gid_t> lookup_group(const std::string& name) {
    if (name.empty()) return std::nullopt;
    group buffer{};
    group* found = nullptr;
    std::vector<char> scratch(16384);
    int rc = 0;
    while ((rc = ::getgrnam_r(name.c_str(), &buffer, scratch.data(), scratch.size(), &found)) == ERANGE &&
           scratch.size() < (16u << 20))
        scratch.resize(scratch.size() * 4);
    if (rc != 0)
        throw std::runtime_error("HA_CONTROL_GROUP: cannot look up group '" + name + "': " + std::strerror(rc));
    if (!found) throw std::runtime_error("HA_CONTROL_GROUP: no such group '" + name + "'");
    return found->gr_gid;
}

// The directories the control socket's directory may be changed in (mode
// 0750, HA_CONTROL_GROUP): systemd's RuntimeDirectory= ($RUNTIME_DIRECTORY,
// ':'-separated when there are several) and the default one, whose name is
// ours. Any other existing directory is the operator's and is left alone.
std::vector<std::string> own_socket_directories() {
    std::vector<std::string> dirs{"/run/ganesha-ha"};
    if (const char* runtime = std::getenv("RUNTIME_DIRECTORY")) {
        std::string_view rest(runtime);
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            if (colon != 0) dirs.emplace_back(rest.substr(0, colon));
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    }
    return dirs;
}

double wall_seconds(TimePoint when, TimePoint now) {
    if (when == TimePoint{}) return 0;
    const auto wall = std::chrono::system_clock::now() - (now - when);
    return std::chrono::duration<double>(wall.time_since_epoch()).count();
}

json settings_json(const MonitorSettings& s) {
    return {{"interval_ms", s.interval.count()}, {"timeout_ms", s.timeout.count()},
            {"jitter_ms", s.jitter.count()},     {"rise", s.rise},
            {"fall", s.fall},                    {"detection_bound_ms", s.detection_bound().count()}};
}

std::vector<std::string> pidfiles(const Config& config) {
    if (!config.nfsd_pidfile.empty()) return {config.nfsd_pidfile};
    return default_pidfiles();
}

PacemakerTools pacemaker_tools(const Config& config) {
    PacemakerTools tools;
    tools.options.timeout = config.action_timeout;
    return tools;
}

std::shared_ptr<GraceClient> make_grace_client(std::shared_ptr<DbusConnection> bus, const Config& config) {
    GraceClientOptions options;
    options.bus_name = config.dbus_name;
    options.timeout = std::min(config.action_timeout, Millis{2000});
    return std::make_shared<GraceClient>(std::move(bus), options);
}

json record_json(const PipelineRecord& r, TimePoint now) {
    json steps = json::array();
    for (const auto& s : r.steps)
        steps.push_back({{"name", s.name},
                         {"state", to_string(s.state)},
                         {"attempts", s.attempts},
                         {"detail", s.detail},
                         {"duration_ms", std::chrono::duration<double, std::milli>(s.duration).count()}});
    return {{"id", r.id},
            {"pipeline", r.name},
            {"target", r.target},
            {"state", to_string(r.state)},
            {"submitted", wall_seconds(r.submitted, now)},
            {"finished", wall_seconds(r.finished, now)},
            {"steps", steps},
            {"undone", r.undone()}};
}

std::string verdict_status_line(const NfsdVerdict& verdict) {
    return verdict.code == NfsdVerdict::running ? "nfsd healthy" : "nfsd unhealthy: " + verdict.text;
}

}  // namespace

Daemon::Daemon(asio::io_context& io, Config config, ConfigOverrides overrides)
    : io_(io),
      config_(std::move(config)),
      overrides_(std::move(overrides)),
      clock_(io),
      events_(config_.event_log_size),
      systemd_(io),
      control_gid_(lookup_group(config_.control_group)),
      registry_([this](const Caller& caller) { return may_change(caller); }),
      runner_(io),
      pacemaker_(runner_, pacemaker_tools(config_)),
      pipelines_(clock_, [this](const PipelineRecord& r, const StepRecord* s) { on_pipeline(r, s); }),
      dbus_(std::make_shared<DbusConnection>(io)),
      grace_client_(make_grace_client(dbus_, config_)),
      grace_steps_(grace_client_),
      killer_(io, clock_),
      fence_(config_.fence, killer_, [this] { return fence_target(); },
             [this](const FenceReport& report) { on_fence(report); }),
      failover_(config_, clock_, pipelines_, pacemaker_, &grace_steps_, &fence_),
      holders_(config_.layout.ha_vol_mnt),
      signals_(io, SIGTERM, SIGINT, SIGHUP) {
    build_heartbeats();  // a bad key file refuses start-up before anything is bound
    build_client_steering();
    load_server_scope();  // never refuses: an unknown scope is a warning event
    register_commands();
    register_peer_commands();
    register_handover_commands();
    register_client_commands();
    register_drain_commands();
    reconcile_timer_ = clock_.make_timer();
    control::ServerOptions control_options{config_.control_socket, control_gid_};
    control_options.own_directories = own_socket_directories();
    server_ = std::make_unique<control::ControlServer>(io_, std::move(control_options), registry_);
    for (const auto& warning : server_->warnings()) {
        log::warning(warning);
        events_.add("daemon", "control", warning);
    }
    // Metrics: series for everything configured exist from here on.
    metrics_.configure(config_);
    std::vector<std::string> commands;
    const json listed = registry_.list();
    for (const auto& command : listed["commands"]) commands.push_back(command["name"]);
    metrics_.configure_commands(commands);
    server_->on_request = [this](const std::string& command) { metrics_.control_request(command); };
    server_->on_accept_error = [this](std::error_code) { metrics_.accept_failure("control"); };
    if (config_.metrics_listen)
        exporter_ = std::make_unique<MetricsExporter>(
            io_, ExporterOptions{*config_.metrics_listen}, [this] { return metrics_text(); },
            [this](const std::string& problem) {
                log::warning(problem);
                events_.add("daemon", "metrics", problem);
            });
    if (exporter_) exporter_->on_accept_error = [this](std::error_code) { metrics_.accept_failure("metrics"); };
    started_ = clock_.now();
}

Daemon::~Daemon() {
    for (auto& [name, monitor] : monitors_) monitor->stop();
}

// Root, our own uid, or a member of the configured group (its primary or a
// supplementary group: SO_PEERGROUPS) may change things; anyone who can open
// the socket (mode 0660, in a 0750 directory) may read.
bool Daemon::may_change(const Caller& caller) const {
    return caller.uid == 0 || caller.uid == ::geteuid() || (control_gid_ && caller.in_group(*control_gid_));
}

void Daemon::start() {
    for (const auto& warning : config_.warnings) log::warning(warning);
    build_monitors(Config{});
    start_heartbeats();
    start_client_steering();
    server_->start();
    if (exporter_) exporter_->start();
    wait_for_signal();
    systemd_.start_watchdog();
    attributes_watch_.start(config_.node);
    schedule_reconcile(kReconcileInterval);
    update_vip_readiness(true);  // an earlier daemon's may be stale
    events_.add("daemon", "ganesha-had", "started",
                {{"node", config_.node}, {"config", config_.source}, {"pid", ::getpid()}});
    log::notice("started", {{"node", config_.node}, {"socket", config_.control_socket}});
    systemd_.ready(verdict_status_line(verdict()));
}

void Daemon::stop() {
    if (stopping_) return;
    stopping_ = true;
    fail_pending_queries("this daemon is stopping");
    systemd_.stopping();
    log::notice("stopping", {{"node", config_.node}});
    for (auto& [name, monitor] : monitors_) monitor->stop();
    monitors_.clear();
    if (heartbeats_) heartbeats_->leave();  // a stop on purpose is not a failure for the peers
    stop_client_steering();
    systemd_.stop_watchdog();
    reconcile_timer_->cancel();
    attributes_watch_.stop();
    std::error_code ignored;
    signals_.cancel(ignored);
    server_->close();
    if (exporter_) exporter_->close();
    dbus_->disconnect();
}

void Daemon::wait_for_signal() {
    signals_.async_wait([this](std::error_code ec, int signal) {
        if (ec) return;
        if (signal == SIGHUP) {
            systemd_.reloading();
            const json result = reload();
            log::notice("SIGHUP: " + result["text"].get<std::string>());
            systemd_.ready(verdict_status_line(verdict()));
            wait_for_signal();
            return;
        }
        stop();
    });
}

std::shared_ptr<MonitorSession> Daemon::make_monitor(const std::string& name) {
    auto listener = [this](const MonitorSession& m, Transition t, const ProbeResult& r) {
        on_monitor(m, t, r);
    };
    const MonitorSettings& settings = config_.monitors.at(name);
    if (name == "pid")
        return std::make_shared<PidMonitor>(io_, clock_, settings,
                                            PidMonitorTarget{pidfiles(config_), config_.nfsd_comm},
                                            listener);
    if (name == "rpc-null")
        return std::make_shared<RpcNullMonitor>(io_, clock_, settings, config_.nfsd_address, listener);
    if (name == DbusHeartbeatMonitor::kName)  // on the grace action's connection and bus name
        return std::make_shared<DbusHeartbeatMonitor>(clock_, settings,
                                                      std::make_shared<DbusHeartbeatSource>(grace_client_), listener);
    throw std::logic_error("no monitor named " + name);
}

// Monitors whose settings or target did not change keep running, with their
// health, across a reload; changed ones start over.
void Daemon::build_monitors(const Config& old) {
    for (const auto& [name, settings] : config_.monitors) {
        // (dbus-heartbeat's target, HA_DBUS_NAME, is kept until a restart.)
        const bool target_same = name == "pid"        ? pidfiles(old) == pidfiles(config_) && old.nfsd_comm == config_.nfsd_comm
                                 : name == "rpc-null" ? old.nfsd_address == config_.nfsd_address
                                                      : true;
        auto it = monitors_.find(name);
        auto previous = old.monitors.find(name);
        const bool unchanged = it != monitors_.end() && previous != old.monitors.end() &&
                               previous->second == settings && target_same;
        if (unchanged) continue;
        if (it != monitors_.end()) {
            it->second->stop();
            monitors_.erase(it);
        }
        if (!settings.enabled) continue;
        auto monitor = make_monitor(name);
        monitors_[name] = monitor;
        monitor->start();
    }
}

void Daemon::on_monitor(const MonitorSession& monitor, Transition transition, const ProbeResult& result) {
    metrics_.monitor_result(monitor.status(), transition, result);  // every result, not only edges
    if (transition != Transition::changed) return;  // act on edges only
    const auto& status = monitor.status();
    const std::string health(to_string(status.health));
    events_.add("monitor", status.name, health + ": " + result.detail,
                {{"to", health}, {"reason", result.reason}, {"kind", status.kind}});
    const auto level = status.health == Health::healthy ? log::Level::notice : log::Level::warning;
    log::write(level, status.name + " " + health + ": " + result.detail,
               {{"monitor", status.name}, {"node", config_.node}, {"result", result.reason}});
    if (stopping_) return;
    systemd_.status(verdict_status_line(verdict()));
    react_to_verdict();
    // The probes' health described the process that just exited: a server
    // restarted at once must answer them `rise` times again before the node
    // counts as healthy and takes its VIP back (else a crash loop fails back
    // to a ganesha that is still starting).
    if (status.kind == "pid" && status.health == Health::unhealthy) {
        for (const auto& [name, other] : monitors_)
            if (other.get() != &monitor)
                other->invalidate("server-exited", "ganesha.nfsd exited; its earlier answers no longer count");
        // The grace it held went with it: a restarted ganesha must be put
        // into grace again (take-vip must not answer "already"), and a
        // flapping peer's next silence takes grace again too.
        flaps_.ganesha_restarted(clock_.now());
        if (!grace_held_.empty()) {
            grace_held_.clear();
            announce();
        }
    }
}

// Pipelines follow the node's verdict, not single monitors: a kill seen by
// the pidfd and then by rpc-null is one failover, not two.
void Daemon::react_to_verdict() {
    const NfsdVerdict v = verdict();
    if (!v.decided) return;
    const bool healthy = v.code == NfsdVerdict::running;
    if (nfsd_healthy_ == healthy) return;
    // Serving waits for the first read of the persistent drain: a node an
    // operator drained must not take its VIP back for 2 s after a restart.
    if (healthy && !attributes_watch_.answered()) return;
    // Readiness judged with the nfsd still down, before ganesha-active=1 is
    // written: one left from before the fault (a VIP that left this node
    // meanwhile) is deleted first, so Pacemaker cannot bring that VIP back
    // here on it (update_vip_readiness).
    if (healthy) update_vip_readiness(false);
    nfsd_healthy_ = healthy;
    // Drop, not refuse, the clients' packets before anything else happens:
    // a hung server's fence must not get to close their connections.
    apply_firewall(true);
    announce();  // the peers hear it before the pipeline's first child process is spawned
    if (!healthy) {
        failover_.local_down(v.text);
        update_vip_readiness(false);  // ready for no VIP that is not here
        check_moves();  // a move to this node still waiting for its VIP ends
    } else if (!failover_.drained()) {
        failover_.local_up(v.text);
        claim_failed_vips();  // healthy again: it may be the taker of a failed peer's VIP
    }
}

// What the fence step acts on, judged when it runs: the failover may have
// begun seconds earlier, and the server may have recovered or exited since.
// The pidfd is the pid monitor's, opened before it checked /proc/PID/comm,
// so it names the very process the monitors judged.
FenceTarget Daemon::fence_target() const {
    FenceTarget target;
    target.drained = failover_.drained();
    const auto statuses = monitor_statuses();
    const NfsdVerdict v = nfsd_verdict(statuses);
    target.why = v.text;
    if (v.code == NfsdVerdict::running) {
        target.state = FenceTarget::State::healthy;
    } else if (v.code == NfsdVerdict::not_running) {
        target.state = FenceTarget::State::gone;
    } else if (nfsd_hung(statuses)) {
        auto it = monitors_.find("pid");
        const auto* pid = it == monitors_.end() ? nullptr : dynamic_cast<const PidMonitor*>(it->second.get());
        if (pid && pid->pid() && pid->pidfd() >= 0) {
            target.state = FenceTarget::State::hung;
            target.pid = *pid->pid();
            target.pidfd = pid->pidfd();
        }
    }
    return target;
}

void Daemon::on_fence(const FenceReport& report) {
    using Fenced = FenceReport::Outcome;
    if (report.outcome == Fenced::confirmed) metrics_.nfsd_fenced();
    const char* outcome = report.outcome == Fenced::confirmed ? "exit-confirmed"
                          : report.outcome == Fenced::timeout ? "timeout"
                                                              : "failed";
    // The step's own event and log line follow from on_pipeline; this one
    // carries the pid and outcome as fields for tools.
    events_.add("fence", "ganesha.nfsd", report.message,
                {{"pid", report.pid},
                 {"outcome", outcome},
                 {"waited_ms", std::chrono::duration<double, std::milli>(report.waited).count()}});
}

// Every interval (sooner after a failed pipeline) the node's attributes are
// compared with its state, as GlusterFS's ganesha_mon re-asserts them on
// every monitor: they vanish when Pacemaker restarts, and a pipeline run
// before the cluster was up failed.
void Daemon::schedule_reconcile(std::chrono::milliseconds delay) {
    reconcile_timer_->async_wait_for(delay, [this](std::error_code ec) {
        if (ec || stopping_) return;
        apply_firewall(true);  // a failed nft run is tried again
        claim_failed_vips();
        check_moves();                // a moved VIP that left this node ends its move
        update_vip_readiness(false);  // a VIP that left this node
        if (!nfsd_healthy_) return schedule_reconcile(kReconcileInterval);  // nothing decided yet
        failover_.reconcile(*nfsd_healthy_, [this](Failover::Reconciled result) {
            if (stopping_) return;
            // (A pipeline that fails re-arms the timer sooner from on_pipeline.)
            schedule_reconcile(result == Failover::Reconciled::no_cluster ? kRetryAfterFailure : kReconcileInterval);
        });
    });
}

void Daemon::on_pipeline(const PipelineRecord& r, const StepRecord* step) {
    metrics_.pipeline_event(r, step);
    json fields{{"pipeline", r.name}, {"id", r.id}, {"target", r.target}};
    std::string message;
    if (step) {
        fields["step"] = step->name;
        fields["state"] = to_string(step->state);
        fields["attempts"] = step->attempts;
        fields["duration_ms"] = std::chrono::duration<double, std::milli>(step->duration).count();
        message = step->name + ": " + to_string(step->state) + (step->detail.empty() ? "" : " (" + step->detail + ")");
    } else {
        fields["state"] = to_string(r.state);
        message = r.name + " " + to_string(r.state);
        if (r.state == PipelineState::failed) {
            std::string undone;
            for (const auto& name : r.undone()) undone += (undone.empty() ? "" : ", ") + name;
            message += "; not done: " + undone;
        }
    }
    events_.add("action", r.name, message, fields);
    if (!step) {
        grace_pipeline_finished(r);
        vip_ready_pipeline_finished(r);
        attribute_write_finished(r);
        move_pipeline_finished(r);
    }
    // A failed pipeline for this node is retried through the reconcile check.
    if (!step && r.state == PipelineState::failed && r.target == config_.node && !stopping_)
        schedule_reconcile(kRetryAfterFailure);
    const bool bad = (step && step->state == StepState::failed) || r.state == PipelineState::failed;
    if (bad || !step || step->state != StepState::running)
        log::write(bad ? log::Level::warning : log::Level::info, message,
                   {{"action", step ? step->name : r.name}, {"node", config_.node},
                    {"result", step ? to_string(step->state) : to_string(r.state)}});
}

json Daemon::pipeline_answer(std::uint64_t id, const std::string& what) {
    auto record = pipelines_.record(id);
    if (!record) return answer(control::error, what + ": pipeline vanished");
    return answer(control::success, what + ": pipeline " + std::to_string(id) + " " + to_string(record->state),
                  record_json(*record, clock_.now()));
}

std::vector<MonitorStatus> Daemon::monitor_statuses() const {
    std::vector<MonitorStatus> out;
    for (const auto& [name, monitor] : monitors_) out.push_back(monitor->status());
    return out;
}

NfsdVerdict Daemon::verdict() const { return nfsd_verdict(monitor_statuses()); }

json Daemon::status() const {
    const TimePoint now = clock_.now();
    json monitors = json::array();
    for (const auto& m : monitor_statuses()) {
        monitors.push_back({{"name", m.name},
                            {"kind", m.kind},
                            {"health", to_string(m.health)},
                            {"counter", m.counter},
                            {"reason", m.last.reason},
                            {"detail", m.last.detail},
                            {"last_change", wall_seconds(m.last_change, now)},
                            {"last_success", wall_seconds(m.last_success, now)},
                            {"probes", m.probes},
                            {"failures", m.failures},
                            {"settings", settings_json(m.settings)}});
    }
    json vips = json::object();
    for (const auto& [node, vip] : config_.vips) vips[node] = vip;
    const NfsdVerdict v = verdict();
    return {{"node", config_.node},
            {"ha_name", config_.ha_name},
            {"cluster_nodes", config_.cluster_nodes},
            {"vips", vips},
            {"nfsd", {{"code", static_cast<int>(v.code)}, {"text", v.text}}},
            {"monitors", monitors},
            {"pid", ::getpid()},
            {"version", GHA_VERSION},
            {"config", config_.source},
            {"uptime_s", std::chrono::duration<double>(now - started_).count()},
            {"last_event", events_.last_seq()},
            {"drained", failover_.drained()},
            {"drain", drain_json()},
            {"moves", moves_json()},
            {"watchdog_interval_ms",
             std::chrono::duration_cast<std::chrono::milliseconds>(systemd_.watchdog_interval()).count()}};
}

json Daemon::reload() {
    Config fresh;
    try {
        fresh = load_config(config_.source, overrides_);
    } catch (const ConfigError& e) {
        events_.add("daemon", "config", std::string("reload rejected: ") + e.what());
        return answer(control::error, std::string("configuration rejected, still running the old one: ") + e.what());
    }
    std::vector<std::string> notes = fresh.warnings;
    // These are bound at start-up; keep them and say so rather than half-apply.
    if (fresh.control_socket != config_.control_socket) {
        notes.push_back("HA_CONTROL_SOCKET change needs a restart; still on " + config_.control_socket);
        fresh.control_socket = config_.control_socket;
    }
    if (fresh.node != config_.node) {
        notes.push_back("HA_NODE change needs a restart; still " + config_.node);
        fresh.node = config_.node;
    }
    if (fresh.metrics_listen != config_.metrics_listen) {
        notes.push_back("HA_METRICS_LISTEN change needs a restart");
        fresh.metrics_listen = config_.metrics_listen;
    }
    if (fresh.dbus_name != config_.dbus_name) {  // the grace client and dbus-heartbeat were built with it
        notes.push_back("HA_DBUS_NAME change needs a restart; still " + config_.dbus_name);
        fresh.dbus_name = config_.dbus_name;
    }
    if (fresh.control_group != config_.control_group) {
        notes.push_back("HA_CONTROL_GROUP change needs a restart");
        fresh.control_group = config_.control_group;
    }
    heartbeat_reload_notes(fresh, notes);
    if (fresh.clients.tickle != config_.clients.tickle || fresh.clients.nft != config_.clients.nft) {
        notes.push_back("HA_CLIENT_TICKLE and HA_NFT changes need a restart");
        fresh.clients.tickle = config_.clients.tickle;
        fresh.clients.nft = config_.clients.nft;
    }
    Config old = std::exchange(config_, std::move(fresh));
    events_.set_capacity(config_.event_log_size);
    failover_.update(config_);
    fence_.update(config_.fence);
    build_monitors(old);
    metrics_.configure(config_);
    load_server_scope();
    apply_firewall(true);  // the VIPs or HA_CLIENT_DROP may have changed
    for (const auto& note : notes) log::warning(note);
    events_.add("daemon", "config", "reloaded", {{"notes", notes}});
    return answer(control::success, "configuration reloaded", {{"notes", notes}});
}

void Daemon::register_commands() {
    registry_.add("version", "daemon version", false, [](const Request&, const Caller&) {
        return answer(control::success, GHA_VERSION, {{"version", GHA_VERSION}});
    });
    registry_.add("metrics", "the Prometheus metrics, as /metrics serves them (arguments.text)", false,
                  [this](const Request&, const Caller&) {
                      return answer(control::success, "Prometheus text format 0.0.4", {{"text", metrics_text()}});
                  });
    add_remotable("status", "node, monitors and their health",
                  [this](const Request&, const Caller&) {
                      return answer(control::success, verdict().text, status());
                  });
    add_remotable("events", "event log; arguments: since (seq), limit",
                  [this](const Request& request, const Caller&) {
                      const auto since = control::unsigned_argument(request.arguments, "since", 0);
                      const auto limit = static_cast<std::size_t>(
                          std::min<std::uint64_t>(control::unsigned_argument(request.arguments, "limit", 1000), 10000));
                      json list = json::array();
                      for (const auto& event : events_.since(since, limit)) list.push_back(to_json(event));
                      const int result = list.empty() ? control::empty : control::success;
                      return answer(result, std::to_string(list.size()) + " events",
                                    {{"events", list}, {"last", events_.last_seq()}});
                  });
    registry_.add("monitor", "OCF verdict on the local ganesha.nfsd: 0 running, 7 not running, 1 failed",
                  false, [this](const Request&, const Caller&) {
                      const NfsdVerdict v = verdict();
                      return answer(control::success, v.text, {{"ocf", static_cast<int>(v.code)}});
                  });
    registry_.add("reload", "re-read the configuration file; a bad one is rejected", true,
                  [this](const Request&, const Caller&) { return reload(); });
    registry_.add("grace", "put the local ganesha into grace; arguments: event (take-ip), address or node", true,
                  [this](const Request& request, const Caller&) {
                      const auto& args = request.arguments;
                      // Names and addresses are strings; a number here (a client
                      // that typed node=123 as JSON) gets a clear answer.
                      for (const char* key : {"address", "node", "event"})
                          if (args.contains(key) && !args[key].is_string())
                              return answer(control::error, std::string("grace: ") + key + " must be a string, not " +
                                                                args[key].dump().substr(0, 32));
                      const std::string name = args.value("event", std::string("take-ip"));
                      const auto event = parse_grace_event(name);
                      if (!event)
                          return answer(control::error, "grace: unknown event '" + name.substr(0, 32) +
                                                            "' (just-grace, release-ip, take-nodeid, take-ip)");
                      std::string address = args.value("address", std::string());
                      if (address.empty() && args.contains("args") && args["args"].is_array() && !args["args"].empty())
                          address = args["args"][0].get<std::string>();
                      // The OCF agents know the node that stopped, not its VIP.
                      if (address.empty() && args.contains("node")) {
                          const std::string node = args["node"].get<std::string>();
                          auto vip = config_.vips.find(node);
                          if (vip == config_.vips.end())
                              return answer(control::error, "grace: no VIP for node '" + node.substr(0, 64) + "'");
                          address = vip->second;
                      }
                      std::string problem;
                      if (GraceClient::grace_argument(*event, address, problem).empty())
                          return answer(control::error, "grace: " + problem);
                      return grace_command(*event, address);
                  });
    registry_.add("failover", "move this node's VIP away as if its nfsd had failed", true,
                  [this](const Request&, const Caller&) {
                      return pipeline_answer(failover_.local_down("operator request", nfsd_healthy_ == false),
                                             "failover");
                  });
    registry_.add("actions", "running, queued and recent pipelines with step outcomes; arguments: id", false,
                  [this](const Request& request, const Caller&) {
                      const TimePoint now = clock_.now();
                      if (request.arguments.contains("id")) {
                          auto record = pipelines_.record(control::unsigned_argument(request.arguments, "id", 0));
                          if (!record) return answer(control::empty, "no such pipeline");
                          return answer(control::success, to_string(record->state), record_json(*record, now));
                      }
                      json list = json::array();
                      for (const auto& r : pipelines_.records()) list.push_back(record_json(r, now));
                      return answer(list.empty() ? control::empty : control::success,
                                    std::to_string(list.size()) + " pipelines", {{"pipelines", list}});
                  });
}

}  // namespace gha
