// ganesha-had's wiring: configuration, monitors, node state, event log,
// control socket and systemd glue, all on one io_context.
#pragma once

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <utility>

#include "actions/command_runner.hpp"
#include "actions/grace_client.hpp"
#include "actions/grace_steps.hpp"
#include "actions/nfs_firewall.hpp"
#include "actions/nfsd_fence.hpp"
#include "actions/process_killer.hpp"
#include "actions/tcp_peers.hpp"
#include "actions/pacemaker_actions.hpp"
#include "actions/pipeline.hpp"
#include "actions/vip_holders.hpp"
#include "metrics/exporter.hpp"
#include "metrics/metrics.hpp"
#include "monitors/asio_clock.hpp"
#include "monitors/local_addresses.hpp"
#include "monitors/monitor_session.hpp"
#include "monitors/peer_heartbeats.hpp"
#include "service/command_registry.hpp"
#include "service/config.hpp"
#include "service/control_server.hpp"
#include "service/drain_sources.hpp"
#include "service/node_attributes_watch.hpp"
#include "service/peer_flaps.hpp"
#include "service/event_log.hpp"
#include "service/failover.hpp"
#include "service/nfsd_verdict.hpp"
#include "service/systemd_notifier.hpp"

namespace gha {

class Daemon {
public:
    // Throws at this construction boundary (socket in use, bad group, ...).
    Daemon(asio::io_context& io, Config config, ConfigOverrides overrides);
    ~Daemon();

    void start();  // monitors, signals, control socket; READY=1
    void stop();   // STOPPING=1, everything closed; io.run() then returns

    NfsdVerdict verdict() const;
    nlohmann::json status() const;
    const EventLog& events() const { return events_; }

private:
    void register_commands();
    void build_monitors(const Config& old);
    std::shared_ptr<MonitorSession> make_monitor(const std::string& name);
    void on_monitor(const MonitorSession& monitor, Transition transition, const ProbeResult& result);
    void react_to_verdict();
    FenceTarget fence_target() const;
    void on_fence(const FenceReport& report);
    std::string metrics_text();  // peers' series brought up to date, then rendered
    void schedule_reconcile(std::chrono::milliseconds delay);
    void on_pipeline(const PipelineRecord& record, const StepRecord* step);
    nlohmann::json pipeline_answer(std::uint64_t id, const std::string& what);
    nlohmann::json reload();
    void wait_for_signal();
    bool may_change(const control::Caller& caller) const;
    std::vector<MonitorStatus> monitor_statuses() const;

    // Peer heartbeats (service/daemon_peers.cpp).
    void build_heartbeats();
    void start_heartbeats();
    void register_peer_commands();
    void announce();  // our nfsd state and the grace we hold, to the peers
    void on_peer_state(const PeerStatus& peer, PeerState from);
    void on_peer_down(const std::string& node, const std::string& why);
    PeerFlaps::Seen seen_of(const std::string& node) const;
    void grace_for_peer_down(const std::string& node, const std::string& address, PeerFlaps::Seen seen);
    void grace_for_flapping_peer(const std::string& node, const std::string& address, PeerFlaps::Verdict verdict,
                                 PeerFlaps::Seen seen);
    std::optional<std::string> survivors_holding_grace() const;
    std::string survivors_without_grace() const;
    std::pair<std::string, std::string> survivors_by_grace() const;
    void check_grace_confirmation();
    std::uint64_t request_grace(GraceEvent event, const std::string& address);
    nlohmann::json grace_command(GraceEvent event, const std::string& address);
    void grace_pipeline_finished(const PipelineRecord& record);
    void forget_grace_for(const std::string& node);
    void expire_grace_held();
    void heartbeat_reload_notes(Config& fresh, std::vector<std::string>& notes) const;
    nlohmann::json peers_json() const;

    // Read-only commands other nodes may ask for, and asking them (service/daemon_remote.cpp).
    void add_remotable(const std::string& name, const std::string& help, control::CommandRegistry::Handler handler);
    void ask_peer(const control::Request& request, control::CommandRegistry::Reply reply);
    void on_peer_query(const std::string& node, std::uint32_t id, const std::string& request);
    void on_peer_answer(const std::string& node, std::uint32_t id, const std::string& answer);
    void fail_pending_queries(const std::string& why);
    static std::uint32_t first_query_id();

