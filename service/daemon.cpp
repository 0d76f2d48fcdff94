#include "service/daemon.hpp"

#include <grp.h>
#include <unistd.h>

#include "monitors/pid_monitor.hpp"
#include "monitors/rpc_null_monitor.hpp"
#include "service/log.hpp"

namespace gha {
namespace {

using control::answer;
using control::Caller;
using control::Request;
using nlohmann::json;

std::optional<gid_t> lookup_group(const std::string& name) {
    if (name.empty()) return std::nullopt;
    group buffer{};
    group* found = nullptr;
    std::vector<char> scratch(16384);
    if (::getgrnam_r(name.c_str(), &buffer, scratch.data(), scratch.size(), &found) != 0 || !found)
        throw std::runtime_error("HA_CONTROL_GROUP: no such group '" + name + "'");
    return found->gr_gid;
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
      signals_(io, SIGTERM, SIGINT, SIGHUP) {
    register_commands();
    server_ = std::make_unique<control::ControlServer>(
        io_, control::ServerOptions{config_.control_socket, control_gid_}, registry_);
    started_ = clock_.now();
}

Daemon::~Daemon() {
    for (auto& [name, monitor] : monitors_) monitor->stop();
}

// Root, our own uid, or the configured group may change things; anyone who
// can open the socket (mode 0660) may read.
bool Daemon::may_change(const Caller& caller) const {
    return caller.uid == 0 || caller.uid == ::geteuid() || (control_gid_ && caller.gid == *control_gid_);
}

void Daemon::start() {
    for (const auto& warning : config_.warnings) log::warning(warning);
    build_monitors(Config{});
    server_->start();
    wait_for_signal();
    systemd_.start_watchdog();
    events_.add("daemon", "ganesha-had", "started",
                {{"node", config_.node}, {"config", config_.source}, {"pid", ::getpid()}});
    log::notice("started", {{"node", config_.node}, {"socket", config_.control_socket}});
    systemd_.ready(verdict_status_line(verdict()));
}

void Daemon::stop() {
    if (stopping_) return;
    stopping_ = true;
    systemd_.stopping();
    log::notice("stopping", {{"node", config_.node}});
    for (auto& [name, monitor] : monitors_) monitor->stop();
    monitors_.clear();
    systemd_.stop_watchdog();
    std::error_code ignored;
    signals_.cancel(ignored);
    server_->close();
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
    throw std::logic_error("no monitor named " + name);
}

// Monitors whose settings or target did not change keep running, with their
// health, across a reload; changed ones start over.
void Daemon::build_monitors(const Config& old) {
    for (const auto& [name, settings] : config_.monitors) {
        const bool target_same = name == "pid"
                                     ? pidfiles(old) == pidfiles(config_) && old.nfsd_comm == config_.nfsd_comm
                                     : old.nfsd_address == config_.nfsd_address;
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
    if (transition != Transition::changed) return;  // act on edges only
    const auto& status = monitor.status();
    const std::string health(to_string(status.health));
    events_.add("monitor", status.name, health + ": " + result.detail,
                {{"to", health}, {"reason", result.reason}, {"kind", status.kind}});
    const auto level = status.health == Health::healthy ? log::Level::notice : log::Level::warning;
    log::write(level, status.name + " " + health + ": " + result.detail,
               {{"monitor", status.name}, {"node", config_.node}, {"result", result.reason}});
    if (!stopping_) systemd_.status(verdict_status_line(verdict()));
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
    if (fresh.control_group != config_.control_group) {
        notes.push_back("HA_CONTROL_GROUP change needs a restart");
        fresh.control_group = config_.control_group;
    }
    Config old = std::exchange(config_, std::move(fresh));
    events_.set_capacity(config_.event_log_size);
    build_monitors(old);
    for (const auto& note : notes) log::warning(note);
    events_.add("daemon", "config", "reloaded", {{"notes", notes}});
    return answer(control::success, "configuration reloaded", {{"notes", notes}});
}

void Daemon::register_commands() {
    registry_.add("version", "daemon version", false, [](const Request&, const Caller&) {
        return answer(control::success, GHA_VERSION, {{"version", GHA_VERSION}});
    });
    registry_.add("status", "node, monitors and their health", false,
                  [this](const Request&, const Caller&) {
                      return answer(control::success, verdict().text, status());
                  });
    registry_.add("events", "event log; arguments: since (seq), limit", false,
                  [this](const Request& request, const Caller&) {
                      const auto since = request.arguments.value("since", std::uint64_t{0});
                      const auto limit = std::min<std::size_t>(request.arguments.value("limit", std::size_t{1000}), 10000);
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
}

}  // namespace gha