    // Who takes a failed VIP; the per-VIP readiness attribute (service/daemon_takers.cpp).
    bool able_to_take(const std::string& node, const std::string& failed) const;
    bool peer_failed(const std::string& node) const;
    std::string holder_of(const std::string& home) const;
    std::optional<std::string> taker_of(const std::string& home, const std::string& failed) const;
    std::vector<std::string> vips_held_by(const std::string& node) const;
    std::string takers_of(const std::string& failed) const;
    bool takes_over_from(const std::string& failed) const;
    void claim_failed_vips(const std::string& skip = "");
    void on_peer_drained(const PeerStatus& peer);
    void update_vip_readiness(bool all);
    void vip_ready_pipeline_finished(const PipelineRecord& record);

    // Drain, persistent in the CIB, and ganesha_mon's (service/daemon_drain.cpp).
    void register_drain_commands();
    nlohmann::json drain_command(const control::Request& request, bool drain);
    std::optional<std::uint64_t> set_drained(DrainSource source, bool on, std::vector<Step> first = {});
    NodeAttributesWatch::Callbacks attribute_callbacks();
    void on_drain_attribute(const NodeAttributes& attributes);
    void track_attribute_write(std::uint64_t id, const std::string& name, std::optional<std::string> value);
    void attribute_write_finished(const PipelineRecord& record);
    nlohmann::json drain_json() const;

    // `cluster move` requests to this node (service/daemon_moves.cpp).
    void on_move_requests(const NodeAttributes& attributes);
    void check_moves();
    void end_move(const std::string& home, const std::string& why);
    void move_pipeline_finished(const PipelineRecord& record);
    bool move_ready(const std::string& home) const;
    nlohmann::json moves_json() const;  // home -> {address, state, ready}
    bool holds_vip(const std::string& home, const std::vector<asio::ip::address>& local) const;
    bool vip_address_here(const std::string& home, const std::vector<asio::ip::address>& local) const;

    // A VIP changing hands (service/daemon_handover.cpp).
    void register_handover_commands();
    nlohmann::json release_vip(const std::string& vip);
    nlohmann::json take_vip(const std::string& vip);
    Step take_grace_step(const std::string& address);
    std::string recovery_dir() const;  // this node's v4recov on the shared volume
    std::string recovery_dir_of(const std::string& node) const;
    std::optional<std::string> node_of_vip(const std::string& vip) const;
    // Steering NFS clients across VIP moves (service/daemon_clients.cpp).
    void build_client_steering();
    void start_client_steering();
    void stop_client_steering();
    FirewallState wanted_firewall() const;
    void apply_firewall(bool only_if_different);
    std::optional<std::string> fence_may_go() const;
    void scan_connections();
    void on_peer_connections(const std::string& node, const std::vector<ClientConnection>& list);
    void on_local_address(const AddedAddress& added);
    void close_stale_connections(const std::string& vip, StaleSockets which, const std::string& why);
    void send_tickle_round(const asio::ip::address& vip, int ifindex, const std::vector<ClientConnection>& targets);
    void register_client_commands();
    std::vector<asio::ip::address> vip_addresses() const;
    // NFSv4 server scope (service/daemon_scope.cpp).
    void load_server_scope();
    void set_grace_held_for(std::optional<unsigned> grace_period_s);
    bool scope_mismatch(const PeerStatus& peer) const;
    void note_peer_scope(const PeerStatus& peer);  // an event when its mismatch changes
    nlohmann::json scope_json(const PeerStatus& peer) const;
    nlohmann::json local_scope_json() const;

    asio::io_context& io_;
    Config config_;
    ConfigOverrides overrides_;
    AsioClock clock_;
    EventLog events_;
    Metrics metrics_;  // before everything that reports to it
    SystemdNotifier systemd_;
    std::optional<gid_t> control_gid_;
    control::CommandRegistry registry_;
    std::unique_ptr<control::ControlServer> server_;
    std::unique_ptr<MetricsExporter> exporter_;  // null: HA_METRICS_LISTEN=off
    std::map<std::string, std::shared_ptr<MonitorSession>> monitors_;
    ProcessRunner runner_;
    PacemakerActions pacemaker_;
    PipelineRunner pipelines_;
    std::shared_ptr<DbusConnection> dbus_;
    std::shared_ptr<GraceClient> grace_client_;
    DbusGraceSteps grace_steps_;
    PidfdKiller killer_;
    NfsdFence fence_;
    Failover failover_;
    DrainSources drains_;
    NodeAttributesWatch attributes_watch_{clock_, pacemaker_, attribute_callbacks()};
    struct AttributeWrite {
        std::string name;
        std::optional<std::string> value;  // nullopt: deleted
    };
    std::map<std::uint64_t, AttributeWrite> attribute_writes_;  // pipeline id -> the permanent attribute it writes
    struct Move {
        std::string state;       // kMoveRequested or kMoveHeld, as the CIB says
        std::uint64_t grace = 0;  // the grace pipeline for its VIP, 0: not asked yet
        bool ready = false;       // that grace succeeded: grace-for-<home> may be 1
        bool marking = false;     // "held" is being written
        bool ending = false;      // its request and constraint are being deleted
    };
    std::map<std::string, Move> moves_;  // home -> a move of its VIP to this node
    std::shared_ptr<PeerHeartbeats> heartbeats_;  // null: no HA_HEARTBEAT_KEY
    DropCounts reported_drops_{};                 // already added to the metrics
    std::map<std::string, control::CommandRegistry::Handler> remotable_;  // what peers may ask for
    struct PendingQuery {
        std::string node;
        control::CommandRegistry::Reply reply;
        std::unique_ptr<Timer> deadline;
    };
    std::map<std::uint32_t, PendingQuery> queries_;  // ours to other nodes, by query id
    std::uint32_t next_query_ = first_query_id();     // random: a restarted daemon does not reuse ids
    // Below the control socket's idle timeout (5 s), so the caller gets our error, not a closed socket.
    static constexpr std::chrono::milliseconds kQueryDeadline{3000};
    static constexpr std::size_t kMaxQueries = 16;
    struct HeldGrace {
        std::string node;  // whose VIP the address is ("" for another address)
        TimePoint since;
    };
    std::map<std::string, HeldGrace> grace_held_;  // address -> take-ip grace that succeeded
    std::map<std::uint64_t, std::pair<GraceEvent, std::string>> grace_requests_;  // pipeline id -> what
    std::unique_ptr<Timer> grace_expiry_;
    // How long a grace taken for an address counts as held: ganesha's
    // NFSV4 Grace_Period as HA_GANESHA_CONF sets it (read with the server
    // scope, service/daemon_scope.cpp), less a second for the time between
    // ganesha starting its grace and the pipeline reporting it; its default
    // (90 s) while the file cannot be read.
    static constexpr std::chrono::seconds kGraceHeldFor{90};
    Duration grace_held_for_{kGraceHeldFor};
    // Tells a flapping peer from a real failure (issue 13): a flap does not
    // restart the grace its first silence took here.
    PeerFlaps flaps_{kGraceHeldFor};
    struct PeerDownGrace {
        std::string node;
        PeerFlaps::Seen seen;
        TimePoint requested;
    };
    std::map<std::string, PeerDownGrace> peer_down_graces_;  // address -> a peer-down's grace still running
    VipHolders holders_;
    std::map<std::string, bool> vip_ready_;  // home -> grace-for-<home> as last written here
    std::set<std::string> seen_up_;          // peers seen up since this daemon started
    std::set<std::string> absent_claimed_;   // never-up peers whose VIPs were claimed once
    std::optional<std::string> server_scope_;       // from HA_GANESHA_CONF; nullopt: unknown
    std::uint64_t scope_fingerprint_ = 0;           // 0: unknown
    std::string scope_problem_;                     // why it is unknown
    bool scope_loaded_ = false;
    std::map<std::string, bool> scope_mismatch_;    // peer -> last reported mismatch
    std::optional<bool> nfsd_healthy_;  // last decided verdict, for edges
    std::unique_ptr<Timer> reconcile_timer_;
    std::unique_ptr<NfsFirewall> firewall_;
    bool firewall_failed_ = false;  // the last nft run failed
    std::shared_ptr<LocalAddressWatch> addresses_;  // null: HA_CLIENT_TICKLE=no or no rtnetlink
    std::unique_ptr<Timer> scan_timer_;
    std::error_code scan_error_;
    std::vector<ClientConnection> local_connections_;                   // ours, from the last scan
    std::map<std::string, std::vector<ClientConnection>> peer_connections_;  // each peer's last list
    struct TickleTimer {
        std::unique_ptr<Timer> timer;
        std::shared_ptr<bool> fired;
    };
    std::vector<TickleTimer> tickle_timers_;
    asio::signal_set signals_;
    TimePoint started_;
    bool stopping_ = false;
};

}  // namespace gha
